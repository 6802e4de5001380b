//! Converters from a wit-bindgen-c value to a Python object (`to_py_*`), one per C type.

use anyhow::{bail, Result};
use wit_parser::{Type, TypeDefKind};

use super::convert::{describe, ident, int_info, pointee, union_member, Converters};

impl Converters<'_> {
    /// `static PyObject *to_py_X(const CTYPE *v)`; returns its name.
    pub fn c_to_py(&mut self, ty: &Type, ctype: &str) -> Result<String> {
        let name = format!("to_py_{}", ident(ty, ctype));
        if self.declarations.contains_key(&name) {
            return Ok(name);
        }
        let signature = format!("static PyObject *{name}(const {ctype} *v)");
        self.declarations
            .insert(name.clone(), format!("{signature};\n"));
        let body = self.c_to_py_body(ty, ctype)?;
        self.helpers
            .insert(name.clone(), format!("{signature} {{\n{body}}}\n"));
        Ok(name)
    }

    fn c_to_py_body(&mut self, ty: &Type, ctype: &str) -> Result<String> {
        if let Some((wit, ..)) = int_info(ty) {
            return Ok(if wit.starts_with('s') {
                "    return PyLong_FromLongLong((long long)*v);\n".into()
            } else {
                "    return PyLong_FromUnsignedLongLong((unsigned long long)*v);\n".into()
            });
        }
        Ok(match ty {
            Type::Bool => "    return PyBool_FromLong(*v);\n".into(),
            Type::F32 | Type::F64 => "    return PyFloat_FromDouble((double)*v);\n".into(),
            Type::Char => "    return PyUnicode_FromOrdinal((int)*v);\n".into(),
            Type::String => "    return PyUnicode_DecodeUTF8((const char *)v->ptr, (Py_ssize_t)v->len, \"strict\");\n".into(),
            Type::Id(_) => match self.kind(ty) {
                Some(TypeDefKind::List(Type::U8)) => "    return PyBytes_FromStringAndSize((const char *)v->ptr, (Py_ssize_t)v->len);\n".into(),
                Some(TypeDefKind::List(elem)) => {
                    let elem_c = pointee(&self.header.fields(ctype)?[0].ctype);
                    let conv = self.c_to_py(elem, &elem_c)?;
                    format!("    PyObject *list = PyList_New((Py_ssize_t)v->len);\n    if (list == NULL) return NULL;\n    for (size_t i = 0; i < v->len; i++) {{\n        PyObject *item = {conv}(&v->ptr[i]);\n        if (item == NULL) {{\n            Py_DECREF(list);\n            return NULL;\n        }}\n        PyList_SET_ITEM(list, (Py_ssize_t)i, item);\n    }}\n    return list;\n")
                }
                Some(TypeDefKind::Option(inner)) => {
                    let inner_c = self.header.fields(ctype)?[1].ctype.clone();
                    let conv = self.c_to_py(inner, &inner_c)?;
                    format!("    if (!v->is_some) Py_RETURN_NONE;\n    return {conv}(&v->val);\n")
                }
                Some(TypeDefKind::Tuple(tuple)) => {
                    let fields = self.header.fields(ctype)?.to_vec();
                    let n = tuple.types.len();
                    let mut body = format!("    PyObject *tuple = PyTuple_New({n});\n    if (tuple == NULL) return NULL;\n");
                    for (i, (t, field)) in tuple.types.iter().zip(&fields).enumerate() {
                        let conv = self.c_to_py(t, &field.ctype)?;
                        body.push_str(&format!("    PyObject *item{i} = {conv}(&v->{});\n    if (item{i} == NULL) {{\n        Py_DECREF(tuple);\n        return NULL;\n    }}\n    PyTuple_SET_ITEM(tuple, {i}, item{i});\n", field.name));
                    }
                    body.push_str("    return tuple;\n");
                    body
                }
                Some(TypeDefKind::Record(record)) => {
                    let fields = self.header.fields(ctype)?.to_vec();
                    let var = self.python_type(ty, ctype)?;
                    let n = record.fields.len();
                    let mut body = format!("    PyObject *items[{n}] = {{0}};\n    PyObject *record = NULL;\n");
                    for (i, (field, cfield)) in record.fields.iter().zip(&fields).enumerate() {
                        let conv = self.c_to_py(&field.ty, &cfield.ctype)?;
                        body.push_str(&format!("    if ((items[{i}] = {conv}(&v->{})) == NULL) goto done;\n", cfield.name));
                    }
                    body.push_str(&format!("    record = PyObject_Vectorcall({var}, items, {n}, NULL);\ndone:\n    for (int i = 0; i < {n}; i++) Py_XDECREF(items[i]);\n    return record;\n"));
                    body
                }
                Some(TypeDefKind::Handle(wit_parser::Handle::Own(id))) => {
                    let r = self.resource(*id)?;
                    format!("    return {}_wrap(*v);\n", r.ident)
                }
                Some(TypeDefKind::Result(r)) => {
                    let fields = self.header.fields(ctype)?.to_vec();
                    let mut body = String::from("    PyObject *value;\n");
                    for (case, ty, cond) in [("ok", &r.ok, "!v->is_err"), ("err", &r.err, "v->is_err")] {
                        let make = match ty {
                            Some(t) => {
                                let (member, cfield) = union_member(&fields, case, ctype)?;
                                format!("{}(&v->{member})", self.c_to_py(t, &cfield.ctype)?)
                            }
                            None => "Py_NewRef(Py_None)".into(),
                        };
                        body.push_str(&format!("    if ({cond}) {{\n        if ((value = {make}) == NULL) return NULL;\n        return Py_BuildValue(\"(sN)\", \"{case}\", value);\n    }}\n"));
                    }
                    body.push_str("    Py_UNREACHABLE();\n");
                    body
                }
                Some(TypeDefKind::Enum(_)) | Some(TypeDefKind::Flags(_)) => {
                    let var = self.python_type(ty, ctype)?;
                    format!("    return PyObject_CallFunction({var}, \"K\", (unsigned long long)*v);\n")
                }
                Some(TypeDefKind::Variant(variant)) => {
                    let fields = self.header.fields(ctype)?.to_vec();
                    let mut body = String::from("    PyObject *value = NULL;\n    const char *name = NULL;\n    switch (v->tag) {\n");
                    for (i, case) in variant.cases.iter().enumerate() {
                        body.push_str(&format!("    case {i}:\n        name = \"{}\";\n", case.name));
                        match &case.ty {
                            Some(t) => {
                                let (member, cfield) = union_member(&fields, &case.name, ctype)?;
                                let conv = self.c_to_py(t, &cfield.ctype)?;
                                body.push_str(&format!("        value = {conv}(&v->{member});\n        break;\n"));
                            }
                            None => body.push_str("        value = Py_NewRef(Py_None);\n        break;\n"),
                        }
                    }
                    body.push_str("    default:\n        PyErr_SetString(PyExc_ValueError, \"the component returned an unknown variant case\");\n        return NULL;\n    }\n    if (value == NULL) return NULL;\n    PyObject *pair = Py_BuildValue(\"(sN)\", name, value);\n    return pair;\n");
                    body
                }
                other => bail!("{} is not supported by the extension generator yet; write the extension in C (extension.source)", describe(other)),
            },
            other => bail!("WIT type {other:?} is not supported by the extension generator yet"),
        })
    }
}
