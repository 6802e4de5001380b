/* _blake3_cap: CPython's side of the blake3 cap.
 *
 * Calls the component's pylon:blake3/hasher interface through wit-bindgen-c bindings.
 * Rules kept here (DESIGN.md): a binding that returns bool returns true on success;
 * lists and strings the bindings hand back are freed with the generated *_free
 * functions; a closed handle's capsule loses its destructor and is renamed, never
 * emptied with PyCapsule_SetPointer(NULL). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "blake3_ext.h"

#define HANDLE_NAME "_blake3_cap.incremental"
#define CLOSED_NAME "_blake3_cap.incremental.closed"

typedef pylon_blake3_hasher_own_incremental_t own_t;

typedef struct {
    own_t own;
} handle_t;

/* Input bytes are lent to the call; the canonical ABI copies them into the component. */
static blake3_ext_list_u8_t lend(Py_buffer *view) {
    blake3_ext_list_u8_t list = {.ptr = (uint8_t *)view->buf, .len = (size_t)view->len};
    return list;
}

/* Take ownership of a list returned by the bindings; always frees it. */
static PyObject *take_bytes(blake3_ext_list_u8_t *list) {
    PyObject *out = PyBytes_FromStringAndSize((const char *)list->ptr, (Py_ssize_t)list->len);
    blake3_ext_list_u8_free(list);
    return out;
}

/* Raise ValueError with an error string returned by the bindings; always frees it. */
static PyObject *take_error(blake3_ext_string_t *err) {
    PyObject *msg = PyUnicode_DecodeUTF8((const char *)err->ptr, (Py_ssize_t)err->len, "replace");
    blake3_ext_string_free(err);
    if (msg != NULL) {
        PyErr_SetObject(PyExc_ValueError, msg);
        Py_DECREF(msg);
    }
    return NULL;
}

static int check_length(Py_ssize_t length) {
    if (length < 0 || (uint64_t)length > UINT32_MAX) {
        PyErr_Format(PyExc_ValueError, "length must be between 0 and %u, got %zd", UINT32_MAX, length);
        return -1;
    }
    return 0;
}

static void handle_destructor(PyObject *capsule) {
    handle_t *handle = PyCapsule_GetPointer(capsule, HANDLE_NAME);
    if (handle == NULL) {
        PyErr_Clear();
        return;
    }
    pylon_blake3_hasher_incremental_drop_own(handle->own);
    PyMem_Free(handle);
}

static PyObject *wrap(own_t own) {
    handle_t *handle = PyMem_Malloc(sizeof *handle);
    if (handle == NULL) {
        pylon_blake3_hasher_incremental_drop_own(own);
        return PyErr_NoMemory();
    }
    handle->own = own;
    PyObject *capsule = PyCapsule_New(handle, HANDLE_NAME, handle_destructor);
    if (capsule == NULL) {
        pylon_blake3_hasher_incremental_drop_own(own);
        PyMem_Free(handle);
    }
    return capsule;
}

static handle_t *unwrap(PyObject *obj) {
    if (PyCapsule_IsValid(obj, HANDLE_NAME)) {
        return PyCapsule_GetPointer(obj, HANDLE_NAME);
    }
    if (PyCapsule_IsValid(obj, CLOSED_NAME)) {
        PyErr_SetString(PyExc_ValueError, "the blake3 hasher is closed");
    } else {
        PyErr_Format(PyExc_TypeError, "expected a blake3 hasher handle, got %.100s", Py_TYPE(obj)->tp_name);
    }
    return NULL;
}

static pylon_blake3_hasher_borrow_incremental_t borrow(handle_t *handle) {
    return pylon_blake3_hasher_borrow_incremental(handle->own);
}

