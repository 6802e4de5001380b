//! One Python-callable C wrapper per WIT function: arguments converted from Python,
//! the wit-bindgen-c call, its result (or error) converted back, everything it owned freed.

use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use wit_parser::{Function, Type, TypeDefKind};

use super::convert::{pointee, Converters};
use super::header::{Header, Prototype};

fn free_call(header: &Header, ctype: &str, var: &str) -> String {
    header
        .free_fn(ctype)
        .map(|f| format!("{f}(&{var}); "))
        .unwrap_or_default()
}

/// One Python-callable wrapper.
pub(super) fn function(
    conv: &mut Converters,
    func: &Function,
    proto: &Prototype,
    c_name: &str,
    py_name: &str,
    receiver: Option<&str>,
) -> Result<String> {
    let header = conv.header;
    // A method's first parameter is `self`: the Python instance, lent as a borrow.
    let skip = usize::from(receiver.is_some());
    let n = func.params.len() - skip;
    let mut out = format!("static PyObject *py_{py_name}(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{\n    (void)self;\n");
    writeln!(out, "    if (nargs != {n}) {{\n        PyErr_Format(PyExc_TypeError, \"{py_name}() takes {n} argument{} (%zd given)\", nargs);\n        return NULL;\n    }}", if n == 1 { "" } else { "s" })?;
    out.push_str("    arena_t arena = {0};\n    PyObject *result = NULL;\n");
    let mut call_args = Vec::new();
    if let Some(ident) = receiver {
        let r = conv
            .resources
            .values()
            .find(|r| r.ident == ident)
            .context("an unknown receiver")?;
        writeln!(
            out,
            "    {} *self_own = {ident}_get(self);\n    if (self_own == NULL) return NULL;",
            r.own_t
        )?;
        call_args.push(format!("{}(*self_own)", r.borrow_fn));
    }
    for (i, (param, cparam)) in func
        .params
        .iter()
        .skip(skip)
        .zip(&proto.params[skip..])
        .enumerate()
    {
        let ty = &param.ty;
        if cparam.name.starts_with("maybe_") {
            // A top-level option: NULL for None, else a pointer to the converted value.
            let Some(TypeDefKind::Option(inner)) = conv.kind(ty) else {
                bail!("parameter {} is flattened but not an option", param.name);
            };
            let inner = *inner;
            let ctype = pointee(&cparam.ctype);
            let f = conv.py_to_c(&inner, &ctype)?;
            writeln!(out, "    {ctype} a{i}_val;\n    {ctype} *a{i} = NULL;\n    if (args[{i}] != Py_None) {{\n        if ({f}(args[{i}], &a{i}_val, &arena) < 0) goto done;\n        a{i} = &a{i}_val;\n    }}")?;
            call_args.push(format!("a{i}"));
        } else if cparam.ctype.ends_with('*') {
            let ctype = pointee(&cparam.ctype);
            let f = conv.py_to_c(ty, &ctype)?;
            writeln!(
                out,
                "    {ctype} a{i};\n    if ({f}(args[{i}], &a{i}, &arena) < 0) goto done;"
            )?;
            call_args.push(format!("&a{i}"));
        } else {
            let f = conv.py_to_c(ty, &cparam.ctype)?;
            writeln!(
                out,
                "    {} a{i};\n    if ({f}(args[{i}], &a{i}, &arena) < 0) goto done;",
                cparam.ctype
            )?;
            call_args.push(format!("a{i}"));
        }
    }
    let extra = &proto.params[n + skip..];
    let find = |name: &str| {
        extra
            .iter()
            .find(|p| p.name == name)
            .map(|p| pointee(&p.ctype))
    };
    match &func.result {
        None => {
            writeln!(
                out,
                "    {c_name}({});\n    result = Py_NewRef(Py_None);",
                call_args.join(", ")
            )?;
        }
        Some(ty) => match conv.kind(ty) {
            Some(TypeDefKind::Result(r)) if proto.ret == "bool" => {
                let (ok_c, err_c) = (find("ret"), find("err"));
                let mut args = call_args.clone();
                let mut decl = String::new();
                if let Some(c) = &ok_c {
                    writeln!(decl, "    {c} ret;")?;
                    args.push("&ret".into());
                }
                if let Some(c) = &err_c {
                    writeln!(decl, "    {c} err;")?;
                    args.push("&err".into());
                }
                out.push_str(&decl);
                let ok_conv = match (&r.ok, &ok_c) {
                    (Some(t), Some(c)) => format!(
                        "result = {}(&ret); {}",
                        conv.c_to_py(t, c)?,
                        free_call(header, c, "ret")
                    ),
                    _ => "result = Py_NewRef(Py_None);".into(),
                };
                let err_conv = match (&r.err, &err_c) {
                    (Some(t), Some(c)) => format!(
                        "PyObject *value = {}(&err); {}",
                        conv.c_to_py(t, c)?,
                        free_call(header, c, "err")
                    ),
                    _ => "PyObject *value = Py_NewRef(Py_None);".into(),
                };
                let exception = error_type(conv, r.err.as_ref(), err_c.is_some());
                writeln!(out, "    if ({c_name}({})) {{\n        {ok_conv}\n    }} else {{\n        PyObject *exc_type = {exception};\n        {err_conv}\n        if (value != NULL) {{\n            PyErr_SetObject(exc_type, value);\n            Py_DECREF(value);\n        }}\n    }}", args.join(", "))?;
            }
            Some(TypeDefKind::Option(inner)) if proto.ret == "bool" => {
                let c = find("ret").context("a flattened option return without `ret`")?;
                let to = conv.c_to_py(inner, &c)?;
                let mut args = call_args.clone();
                args.push("&ret".into());
                writeln!(out, "    {c} ret;\n    if ({c_name}({})) {{\n        result = {to}(&ret); {}\n    }} else {{\n        result = Py_NewRef(Py_None);\n    }}", args.join(", "), free_call(header, &c, "ret"))?;
            }
            _ if proto.ret != "void" => {
                let to = conv.c_to_py(ty, &proto.ret)?;
                writeln!(
                    out,
                    "    {} ret = {c_name}({});\n    result = {to}(&ret);",
                    proto.ret,
                    call_args.join(", ")
                )?;
            }
            _ => {
                let c = find("ret").context("a return value without `ret`")?;
                let to = conv.c_to_py(ty, &c)?;
                let mut args = call_args.clone();
                args.push("&ret".into());
                writeln!(
                    out,
                    "    {c} ret;\n    {c_name}({});\n    result = {to}(&ret); {}",
                    args.join(", "),
                    free_call(header, &c, "ret")
                )?;
            }
        },
    }
    if conv.isolated {
        out.push_str("    if (pylon_cap_crashed()) Py_CLEAR(result);\n");
    }
    if n > 0 {
        out.push_str("done:\n");
    }
    out.push_str("    arena_release(&arena);\n    return result;\n}\n\n");
    Ok(out)
}

