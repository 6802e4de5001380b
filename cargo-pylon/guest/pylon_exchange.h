/* The one wasi:http exchange an instance serves, shared by the exported handler
 * (pylon_serve.c), the exchange's own handles (pylon_exchange.c) and `_pylon_http`, the
 * exchange as Python sees it (pylon_http_module.c). */
#ifndef PYLON_EXCHANGE_H
#define PYLON_EXCHANGE_H

#include <Python.h>
#include <stdbool.h>

#include "pylon_http.h"

typedef wasi_http_types_own_incoming_request_t own_request_t;
typedef wasi_http_types_own_response_outparam_t own_outparam_t;

/* Everything of the one exchange this instance serves. */
struct pylon_exchange {
    own_request_t request;
    own_outparam_t outparam;
    bool answered;
    bool body_taken, body_done, in_open;
    wasi_http_types_own_incoming_body_t in_body;
    wasi_io_streams_own_input_stream_t in_stream;
    bool out_open;
    wasi_http_types_own_outgoing_body_t out_body;
    wasi_io_streams_own_output_stream_t out_stream;
};

extern struct pylon_exchange pylon_ex;

/* Why a response head was not sent. */
typedef enum { HEAD_SENT, HEAD_BAD_HEADERS, HEAD_BAD_STATUS, HEAD_NO_BODY } head_t;

/* Send the status and `headers` and open the body; on failure nothing is sent (and
 * `*header_error` says why the headers were refused). */
head_t pylon_send_head(uint16_t status, pylon_http_list_tuple2_string_list_u8_t *headers, wasi_http_types_header_error_t *header_error);

/* Write all of `data` to the open body, a blocking write of at most WRITE_CHUNK at a time. */
bool pylon_write_body(const uint8_t *data, size_t len, wasi_io_streams_stream_error_t *err);

/* Close the response body: complete (`finish`) or cut short (the client sees an error). */
bool pylon_close_body(bool complete);

/* Answer the exchange with a plain 500 (or, failing that, the host's own error). */
void pylon_answer_500(void);

/* The builtin `_pylon_http`, through which the WSGI bridge reaches the exchange. */
extern struct PyModuleDef pylon_http_module;

#endif
