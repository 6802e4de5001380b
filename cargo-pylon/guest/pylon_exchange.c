/* The exchange's wasi:http handles: the response's head, its body written and closed,
 * and the 500 an exchange Python leaves unanswered gets. */
#include "pylon_exchange.h"

struct pylon_exchange pylon_ex;

/* The most bytes one blocking write may carry (wasi:io's documented floor). */
#define WRITE_CHUNK 4096

head_t pylon_send_head(uint16_t status, pylon_http_list_tuple2_string_list_u8_t *headers, wasi_http_types_header_error_t *header_error) {
    wasi_http_types_own_fields_t fields;
    if (!wasi_http_types_static_fields_from_list(headers, &fields, header_error)) return HEAD_BAD_HEADERS;
    wasi_http_types_own_outgoing_response_t response = wasi_http_types_constructor_outgoing_response(fields);
    wasi_http_types_borrow_outgoing_response_t borrowed = wasi_http_types_borrow_outgoing_response(response);
    if (!wasi_http_types_method_outgoing_response_set_status_code(borrowed, status)) {
        wasi_http_types_outgoing_response_drop_own(response);
        return HEAD_BAD_STATUS;
    }
    if (!wasi_http_types_method_outgoing_response_body(borrowed, &pylon_ex.out_body)
        || !wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(pylon_ex.out_body), &pylon_ex.out_stream)) {
        wasi_http_types_outgoing_response_drop_own(response);
        return HEAD_NO_BODY;
    }
    pylon_ex.out_open = true;
    wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = false, .val = {.ok = response}};
    wasi_http_types_static_response_outparam_set(pylon_ex.outparam, &result);
    pylon_ex.answered = true;
    return HEAD_SENT;
}

bool pylon_write_body(const uint8_t *data, size_t len, wasi_io_streams_stream_error_t *err) {
    while (len > 0) {
        size_t n = len < WRITE_CHUNK ? len : WRITE_CHUNK;
        pylon_http_list_u8_t chunk = {(uint8_t *)data, n};
        if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(wasi_io_streams_borrow_output_stream(pylon_ex.out_stream), &chunk, err)) return false;
        data += n;
        len -= n;
    }
    return true;
}

bool pylon_close_body(bool complete) {
    if (!pylon_ex.out_open) return true;
    pylon_ex.out_open = false;
    wasi_io_streams_output_stream_drop_own(pylon_ex.out_stream);
    if (!complete) {
        wasi_http_types_outgoing_body_drop_own(pylon_ex.out_body);
        return true;
    }
    wasi_http_types_error_code_t err;
    if (!wasi_http_types_static_outgoing_body_finish(pylon_ex.out_body, NULL, &err)) {
        wasi_http_types_error_code_free(&err);
        return false;
    }
    return true;
}

void pylon_answer_500(void) {
    static const char body[] = "Internal Server Error\n";
    pylon_http_tuple2_string_list_u8_t header = {
        {(uint8_t *)"content-type", 12}, {(uint8_t *)"text/plain; charset=utf-8", 25}};
    pylon_http_list_tuple2_string_list_u8_t list = {&header, 1};
    wasi_http_types_header_error_t header_error;
    if (pylon_send_head(500, &list, &header_error) != HEAD_SENT) {
        /* Not even a plain 500 could be made: the host answers with its own error. */
        wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = true};
        result.val.err.tag = WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR;
        result.val.err.val.internal_error.is_some = false;
        wasi_http_types_static_response_outparam_set(pylon_ex.outparam, &result);
        pylon_ex.answered = true;
        return;
    }
    wasi_io_streams_stream_error_t err;
    if (!pylon_write_body((const uint8_t *)body, sizeof body - 1, &err) && err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED) {
        wasi_io_error_error_drop_own(err.val.last_operation_failed);
    }
    pylon_close_body(true);
}
