/* The interpreter behind wasi:http: one exchange per instance.
 *
 * The host calls the exported `handle` once per instance. CPython is initialized by
 * `wizer.initialize` before the snapshot (or here, on a cold instance), the WSGI bridge
 * (`pylon_wsgi`, compiled in from guest/pylon_wsgi.py) is ready, and the application
 * is imported. The bridge reaches the exchange through the builtin `_pylon_http`, whose
 * functions below own every wasi:http handle: nothing of the exchange is left open when
 * `handle` returns, and an exchange Python leaves unanswered gets a 500. */
#include <Python.h>
#include <stdbool.h>
#include <string.h>

#include "pylon_http.h"
#include "pylon_wsgi_source.h"

void __wasilibc_reset_preopens(void);

typedef wasi_http_types_own_incoming_request_t own_request_t;
typedef wasi_http_types_own_response_outparam_t own_outparam_t;

/* Everything of the one exchange this instance serves. */
static struct {
    own_request_t request;
    own_outparam_t outparam;
    bool answered;
    bool body_taken, body_done, in_open;
    wasi_http_types_own_incoming_body_t in_body;
    wasi_io_streams_own_input_stream_t in_stream;
    bool out_open;
    wasi_http_types_own_outgoing_body_t out_body;
    wasi_io_streams_own_output_stream_t out_stream;
} ex;

static PyObject *bridge; /* the pylon_wsgi module */

/* The most bytes one blocking write may carry (wasi:io's documented floor). */
#define WRITE_CHUNK 4096

static PyObject *string_or_none(bool present, pylon_http_string_t *s) {
    if (!present) Py_RETURN_NONE;
    PyObject *text = PyUnicode_DecodeUTF8((const char *)s->ptr, (Py_ssize_t)s->len, "surrogateescape");
    pylon_http_string_free(s);
    return text;
}

static PyObject *stream_failed(wasi_io_streams_stream_error_t *err, const char *what) {
    if (err->tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED) {
        pylon_http_string_t text;
        wasi_io_error_method_error_to_debug_string(wasi_io_error_borrow_error(err->val.last_operation_failed), &text);
        PyErr_Format(PyExc_OSError, "%s: %.*s", what, (int)text.len, (const char *)text.ptr);
        pylon_http_string_free(&text);
        wasi_io_error_error_drop_own(err->val.last_operation_failed);
    } else {
        PyErr_Format(PyExc_ConnectionResetError, "%s: the stream is closed", what);
    }
    return NULL;
}

