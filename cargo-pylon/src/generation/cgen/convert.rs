//! C helpers that convert between Python objects and wit-bindgen-c values, one pair per
//! C type, emitted once each.
//!
//! `from_py_*` fill a value for a call; what they borrow or allocate is recorded in an
//! arena released after the call (buffers, sequences, arrays). `to_py_*` read a value the
//! bindings returned; the caller frees it with the generated `*_free` afterwards.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use wit_parser::{Resolve, Type, TypeDefKind};

use super::header::Header;
use super::resource::Resource;

pub struct Converters<'a> {
    pub resolve: &'a Resolve,
    pub header: &'a Header,
    /// Helper name -> C code, in a stable order.
    pub helpers: BTreeMap<String, String>,
    /// Helper name -> its prototype, emitted first so helpers may call each other.
    pub declarations: BTreeMap<String, String>,
    /// Python types the module defines (records, enums, flags): C variable -> (Python
    /// name, C statements that create it in `PyInit`).
    pub types: BTreeMap<String, (String, String)>,
    /// Resources the module wraps, by their WIT type.
    pub resources: BTreeMap<wit_parser::TypeId, Resource>,
    pub module: String,
    /// WIT error cases or type names -> built-in exception names.
    pub errors: BTreeMap<String, String>,
    /// Whether calls are checked for a provider crash after they return.
    pub isolated: bool,
}

/// `point` -> `Point`, `http-status` -> `HttpStatus`.
pub fn camel(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn upper(name: &str) -> String {
    name.replace('-', "_").to_ascii_uppercase()
}

/// A helper's name: primitives by their WIT name (`char` and `u32` share `uint32_t`),
/// everything else by its C type, which wit-bindgen-c makes unique per WIT type.
pub(super) fn ident(ty: &Type, ctype: &str) -> String {
    let primitive = match ty {
        Type::Bool => "bool",
        Type::U8 => "u8",
        Type::U16 => "u16",
        Type::U32 => "u32",
        Type::U64 => "u64",
        Type::S8 => "s8",
        Type::S16 => "s16",
        Type::S32 => "s32",
        Type::S64 => "s64",
        Type::F32 => "f32",
        Type::F64 => "f64",
        Type::Char => "char",
        Type::String => "string",
        _ => {
            return ctype
                .trim_end_matches("_t")
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        }
    };
    primitive.to_string()
}

/// The type a wit-bindgen-c pointer points to (`X *ptr`: `X`).
pub(super) fn pointee(ctype: &str) -> String {
    ctype.trim_end_matches('*').trim().to_string()
}

const INTS: &[(&str, &str, &str, &str)] = &[
    ("u8", "0", "UINT8_MAX", "uint8_t"),
    ("u16", "0", "UINT16_MAX", "uint16_t"),
    ("u32", "0", "UINT32_MAX", "uint32_t"),
    ("u64", "0", "UINT64_MAX", "uint64_t"),
    ("s8", "INT8_MIN", "INT8_MAX", "int8_t"),
    ("s16", "INT16_MIN", "INT16_MAX", "int16_t"),
    ("s32", "INT32_MIN", "INT32_MAX", "int32_t"),
    ("s64", "INT64_MIN", "INT64_MAX", "int64_t"),
];

pub(super) fn int_info(
    ty: &Type,
) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
    let name = match ty {
        Type::U8 => "u8",
        Type::U16 => "u16",
        Type::U32 => "u32",
        Type::U64 => "u64",
        Type::S8 => "s8",
        Type::S16 => "s16",
        Type::S32 => "s32",
        Type::S64 => "s64",
        _ => return None,
    };
    INTS.iter().copied().find(|i| i.0 == name)
}

impl<'a> Converters<'a> {
    pub fn new(resolve: &'a Resolve, header: &'a Header, module: &str) -> Self {
        Self {
            resolve,
            header,
            helpers: BTreeMap::new(),
            declarations: BTreeMap::new(),
            types: BTreeMap::new(),
            resources: BTreeMap::new(),
            module: module.to_string(),
            errors: BTreeMap::new(),
            isolated: false,
        }
    }

