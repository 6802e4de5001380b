/* The interpreter behind wasi:http: one exchange per instance.
 *
 * The host calls the exported `handle` once per instance. CPython is initialized by
 * `wizer.initialize` before the snapshot (or here, on a cold instance), the WSGI bridge
 * (`pylon_wsgi`, compiled in from guest/pylon_wsgi.py) is ready, and the application
 * is imported. The bridge reaches the exchange through the builtin `_pylon_http`
 * (pylon_http_module.c), whose functions own every wasi:http handle (kept in the exchange,
 * pylon_exchange.c): nothing of the exchange is left open when `handle` returns, and an
 * exchange Python leaves unanswered gets a 500. */
#include <Python.h>
#include <stdbool.h>
#include <string.h>

#include "pylon_exchange.h"
#include "pylon_wsgi_source.h"

void __wasilibc_reset_preopens(void);

static PyObject *bridge; /* the pylon_wsgi module */

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
    PyObject *module = PyModule_Create(&pylon_http_module);
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

void exports_wasi_http_incoming_handler_handle(own_request_t request, own_outparam_t outparam) {
    memset(&pylon_ex, 0, sizeof pylon_ex);
    pylon_ex.request = request;
    pylon_ex.outparam = outparam;
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
    if (!pylon_ex.answered) {
        pylon_answer_500();
    } else {
        /* A response Python started but did not finish is cut short, so the client
         * sees an error rather than a complete-looking body. */
        pylon_close_body(served);
    }
    if (pylon_ex.in_open) {
        wasi_io_streams_input_stream_drop_own(pylon_ex.in_stream);
        wasi_http_types_incoming_body_drop_own(pylon_ex.in_body);
    }
    wasi_http_types_incoming_request_drop_own(pylon_ex.request);
}
