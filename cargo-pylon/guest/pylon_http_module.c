/* `_pylon_http`: the exchange as Python sees it. The WSGI bridge reads the request and
 * sends the response through these functions; the handles they open stay in the
 * exchange (pylon_exchange.h), which the exported handler closes. */
#include "pylon_exchange.h"

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
    wasi_http_types_borrow_incoming_request_t req = wasi_http_types_borrow_incoming_request(pylon_ex.request);
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
    if (n == 0 || pylon_ex.body_done) return PyBytes_FromStringAndSize(NULL, 0);
    if (!pylon_ex.body_taken) {
        pylon_ex.body_taken = true;
        if (!wasi_http_types_method_incoming_request_consume(wasi_http_types_borrow_incoming_request(pylon_ex.request), &pylon_ex.in_body)) {
            pylon_ex.body_done = true;
            PyErr_SetString(PyExc_OSError, "the request body was already taken");
            return NULL;
        }
        if (!wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(pylon_ex.in_body), &pylon_ex.in_stream)) {
            wasi_http_types_incoming_body_drop_own(pylon_ex.in_body);
            pylon_ex.body_done = true;
            PyErr_SetString(PyExc_OSError, "the request body has no stream");
            return NULL;
        }
        pylon_ex.in_open = true;
    }
    pylon_http_list_u8_t data;
    wasi_io_streams_stream_error_t err;
    bool ok;
    Py_BEGIN_ALLOW_THREADS
    ok = wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(pylon_ex.in_stream), (uint64_t)n, &data, &err);
    Py_END_ALLOW_THREADS
    if (!ok) {
        if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) {
            pylon_ex.body_done = true;
            return PyBytes_FromStringAndSize(NULL, 0);
        }
        return stream_failed(&err, "reading the request body failed");
    }
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)data.ptr, (Py_ssize_t)data.len);
    pylon_http_list_u8_free(&data);
    return bytes;
}

/* _pylon_http.respond(status, [(name, value)]): the status line and headers go out now. */
static PyObject *http_respond(PyObject *self, PyObject *args) {
    int status;
    PyObject *headers;
    if (!PyArg_ParseTuple(args, "iO!:respond", &status, &PyList_Type, &headers)) return NULL;
    if (pylon_ex.answered) {
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
    head_t sent = pylon_send_head((uint16_t)status, &list, &header_error);
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
    if (!pylon_ex.out_open) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "no response body is open: call respond() first");
        return NULL;
    }
    wasi_io_streams_stream_error_t err;
    bool ok;
    Py_BEGIN_ALLOW_THREADS
    ok = pylon_write_body(view.buf, (size_t)view.len, &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (!ok) return stream_failed(&err, "writing the response body failed");
    Py_RETURN_NONE;
}

/* _pylon_http.finish(): the response is complete. */
static PyObject *http_finish(PyObject *self, PyObject *unused) {
    if (!pylon_close_body(true)) {
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

struct PyModuleDef pylon_http_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_pylon_http",
    .m_doc = "The wasi:http exchange this interpreter instance serves (pylon's WSGI bridge uses it).",
    .m_size = -1,
    .m_methods = http_methods,
};