    /// The resource a handle type refers to (registered on first use).
    pub fn resource(&mut self, id: wit_parser::TypeId) -> Result<&Resource> {
        let mut id = id;
        while let TypeDefKind::Type(Type::Id(inner)) = &self.resolve.types[id].kind {
            id = *inner;
        }
        if !self.resources.contains_key(&id) {
            let resource = Resource::new(self.resolve, id, &self.module)?;
            self.resources.insert(id, resource);
        }
        Ok(&self.resources[&id])
    }

    /// A WIT type with its typedefs followed.
    pub fn kind(&self, ty: &Type) -> Option<&'a TypeDefKind> {
        let mut ty = *ty;
        loop {
            match ty {
                Type::Id(id) => match &self.resolve.types[id].kind {
                    TypeDefKind::Type(inner) => ty = *inner,
                    kind => return Some(kind),
                },
                _ => return None,
            }
        }
    }

    /// The module-level Python type for a record, enum or flags type; returns its C variable.
    pub(super) fn python_type(&mut self, ty: &Type, ctype: &str) -> Result<String> {
        let Type::Id(id) = ty else {
            bail!("only named types have a Python class")
        };
        let def = &self.resolve.types[*id];
        let wit_name = def.name.clone().unwrap_or_else(|| ctype.to_string());
        let py_name = camel(&wit_name);
        let var = format!("type_{}", ident(ty, ctype));
        if self.types.contains_key(&var) {
            return Ok(var);
        }
        let init = match self.kind(ty) {
            Some(TypeDefKind::Record(record)) => {
                let fields: Vec<String> = record
                    .fields
                    .iter()
                    .map(|f| f.name.replace('-', "_"))
                    .collect();
                format!("    {var} = PyObject_CallMethod(collections, \"namedtuple\", \"ss\", \"{py_name}\", \"{}\");\n", fields.join(" "))
            }
            Some(TypeDefKind::Enum(e)) => {
                let names: Vec<String> = e.cases.iter().map(|c| upper(&c.name)).collect();
                format!(
                    "    {var} = make_enum(enum_module, \"IntEnum\", \"{py_name}\", \"{}\", 0);\n",
                    names.join(" ")
                )
            }
            Some(TypeDefKind::Flags(f)) => {
                let names: Vec<String> = f.flags.iter().map(|c| upper(&c.name)).collect();
                format!(
                    "    {var} = make_enum(enum_module, \"IntFlag\", \"{py_name}\", \"{}\", 1);\n",
                    names.join(" ")
                )
            }
            _ => bail!("{wit_name} has no Python class"),
        };
        self.types.insert(var.clone(), (py_name, init));
        Ok(var)
    }

    /// `static int from_py_X(PyObject *o, CTYPE *out, arena_t *arena)`; returns its name.
    pub fn py_to_c(&mut self, ty: &Type, ctype: &str) -> Result<String> {
        let name = format!("from_py_{}", ident(ty, ctype));
        if self.declarations.contains_key(&name) {
            return Ok(name);
        }
        let signature = format!("static int {name}(PyObject *o, {ctype} *out, arena_t *arena)");
        self.declarations
            .insert(name.clone(), format!("{signature};\n"));
        let body = self.py_to_c_body(ty, ctype)?;
        self.helpers.insert(
            name.clone(),
            format!("{signature} {{\n    (void)arena;\n{body}}}\n"),
        );
        Ok(name)
    }

    fn py_to_c_body(&mut self, ty: &Type, ctype: &str) -> Result<String> {
        if let Some((wit, min, max, _)) = int_info(ty) {
            let signed = wit.starts_with('s');
            return Ok(if signed {
                format!(
                    "    if (!PyLong_Check(o)) return type_error(\"int\", o);\n    int overflow = 0;\n    long long x = PyLong_AsLongLongAndOverflow(o, &overflow);\n    if (x == -1 && PyErr_Occurred()) return -1;\n    if (overflow || x < {min} || x > {max}) return range_error(o, \"{wit}\");\n    *out = ({ctype})x;\n    return 0;\n"
                )
            } else {
                format!(
                    "    if (!PyLong_Check(o)) return type_error(\"int\", o);\n    unsigned long long x = PyLong_AsUnsignedLongLong(o);\n    if (x == (unsigned long long)-1 && PyErr_Occurred()) {{\n        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return -1;\n        PyErr_Clear();\n        return range_error(o, \"{wit}\");\n    }}\n    if (x > {max}) return range_error(o, \"{wit}\");\n    (void){min};\n    *out = ({ctype})x;\n    return 0;\n"
                )
            });
        }
        Ok(match ty {
            Type::Bool => "    if (!PyBool_Check(o)) return type_error(\"bool\", o);\n    *out = (o == Py_True);\n    return 0;\n".into(),
            Type::F32 | Type::F64 => format!(
                "    if (!PyFloat_Check(o) && !PyLong_Check(o)) return type_error(\"float\", o);\n    double d = PyFloat_AsDouble(o);\n    if (d == -1.0 && PyErr_Occurred()) return -1;\n    *out = ({ctype})d;\n    return 0;\n"
            ),
            Type::Char => "    if (!PyUnicode_Check(o) || PyUnicode_GetLength(o) != 1) return type_error(\"a one-character str\", o);\n    Py_UCS4 c = PyUnicode_ReadChar(o, 0);\n    if (c >= 0xD800 && c <= 0xDFFF) {\n        PyErr_SetString(PyExc_ValueError, \"a surrogate is not a Unicode scalar value\");\n        return -1;\n    }\n    *out = (uint32_t)c;\n    return 0;\n".into(),
            Type::String => "    if (!PyUnicode_Check(o)) return type_error(\"str\", o);\n    Py_ssize_t n;\n    const char *s = PyUnicode_AsUTF8AndSize(o, &n);\n    if (s == NULL) return -1;\n    out->ptr = (uint8_t *)s;\n    out->len = (size_t)n;\n    return 0;\n".into(),
            Type::Id(_) => match self.kind(ty) {
                Some(TypeDefKind::List(Type::U8)) => "    Py_buffer *view = arena_buffer(arena, o);\n    if (view == NULL) return -1;\n    out->ptr = (uint8_t *)view->buf;\n    out->len = (size_t)view->len;\n    return 0;\n".into(),
                Some(TypeDefKind::List(elem)) => {
                    let elem_c = pointee(&self.header.fields(ctype)?[0].ctype);
                    let conv = self.py_to_c(elem, &elem_c)?;
                    format!(
                        "    if (PyUnicode_Check(o) || PyBytes_Check(o)) return type_error(\"a list\", o);\n    PyObject *seq = arena_sequence(arena, o);\n    if (seq == NULL) return -1;\n    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);\n    {elem_c} *items = arena_alloc(arena, (size_t)n * sizeof({elem_c}));\n    if (items == NULL && n > 0) return -1;\n    for (Py_ssize_t i = 0; i < n; i++) {{\n        if ({conv}(PySequence_Fast_GET_ITEM(seq, i), &items[i], arena) < 0) return -1;\n    }}\n    out->ptr = items;\n    out->len = (size_t)n;\n    return 0;\n"
                    )
                }
                Some(TypeDefKind::Option(inner)) => {
                    let inner_c = self.header.fields(ctype)?[1].ctype.clone();
                    let conv = self.py_to_c(inner, &inner_c)?;
                    format!("    if (o == Py_None) {{\n        out->is_some = false;\n        return 0;\n    }}\n    out->is_some = true;\n    return {conv}(o, &out->val, arena);\n")
                }
                Some(TypeDefKind::Tuple(tuple)) => {
                    let fields = self.header.fields(ctype)?.to_vec();
                    let n = tuple.types.len();
                    let mut body = format!("    PyObject *seq = arena_sequence(arena, o);\n    if (seq == NULL) return -1;\n    if (PySequence_Fast_GET_SIZE(seq) != {n}) {{\n        PyErr_Format(PyExc_TypeError, \"expected a tuple of {n} items, got %zd\", PySequence_Fast_GET_SIZE(seq));\n        return -1;\n    }}\n");
                    for (i, (t, field)) in tuple.types.iter().zip(&fields).enumerate() {
                        let conv = self.py_to_c(t, &field.ctype)?;
                        body.push_str(&format!("    if ({conv}(PySequence_Fast_GET_ITEM(seq, {i}), &out->{}, arena) < 0) return -1;\n", field.name));
                    }
                    body.push_str("    return 0;\n");
                    body
                }
                Some(TypeDefKind::Record(record)) => {
                    let fields = self.header.fields(ctype)?.to_vec();
                    let var = self.python_type(ty, ctype)?;
                    let py_name = self.types[&var].0.clone();
                    let names: Vec<String> = record.fields.iter().map(|f| f.name.replace('-', "_")).collect();
                    let mut body = String::new();
                    for (field, cfield) in record.fields.iter().zip(&fields) {
                        let conv = self.py_to_c(&field.ty, &cfield.ctype)?;
                        let attr = field.name.replace('-', "_");
                        body.push_str(&format!("    {{\n        PyObject *f = arena_own(arena, PyObject_GetAttrString(o, \"{attr}\"));\n        if (f == NULL) {{\n            if (PyErr_ExceptionMatches(PyExc_AttributeError)) {{\n                PyErr_Clear();\n                return type_error(\"a {py_name} (with {})\", o);\n            }}\n            return -1;\n        }}\n        if ({conv}(f, &out->{}, arena) < 0) return -1;\n    }}\n", names.join(", "), cfield.name));
                    }
                    body.push_str("    return 0;\n");
                    body
                }
                Some(TypeDefKind::Enum(e)) => {
                    self.python_type(ty, ctype)?;
                    let n = e.cases.len();
                    format!("    if (!PyLong_Check(o)) return type_error(\"an enum member or int\", o);\n    long x = PyLong_AsLong(o);\n    if (x == -1 && PyErr_Occurred()) return -1;\n    if (x < 0 || x >= {n}) {{\n        PyErr_Format(PyExc_ValueError, \"%R is not a valid case (0..{})\", o);\n        return -1;\n    }}\n    *out = ({ctype})x;\n    return 0;\n", n - 1)
                }
                Some(TypeDefKind::Flags(f)) => {
                    self.python_type(ty, ctype)?;
                    let n = f.flags.len();
                    if n > 32 {
                        bail!("flags with more than 32 members are not supported by the extension generator yet");
                    }
                    format!("    if (!PyLong_Check(o)) return type_error(\"flags or int\", o);\n    unsigned long long x = PyLong_AsUnsignedLongLong(o);\n    if (x == (unsigned long long)-1 && PyErr_Occurred()) return -1;\n    if (x >> {n}) {{\n        PyErr_Format(PyExc_ValueError, \"%R sets flags that do not exist\", o);\n        return -1;\n    }}\n    *out = ({ctype})x;\n    return 0;\n")
                }
                Some(TypeDefKind::Handle(wit_parser::Handle::Borrow(id))) => {
                    let r = self.resource(*id)?;
                    format!("    {} *own = {}_get(o);\n    if (own == NULL) return -1;\n    *out = {}(*own);\n    return 0;\n", r.own_t, r.ident, r.borrow_fn)
                }
                Some(TypeDefKind::Handle(wit_parser::Handle::Own(id))) => {
                    // Ownership moves to the component: the Python object is closed.
                    let r = self.resource(*id)?;
                    format!("    {} *own = {}_get(o);\n    if (own == NULL) return -1;\n    *out = *own;\n    return {}_retire(o);\n", r.own_t, r.ident, r.ident)
                }
                Some(TypeDefKind::Result(r)) => {
                    // Nested results (not a function's own): ("ok", value) or ("err", value).
                    let fields = self.header.fields(ctype)?.to_vec();
                    let mut body = String::from("    if (!PyTuple_Check(o) || PyTuple_GET_SIZE(o) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(o, 0))) return type_error(\"an (\\\"ok\\\" | \\\"err\\\", value) tuple\", o);\n    PyObject *name = PyTuple_GET_ITEM(o, 0), *value = PyTuple_GET_ITEM(o, 1);\n");
                    for (case, ty) in [("ok", &r.ok), ("err", &r.err)] {
                        body.push_str(&format!("    if (PyUnicode_CompareWithASCIIString(name, \"{case}\") == 0) {{\n        out->is_err = {};\n", case == "err"));
                        match ty {
                            Some(t) => {
                                let (member, cfield) = union_member(&fields, case, ctype)?;
                                let conv = self.py_to_c(t, &cfield.ctype)?;
                                body.push_str(&format!("        return {conv}(value, &out->{member}, arena);\n    }}\n"));
                            }
                            None => body.push_str("        return value == Py_None ? 0 : type_error(\"None\", value);\n    }\n"),
                        }
                    }
                    body.push_str("    PyErr_Format(PyExc_ValueError, \"%R is neither \\\"ok\\\" nor \\\"err\\\"\", name);\n    return -1;\n");
                    body
                }
                Some(TypeDefKind::Variant(variant)) => {
                    let fields = self.header.fields(ctype)?.to_vec();
                    let mut body = String::from("    PyObject *name = o, *value = Py_None;\n    if (PyTuple_Check(o) && PyTuple_GET_SIZE(o) == 2) {\n        name = PyTuple_GET_ITEM(o, 0);\n        value = PyTuple_GET_ITEM(o, 1);\n    }\n    if (!PyUnicode_Check(name)) return type_error(\"a (case, value) tuple or a case name\", o);\n");
                    for (i, case) in variant.cases.iter().enumerate() {
                        body.push_str(&format!("    if (PyUnicode_CompareWithASCIIString(name, \"{}\") == 0) {{\n        out->tag = {i};\n", case.name));
                        match &case.ty {
                            Some(t) => {
                                let (member, cfield) = union_member(&fields, &case.name, ctype)?;
                                let conv = self.py_to_c(t, &cfield.ctype)?;
                                body.push_str(&format!("        return {conv}(value, &out->{member}, arena);\n    }}\n"));
                            }
                            None => body.push_str("        return value == Py_None ? 0 : type_error(\"no value for this case\", value);\n    }\n"),
                        }
                    }
                    let cases: Vec<&str> = variant.cases.iter().map(|c| c.name.as_str()).collect();
                    body.push_str(&format!("    PyErr_Format(PyExc_ValueError, \"%R is not a case of this variant ({})\", name);\n    return -1;\n", cases.join(", ")));
                    body
                }
                other => bail!("{} is not supported by the extension generator yet; write the extension in C (extension.source)", describe(other)),
            },
            other => bail!("WIT type {other:?} is not supported by the extension generator yet"),
        })
    }
}

/// The union member (`val.<case>`) holding a variant's or result's payload.
pub(super) fn union_member<'f>(
    fields: &'f [super::header::Param],
    case: &str,
    ctype: &str,
) -> Result<(String, &'f super::header::Param)> {
    let member = format!("val.{}", case.replace('-', "_"));
    let field = fields
        .iter()
        .find(|f| f.name == member)
        .with_context(|| format!("no union member {member} in {ctype}"))?;
    Ok((member, field))
}

pub(super) fn describe(kind: Option<&TypeDefKind>) -> String {
    match kind {
        Some(kind) => format!("WIT {}", kind.as_str()),
        None => "this WIT type".into(),
    }
}