static const char *const METHODS[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

/* _pylon_http.request() -> (method, target, scheme, authority, [(name, value)]) */
static PyObject *http_request(PyObject *self, PyObject *unused) {
    wasi_http_types_borrow_incoming_request_t req = wasi_http_types_borrow_incoming_request(ex.request);
    wasi_http_types_method_t method;
    wasi_http_types_method_incoming_request_method(req, &method);
    PyObject *method_text;
    if (method.tag == WASI_HTTP_TYPES_METHOD_OTHER) {
        method_text = PyUnicode_DecodeUTF8((const char *)method.val.other.ptr, (Py_ssize_t)method.val.other.len, "surrogateescape");
    } else {
        method_text = PyUnicode_FromString(METHODS[method.tag]);
    }
    wasi_http_types_method_free(&method);

    pylon_http_string_t text;
    bool has_target = wasi_http_types_method_incoming_request_path_with_query(req, &text);
    PyObject *target = string_or_none(has_target, &text);

    wasi_http_types_scheme_t scheme;
    PyObject *scheme_text;
    if (!wasi_http_types_method_incoming_request_scheme(req, &scheme)) {
        scheme_text = PyUnicode_FromString("http");
    } else if (scheme.tag == WASI_HTTP_TYPES_SCHEME_OTHER) {
        scheme_text = PyUnicode_DecodeUTF8((const char *)scheme.val.other.ptr, (Py_ssize_t)scheme.val.other.len, "surrogateescape");
        wasi_http_types_scheme_free(&scheme);
    } else {
        scheme_text = PyUnicode_FromString(scheme.tag == WASI_HTTP_TYPES_SCHEME_HTTPS ? "https" : "http");
    }

    bool has_authority = wasi_http_types_method_incoming_request_authority(req, &text);
    PyObject *authority = string_or_none(has_authority, &text);

    wasi_http_types_own_fields_t fields = wasi_http_types_method_incoming_request_headers(req);
    pylon_http_list_tuple2_string_list_u8_t entries;
    wasi_http_types_method_fields_entries(wasi_http_types_borrow_fields(fields), &entries);
    wasi_http_types_fields_drop_own(fields);
    PyObject *headers = PyList_New(0);
    for (size_t i = 0; headers != NULL && i < entries.len; i++) {
        pylon_http_tuple2_string_list_u8_t *e = &entries.ptr[i];
        PyObject *pair = Py_BuildValue("(s#y#)", (const char *)e->f0.ptr, (Py_ssize_t)e->f0.len, (const char *)e->f1.ptr, (Py_ssize_t)e->f1.len);
        if (pair == NULL || PyList_Append(headers, pair) < 0) Py_CLEAR(headers);
        Py_XDECREF(pair);
    }
    pylon_http_list_tuple2_string_list_u8_free(&entries);

    if (method_text == NULL || target == NULL || scheme_text == NULL || authority == NULL || headers == NULL) {
        Py_XDECREF(method_text); Py_XDECREF(target); Py_XDECREF(scheme_text); Py_XDECREF(authority); Py_XDECREF(headers);
        return NULL;
    }
    return Py_BuildValue("(NNNNN)", method_text, target, scheme_text, authority, headers);
}

/* _pylon_http.read(n) -> at most n bytes of the request body; b'' at its end. */
static PyObject *http_read(PyObject *self, PyObject *arg) {
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "read size must be positive");
        return NULL;
    }
    if (n == 0 || ex.body_done) return PyBytes_FromStringAndSize(NULL, 0);
    if (!ex.body_taken) {
        ex.body_taken = true;
        if (!wasi_http_types_method_incoming_request_consume(wasi_http_types_borrow_incoming_request(ex.request), &ex.in_body)) {
            ex.body_done = true;
            PyErr_SetString(PyExc_OSError, "the request body was already taken");
            return NULL;
        }
        if (!wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(ex.in_body), &ex.in_stream)) {
            wasi_http_types_incoming_body_drop_own(ex.in_body);
            ex.body_done = true;
            PyErr_SetString(PyExc_OSError, "the request body has no stream");
            return NULL;
        }
        ex.in_open = true;
    }
    pylon_http_list_u8_t data;
    wasi_io_streams_stream_error_t err;
    bool ok;
    Py_BEGIN_ALLOW_THREADS
    ok = wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(ex.in_stream), (uint64_t)n, &data, &err);
    Py_END_ALLOW_THREADS
    if (!ok) {
        if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) {
            ex.body_done = true;
            return PyBytes_FromStringAndSize(NULL, 0);
        }
        return stream_failed(&err, "reading the request body failed");
    }
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)data.ptr, (Py_ssize_t)data.len);
    pylon_http_list_u8_free(&data);
    return bytes;
}

/* Why a response head was not sent. */
typedef enum { HEAD_SENT, HEAD_BAD_HEADERS, HEAD_BAD_STATUS, HEAD_NO_BODY } head_t;

/* Send the status and `headers` and open the body; on failure nothing is sent (and
 * `*header_error` says why the headers were refused). */
static head_t send_head(uint16_t status, pylon_http_list_tuple2_string_list_u8_t *headers, wasi_http_types_header_error_t *header_error) {
    wasi_http_types_own_fields_t fields;
    if (!wasi_http_types_static_fields_from_list(headers, &fields, header_error)) return HEAD_BAD_HEADERS;
    wasi_http_types_own_outgoing_response_t response = wasi_http_types_constructor_outgoing_response(fields);
    wasi_http_types_borrow_outgoing_response_t borrowed = wasi_http_types_borrow_outgoing_response(response);
    if (!wasi_http_types_method_outgoing_response_set_status_code(borrowed, status)) {
        wasi_http_types_outgoing_response_drop_own(response);
        return HEAD_BAD_STATUS;
    }
    if (!wasi_http_types_method_outgoing_response_body(borrowed, &ex.out_body)
        || !wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(ex.out_body), &ex.out_stream)) {
        wasi_http_types_outgoing_response_drop_own(response);
        return HEAD_NO_BODY;
    }
    ex.out_open = true;
    wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = false, .val = {.ok = response}};
    wasi_http_types_static_response_outparam_set(ex.outparam, &result);
    ex.answered = true;
    return HEAD_SENT;
}