/// The C expression of the exception type for a `result`'s error: mapped per case (enum
/// and variant errors, read before the value is freed: `err.tag` / `err`), or by the error
/// type's name, else the module's `Error`.
fn error_type(conv: &Converters, err: Option<&Type>, has_err: bool) -> String {
    let mapped = |name: &str| conv.errors.get(name).map(|e| format!("PyExc_{e}"));
    let Some(ty) = err else {
        return "module_error".into();
    };
    if let Type::Id(id) = ty {
        if let Some(name) = conv.resolve.types[*id].name.as_deref() {
            if let Some(exc) = mapped(name) {
                return exc;
            }
        }
    }
    let cases: Vec<&str> = match conv.kind(ty) {
        Some(TypeDefKind::Enum(e)) => e.cases.iter().map(|c| c.name.as_str()).collect(),
        Some(TypeDefKind::Variant(v)) => v.cases.iter().map(|c| c.name.as_str()).collect(),
        _ => Vec::new(),
    };
    if !has_err || cases.iter().all(|c| mapped(c).is_none()) {
        return "module_error".into();
    }
    let selector = if matches!(conv.kind(ty), Some(TypeDefKind::Variant(_))) {
        "err.tag"
    } else {
        "err"
    };
    let arms: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{selector} == {i} ? {} : ",
                mapped(c).unwrap_or_else(|| "module_error".into())
            )
        })
        .collect();
    format!("{}module_error", arms.join(""))
}
