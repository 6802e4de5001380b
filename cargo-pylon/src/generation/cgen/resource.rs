//! WIT resources as Python classes.
//!
//! An instance holds its handle in a capsule named `<module>.<Class>`, whose destructor
//! drops the handle when the instance is collected. `close()` drops it at once, then
//! clears the capsule's destructor and renames it `<module>.<Class>.closed` (never
//! `PyCapsule_SetPointer(NULL)`, which 3.14 rejects); using or closing a closed instance
//! raises ValueError.

use anyhow::{Context, Result};
use wit_parser::{Resolve, TypeId, TypeOwner};

use super::convert::camel;

/// Names of one resource's C pieces.
pub struct Resource {
    /// `res_pylon_kinds_echo_counter`: prefix of every helper.
    pub ident: String,
    /// The Python class name.
    pub class: String,
    pub own_t: String,
    pub borrow_fn: String,
    pub drop_fn: String,
    /// `<module>.<Class>` and its closed form.
    pub capsule: String,
}

impl Resource {
    pub fn new(resolve: &Resolve, id: TypeId, module: &str) -> Result<Self> {
        let def = &resolve.types[id];
        let name = def.name.clone().context("an unnamed resource")?;
        let TypeOwner::Interface(iface) = def.owner else {
            anyhow::bail!("resource {name} is not defined in an interface")
        };
        let prefix = super::interface_prefix(resolve, iface)?;
        let snake = name.replace('-', "_");
        let class = camel(&name);
        Ok(Self {
            ident: format!("res_{prefix}_{snake}"),
            own_t: format!("{prefix}_own_{snake}_t"),
            borrow_fn: format!("{prefix}_borrow_{snake}"),
            drop_fn: format!("{prefix}_{snake}_drop_own"),
            capsule: format!("{module}.{class}"),
            class,
        })
    }

    /// The instance layout, handle helpers and the wrapper for owned handles.
    pub fn support(&self) -> String {
        let Self {
            ident,
            class,
            own_t,
            drop_fn,
            capsule,
            ..
        } = self;
        format!(
            r#"static PyObject *type_{ident};

typedef struct {{
    PyObject_HEAD
    PyObject *handle; /* capsule "{capsule}" holding an {own_t} */
}} {ident}_object;

static void {ident}_capsule_drop(PyObject *capsule) {{
    {own_t} *own = PyCapsule_GetPointer(capsule, "{capsule}");
    if (own == NULL) {{
        PyErr_Clear();
        return;
    }}
    {drop_fn}(*own);
    PyMem_Free(own);
}}

/* The handle inside a live instance, or an exception. */
static {own_t} *{ident}_get(PyObject *o) {{
    if (!PyObject_TypeCheck(o, (PyTypeObject *)type_{ident})) {{
        PyErr_Format(PyExc_TypeError, "expected a {class}, got %.100s", Py_TYPE(o)->tp_name);
        return NULL;
    }}
    PyObject *capsule = (({ident}_object *)o)->handle;
    if (capsule == NULL || !PyCapsule_IsValid(capsule, "{capsule}")) {{
        PyErr_SetString(PyExc_ValueError, "this {class} is closed");
        return NULL;
    }}
    return PyCapsule_GetPointer(capsule, "{capsule}");
}}

/* Mark an instance's capsule closed after its handle was dropped or given away. */
static int {ident}_retire(PyObject *o) {{
    PyObject *capsule = (({ident}_object *)o)->handle;
    PyMem_Free(PyCapsule_GetPointer(capsule, "{capsule}"));
    if (PyCapsule_SetDestructor(capsule, NULL) < 0) return -1;
    return PyCapsule_SetName(capsule, "{capsule}.closed");
}}

/* A new instance owning `own` (dropped again if anything fails). */
static PyObject *{ident}_wrap({own_t} own) {{
    {own_t} *slot = PyMem_Malloc(sizeof *slot);
    if (slot == NULL) {{
        {drop_fn}(own);
        return PyErr_NoMemory();
    }}
    *slot = own;
    PyObject *capsule = PyCapsule_New(slot, "{capsule}", {ident}_capsule_drop);
    if (capsule == NULL) {{
        {drop_fn}(own);
        PyMem_Free(slot);
        return NULL;
    }}
    {ident}_object *obj = ({ident}_object *)PyType_GenericAlloc((PyTypeObject *)type_{ident}, 0);
    if (obj == NULL) {{
        Py_DECREF(capsule);
        return NULL;
    }}
    obj->handle = capsule;
    return (PyObject *)obj;
}}

static PyObject *{ident}_close(PyObject *self, PyObject *unused) {{
    (void)unused;
    {own_t} *own = {ident}_get(self);
    if (own == NULL) return NULL;
    {drop_fn}(*own);
    if ({ident}_retire(self) < 0) return NULL;
    Py_RETURN_NONE;
}}

static PyObject *{ident}_enter(PyObject *self, PyObject *unused) {{
    (void)unused;
    if ({ident}_get(self) == NULL) return NULL;
    return Py_NewRef(self);
}}

static PyObject *{ident}_exit(PyObject *self, PyObject *args) {{
    (void)args;
    PyObject *closed = {ident}_close(self, NULL);
    if (closed == NULL) return NULL;
    Py_DECREF(closed);
    Py_RETURN_FALSE;
}}

static void {ident}_dealloc(PyObject *self) {{
    PyTypeObject *type = Py_TYPE(self);
    Py_XDECREF((({ident}_object *)self)->handle);
    type->tp_free(self);
    Py_DECREF(type);
}}

"#
        )
    }

    /// The class: methods table, type spec and `tp_new` (the constructor, if any).
    pub fn class(
        &self,
        module: &str,
        methods: &str,
        constructor: Option<&str>,
        doc: &str,
    ) -> String {
        let Self { ident, class, .. } = self;
        let new = match constructor {
            Some(ctor) => format!(
                "static PyObject *{ident}_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {{\n    (void)type;\n    if (kwds != NULL && PyDict_GET_SIZE(kwds) > 0) {{\n        PyErr_SetString(PyExc_TypeError, \"{class}() takes positional arguments only\");\n        return NULL;\n    }}\n    return {ctor}(NULL, &PyTuple_GET_ITEM(args, 0), PyTuple_GET_SIZE(args));\n}}\n\n"
            ),
            None => format!("static PyObject *{ident}_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {{\n    (void)type; (void)args; (void)kwds;\n    PyErr_SetString(PyExc_TypeError, \"{class} has no constructor; get one from the functions that return it\");\n    return NULL;\n}}\n\n"),
        };
        format!(
            "{new}static PyMethodDef {ident}_methods[] = {{\n{methods}    {{\"close\", {ident}_close, METH_NOARGS, \"Release the resource now; using it afterwards raises ValueError.\"}},\n    {{\"__enter__\", {ident}_enter, METH_NOARGS, NULL}},\n    {{\"__exit__\", {ident}_exit, METH_VARARGS, \"Close on leaving the with block.\"}},\n    {{NULL, NULL, 0, NULL}},\n}};\n\n\
static PyType_Slot {ident}_slots[] = {{\n    {{Py_tp_new, {ident}_new}},\n    {{Py_tp_dealloc, {ident}_dealloc}},\n    {{Py_tp_methods, {ident}_methods}},\n    {{Py_tp_doc, (void *){doc}}},\n    {{0, NULL}},\n}};\n\n\
static PyType_Spec {ident}_spec = {{\"{module}.{class}\", sizeof({ident}_object), 0, Py_TPFLAGS_DEFAULT, {ident}_slots}};\n\n"
        )
    }
}