static PyObject *cap_hash(PyObject *self, PyObject *args) {
    Py_buffer data;
    Py_ssize_t length = 32;
    if (!PyArg_ParseTuple(args, "y*|n:hash", &data, &length)) return NULL;
    if (check_length(length) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    blake3_ext_list_u8_t in = lend(&data), out;
    pylon_blake3_hasher_hash(&in, (uint32_t)length, &out);
    PyBuffer_Release(&data);
    return take_bytes(&out);
}

static PyObject *cap_keyed_hash(PyObject *self, PyObject *args) {
    Py_buffer key, data;
    Py_ssize_t length = 32;
    if (!PyArg_ParseTuple(args, "y*y*|n:keyed_hash", &key, &data, &length)) return NULL;
    PyObject *result = NULL;
    if (check_length(length) == 0) {
        blake3_ext_list_u8_t k = lend(&key), in = lend(&data), out;
        blake3_ext_string_t err;
        bool ok = pylon_blake3_hasher_keyed_hash(&k, &in, (uint32_t)length, &out, &err);
        result = ok ? take_bytes(&out) : take_error(&err);
    }
    PyBuffer_Release(&key);
    PyBuffer_Release(&data);
    return result;
}

static PyObject *cap_derive_key(PyObject *self, PyObject *args) {
    const char *context;
    Py_ssize_t context_len, length = 32;
    Py_buffer material;
    if (!PyArg_ParseTuple(args, "s#y*|n:derive_key", &context, &context_len, &material, &length)) return NULL;
    if (check_length(length) < 0) {
        PyBuffer_Release(&material);
        return NULL;
    }
    blake3_ext_string_t ctx = {.ptr = (uint8_t *)context, .len = (size_t)context_len};
    blake3_ext_list_u8_t in = lend(&material), out;
    pylon_blake3_hasher_derive_key(&ctx, &in, (uint32_t)length, &out);
    PyBuffer_Release(&material);
    return take_bytes(&out);
}

static PyObject *cap_new(PyObject *self, PyObject *unused) {
    return wrap(pylon_blake3_hasher_constructor_incremental());
}

static PyObject *cap_new_keyed(PyObject *self, PyObject *args) {
    Py_buffer key;
    if (!PyArg_ParseTuple(args, "y*:new_keyed", &key)) return NULL;
    blake3_ext_list_u8_t k = lend(&key);
    own_t own;
    blake3_ext_string_t err;
    bool ok = pylon_blake3_hasher_static_incremental_keyed(&k, &own, &err);
    PyBuffer_Release(&key);
    return ok ? wrap(own) : take_error(&err);
}

static PyObject *cap_new_derive_key(PyObject *self, PyObject *args) {
    const char *context;
    Py_ssize_t context_len;
    if (!PyArg_ParseTuple(args, "s#:new_derive_key", &context, &context_len)) return NULL;
    blake3_ext_string_t ctx = {.ptr = (uint8_t *)context, .len = (size_t)context_len};
    return wrap(pylon_blake3_hasher_static_incremental_derive_key(&ctx));
}

static PyObject *cap_update(PyObject *self, PyObject *args) {
    PyObject *obj;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "Oy*:update", &obj, &data)) return NULL;
    handle_t *handle = unwrap(obj);
    if (handle != NULL) {
        blake3_ext_list_u8_t in = lend(&data);
        pylon_blake3_hasher_method_incremental_update(borrow(handle), &in);
    }
    PyBuffer_Release(&data);
    if (handle == NULL) return NULL;
    Py_RETURN_NONE;
}

static PyObject *cap_finalize(PyObject *self, PyObject *args) {
    PyObject *obj;
    Py_ssize_t length = 32;
    if (!PyArg_ParseTuple(args, "O|n:finalize", &obj, &length)) return NULL;
    handle_t *handle = unwrap(obj);
    if (handle == NULL || check_length(length) < 0) return NULL;
    blake3_ext_list_u8_t out;
    pylon_blake3_hasher_method_incremental_finalize(borrow(handle), (uint32_t)length, &out);
    return take_bytes(&out);
}

static PyObject *cap_copy(PyObject *self, PyObject *obj) {
    handle_t *handle = unwrap(obj);
    if (handle == NULL) return NULL;
    return wrap(pylon_blake3_hasher_method_incremental_copy(borrow(handle)));
}

static PyObject *cap_close(PyObject *self, PyObject *obj) {
    handle_t *handle = unwrap(obj);
    if (handle == NULL) return NULL;
    pylon_blake3_hasher_incremental_drop_own(handle->own);
    PyMem_Free(handle);
    if (PyCapsule_SetDestructor(obj, NULL) < 0 || PyCapsule_SetName(obj, CLOSED_NAME) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"hash", cap_hash, METH_VARARGS, "hash(data, length=32) -> bytes"},
    {"keyed_hash", cap_keyed_hash, METH_VARARGS, "keyed_hash(key, data, length=32) -> bytes; key is 32 bytes"},
    {"derive_key", cap_derive_key, METH_VARARGS, "derive_key(context, material, length=32) -> bytes"},
    {"new", cap_new, METH_NOARGS, "new() -> handle of a plain incremental hasher"},
    {"new_keyed", cap_new_keyed, METH_VARARGS, "new_keyed(key) -> handle of a keyed hasher"},
    {"new_derive_key", cap_new_derive_key, METH_VARARGS, "new_derive_key(context) -> handle of a key-derivation hasher"},
    {"update", cap_update, METH_VARARGS, "update(handle, data)"},
    {"finalize", cap_finalize, METH_VARARGS, "finalize(handle, length=32) -> bytes; the hasher stays usable"},
    {"copy", cap_copy, METH_O, "copy(handle) -> an independent handle with the same state"},
    {"close", cap_close, METH_O, "close(handle): release the hasher now; closing twice raises ValueError"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_blake3_cap",
    .m_doc = "BLAKE3 through the pylon:blake3/hasher component (use the `blake3` module).",
    .m_size = 0,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__blake3_cap(void) {
    return PyModule_Create(&module);
}
