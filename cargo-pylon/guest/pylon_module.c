/* The builtin module `pylon`: what pylon itself offers Python code.
 *
 * `pylon.CapCrashed` (a RuntimeError) is raised when a runtime-linked cap traps inside
 * its own instance: the call fails, the provider is instantiated afresh, Python goes on. */
#include <Python.h>

static PyObject *cap_crashed;

/* The CapCrashed class (borrowed), created on first need; NULL with an exception set if
 * it cannot be. */
PyObject *pylon_cap_crashed_type(void) {
    if (cap_crashed == NULL) {
        cap_crashed = PyErr_NewExceptionWithDoc(
            "pylon.CapCrashed",
            "A runtime-linked cap trapped inside its own WebAssembly instance. The call failed; the\n"
            "cap was instantiated afresh and the next call reaches it as new.",
            PyExc_RuntimeError, NULL);
    }
    return cap_crashed;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pylon",
    .m_doc = "What the pylon runtime offers Python code.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit_pylon(void) {
    PyObject *type = pylon_cap_crashed_type();
    if (type == NULL) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "CapCrashed", type) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