/* Write all of `data` to the open body, a blocking write of at most WRITE_CHUNK at a time. */
static bool write_body(const uint8_t *data, size_t len, wasi_io_streams_stream_error_t *err) {
    while (len > 0) {
        size_t n = len < WRITE_CHUNK ? len : WRITE_CHUNK;
        pylon_http_list_u8_t chunk = {(uint8_t *)data, n};
        if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(wasi_io_streams_borrow_output_stream(ex.out_stream), &chunk, err)) return false;
        data += n;
        len -= n;
    }
    return true;
}

/* _pylon_http.respond(status, [(name, value)]): the status line and headers go out now. */
static PyObject *http_respond(PyObject *self, PyObject *args) {
    int status;
    PyObject *headers;
    if (!PyArg_ParseTuple(args, "iO!:respond", &status, &PyList_Type, &headers)) return NULL;
    if (ex.answered) {
        PyErr_SetString(PyExc_RuntimeError, "the response was already started");
        return NULL;
    }
    if (status < 100 || status > 999) {
        PyErr_Format(PyExc_ValueError, "%d is not an HTTP status", status);
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(headers);
    pylon_http_tuple2_string_list_u8_t *items = PyMem_Calloc(count ? (size_t)count : 1, sizeof *items);
    if (items == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < count; i++) {
        const char *name, *value;
        Py_ssize_t name_len, value_len;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(headers, i), "s#y#:header", &name, &name_len, &value, &value_len)) {
            PyMem_Free(items);
            return NULL;
        }
        items[i].f0 = (pylon_http_string_t){(uint8_t *)name, (size_t)name_len};
        items[i].f1 = (pylon_http_list_u8_t){(uint8_t *)value, (size_t)value_len};
    }
    pylon_http_list_tuple2_string_list_u8_t list = {items, (size_t)count};
    wasi_http_types_header_error_t header_error;
    head_t sent = send_head((uint16_t)status, &list, &header_error);
    PyMem_Free(items);
    static const char *const why[] = {"invalid syntax", "forbidden", "immutable"};
    switch (sent) {
    case HEAD_SENT:
        Py_RETURN_NONE;
    case HEAD_BAD_HEADERS:
        PyErr_Format(PyExc_ValueError, "the host refused the response headers: %s", why[header_error.tag]);
        return NULL;
    case HEAD_BAD_STATUS:
        PyErr_Format(PyExc_ValueError, "the host refused the status %d", status);
        return NULL;
    case HEAD_NO_BODY:
        PyErr_SetString(PyExc_OSError, "the response has no body stream");
        return NULL;
    }
    return NULL;
}

/* _pylon_http.write(data): body bytes, flushed to the client. */
static PyObject *http_write(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    if (!ex.out_open) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "no response body is open: call respond() first");
        return NULL;
    }
    wasi_io_streams_stream_error_t err;
    bool ok;
    Py_BEGIN_ALLOW_THREADS
    ok = write_body(view.buf, (size_t)view.len, &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (!ok) return stream_failed(&err, "writing the response body failed");
    Py_RETURN_NONE;
}

/* Close the response body: complete (`finish`) or cut short (the client sees an error). */
static bool close_body(bool complete) {
    if (!ex.out_open) return true;
    ex.out_open = false;
    wasi_io_streams_output_stream_drop_own(ex.out_stream);
    if (!complete) {
        wasi_http_types_outgoing_body_drop_own(ex.out_body);
        return true;
    }
    wasi_http_types_error_code_t err;
    if (!wasi_http_types_static_outgoing_body_finish(ex.out_body, NULL, &err)) {
        wasi_http_types_error_code_free(&err);
        return false;
    }
    return true;
}

