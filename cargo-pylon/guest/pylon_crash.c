/* The interpreter's side of provider isolation (launch/isolate.rs is the host's side).
 *
 * A generated extension of a runtime-linked cap calls pylon_cap_crashed() after each call
 * into its provider: when the launcher reports that the call trapped, the placeholder
 * result (and any exception converting it raised) is dropped and pylon.CapCrashed is
 * raised with the launcher's account of the trap. */
#include <Python.h>

#include "pylon_isolation.h"

PyObject *pylon_cap_crashed_type(void);

int pylon_cap_crashed(void) {
    pylon_isolation_string_t message;
    if (!pylon_runtime_isolation_take_crash(&message)) return 0;
    PyErr_Clear();
    PyObject *text = PyUnicode_DecodeUTF8((const char *)message.ptr, (Py_ssize_t)message.len, "replace");
    pylon_isolation_string_free(&message);
    PyObject *type = pylon_cap_crashed_type();
    if (type == NULL || text == NULL) {
        Py_XDECREF(text);
        return 1; /* the error creating them is set */
    }
    PyErr_SetObject(type, text);
    Py_DECREF(text);
    return 1;
}