/* _pylon_http.finish(): the response is complete. */
static PyObject *http_finish(PyObject *self, PyObject *unused) {
    if (!close_body(true)) {
        PyErr_SetString(PyExc_OSError, "the host refused to finish the response (does the body match its Content-Length?)");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef http_methods[] = {
    {"request", http_request, METH_NOARGS, "(method, target, scheme, authority, headers) of the request."},
    {"read", http_read, METH_O, "At most n bytes of the request body; b'' at its end."},
    {"respond", http_respond, METH_VARARGS, "Send the status and headers."},
    {"write", http_write, METH_O, "Send body bytes."},
    {"finish", http_finish, METH_NOARGS, "Complete the response."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef http_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_pylon_http",
    .m_doc = "The wasi:http exchange this interpreter instance serves (pylon's WSGI bridge uses it).",
    .m_size = -1,
    .m_methods = http_methods,
};

/* CPython, `_pylon_http`, the bridge and the application; false (reported on stderr) if
 * any of them failed. */
static bool start(void) {
    if (bridge != NULL) return true;
    if (!Py_IsInitialized()) {
        PyConfig config;
        PyConfig_InitPythonConfig(&config);
        PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, "python3");
        if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
        PyConfig_Clear(&config);
        if (PyStatus_Exception(status)) {
            fprintf(stderr, "pylon: Python did not start: %s\n", status.err_msg ? status.err_msg : "unknown error");
            return false;
        }
    }
    PyObject *module = PyModule_Create(&http_module);
    if (module == NULL || PyDict_SetItemString(PyImport_GetModuleDict(), "_pylon_http", module) < 0) {
        Py_XDECREF(module);
        PyErr_Print();
        return false;
    }
    Py_DECREF(module);
    PyObject *code = Py_CompileString(PYLON_WSGI_SOURCE, "pylon_wsgi.py", Py_file_input);
    if (code != NULL) {
        bridge = PyImport_ExecCodeModuleWithPathnames("pylon_wsgi", code, "pylon_wsgi.py", NULL);
        Py_DECREF(code);
    }
    PyObject *unservable = bridge ? PyObject_GetAttrString(bridge, "Unservable") : NULL;
    PyObject *loaded = unservable ? PyObject_CallMethod(bridge, "load", NULL) : NULL;
    if (loaded == NULL) {
        /* A problem with the application file itself is one line; anything else is
         * Python's own account, traceback and all. */
        if (unservable != NULL && PyErr_ExceptionMatches(unservable)) {
            PyObject *raised = PyErr_GetRaisedException();
            PyObject *text = PyObject_Str(raised);
            const char *message = text ? PyUnicode_AsUTF8(text) : NULL;
            fprintf(stderr, "pylon serve: %s\n", message ? message : "the application cannot be served");
            PyErr_Clear();
            Py_XDECREF(text);
            Py_XDECREF(raised);
        } else {
            PyErr_Print();
        }
        Py_XDECREF(unservable);
        Py_CLEAR(bridge);
        return false;
    }
    Py_DECREF(unservable);
    Py_DECREF(loaded);
    return true;
}

static void flush_stdio(void) {
    PyObject *done = PyObject_CallMethod(bridge, "flush", NULL);
    Py_XDECREF(done);
    PyErr_Clear();
}

/* Run before the snapshot: everything the snapshot can keep is done here. */
__attribute__((export_name("wizer.initialize")))
void pylon_serve_initialize(void) {
    if (!start()) abort();
    /* Output written while initializing goes out now, not into every instance. */
    flush_stdio();
    /* The snapshot must not keep the initializing host's folders: wasi-libc asks the
     * serving host for its own on first use. */
    __wasilibc_reset_preopens();
}

static void answer_500(void) {
    static const char body[] = "Internal Server Error\n";
    pylon_http_tuple2_string_list_u8_t header = {
        {(uint8_t *)"content-type", 12}, {(uint8_t *)"text/plain; charset=utf-8", 25}};
    pylon_http_list_tuple2_string_list_u8_t list = {&header, 1};
    wasi_http_types_header_error_t header_error;
    if (send_head(500, &list, &header_error) != HEAD_SENT) {
        /* Not even a plain 500 could be made: the host answers with its own error. */
        wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = true};
        result.val.err.tag = WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR;
        result.val.err.val.internal_error.is_some = false;
        wasi_http_types_static_response_outparam_set(ex.outparam, &result);
        ex.answered = true;
        return;
    }
    wasi_io_streams_stream_error_t err;
    if (!write_body((const uint8_t *)body, sizeof body - 1, &err) && err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED) {
        wasi_io_error_error_drop_own(err.val.last_operation_failed);
    }
    close_body(true);
}

void exports_wasi_http_incoming_handler_handle(own_request_t request, own_outparam_t outparam) {
    memset(&ex, 0, sizeof ex);
    ex.request = request;
    ex.outparam = outparam;
    bool served = false;
    if (start()) {
        PyObject *done = PyObject_CallMethod(bridge, "serve", NULL);
        if (done == NULL) {
            PyErr_Print();
        } else {
            Py_DECREF(done);
            served = true;
        }
        flush_stdio();
    }
    if (!ex.answered) {
        answer_500();
    } else {
        /* A response Python started but did not finish is cut short, so the client
         * sees an error rather than a complete-looking body. */
        close_body(served);
    }
    if (ex.in_open) {
        wasi_io_streams_input_stream_drop_own(ex.in_stream);
        wasi_http_types_incoming_body_drop_own(ex.in_body);
    }
    wasi_http_types_incoming_request_drop_own(ex.request);
}
