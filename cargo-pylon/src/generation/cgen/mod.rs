//! Generating a CPython extension module from a cap's import world, on top of
//! wit-bindgen-c's bindings (pylon's own code; the output lives in the target folder).

mod convert;
pub mod header;
mod resource;
mod stub;
mod to_python;
mod wrapper;

use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use wit_parser::{FunctionKind, Resolve, WorldItem, WorldKey};

pub use convert::camel;
use convert::Converters;
use header::Header;
use resource::Resource;
use wrapper::function;

const PRELUDE: &str = include_str!("prelude.c");

/// A generated extension: its C source and its `.pyi` stub.
pub struct Generated {
    pub c: String,
    pub stub: String,
}

/// Built-in exceptions an error mapping may name.
const EXCEPTIONS: &[&str] = &[
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "LookupError",
    "OSError",
    "FileNotFoundError",
    "FileExistsError",
    "PermissionError",
    "TimeoutError",
    "ConnectionError",
    "RuntimeError",
    "NotImplementedError",
    "OverflowError",
    "UnicodeError",
    "EOFError",
    "MemoryError",
];

/// Generate `module` for `world`, given wit-bindgen-c's header text and file name;
/// `errors` maps WIT error cases or type names to built-in exception names. An `isolated`
/// extension (a runtime-linked cap's) asks after every call whether the provider trapped,
/// and raises `pylon.CapCrashed` if it did.
pub fn generate(
    resolve: &Resolve,
    world: wit_parser::WorldId,
    header_text: &str,
    header_name: &str,
    module: &str,
    errors: &std::collections::BTreeMap<String, String>,
    isolated: bool,
) -> Result<Generated> {
    for (case, exception) in errors {
        if !EXCEPTIONS.contains(&exception.as_str()) {
            bail!("[workspace.metadata.pylon.errors] {case:?} = {exception:?}: not a built-in exception pylon maps to; use one of {}", EXCEPTIONS.join(", "));
        }
    }
    let header = Header::parse(header_text)?;
    let mut conv = Converters::new(resolve, &header, module);
    conv.errors = errors.clone();
    conv.isolated = isolated;
    let interfaces: Vec<_> = resolve.worlds[world]
        .imports
        .iter()
        .filter_map(|(key, item)| match item {
            WorldItem::Interface { id, .. } => Some((key, *id)),
            _ => None,
        })
        .filter(|(_, id)| {
            resolve.interfaces[*id]
                .package
                .is_some_and(|p| resolve.packages[p].name.namespace != "wasi")
        })
        .collect();
    let prefix_names = interfaces.len() > 1;
    let (mut functions, mut table) = (String::new(), String::new());
    let mut stub = stub::Stub::new(resolve);
    let (mut stub_functions, mut stub_methods) = (
        String::new(),
        std::collections::BTreeMap::<wit_parser::TypeId, String>::new(),
    );
    // Per resource: (methods table entries, constructor wrapper, docs).
    let mut classes: std::collections::BTreeMap<wit_parser::TypeId, (String, Option<String>)> =
        Default::default();
    for (key, id) in &interfaces {
        let iface = &resolve.interfaces[*id];
        let c_prefix = c_prefix(resolve, key, *id)?;
        for func in iface.functions.values() {
            let item = snake(func.item_name());
            let doc = c_string(func.docs.contents.as_deref().unwrap_or("").trim());
            let context = || format!("generating `{}`", func.name);
            match func.kind {
                FunctionKind::Freestanding => {
                    let py_name = if prefix_names {
                        format!("{}_{item}", snake(iface.name.as_deref().unwrap_or("")))
                    } else {
                        item.clone()
                    };
                    let c_name = format!("{c_prefix}_{item}");
                    functions.push_str(
                        &function(
                            &mut conv,
                            func,
                            header.function(&c_name)?,
                            &c_name,
                            &py_name,
                            None,
                        )
                        .with_context(context)?,
                    );
                    writeln!(table, "    {{\"{py_name}\", (PyCFunction)(void (*)(void))py_{py_name}, METH_FASTCALL, {doc}}},")?;
                    stub_functions.push_str(&stub.function(func, &py_name, ""));
                    stub_functions.push('\n');
                }
                FunctionKind::Method(res)
                | FunctionKind::Static(res)
                | FunctionKind::Constructor(res) => {
                    let rendered = stub.function(func, &item, "    ");
                    stub_methods.entry(res).or_default().push_str(&rendered);
                    let r = conv.resource(res)?;
                    let (ident, res_snake) = (
                        r.ident.clone(),
                        snake(resolve.types[res].name.as_deref().unwrap_or("")),
                    );
                    let entry = classes.entry(res).or_default();
                    match func.kind {
                        FunctionKind::Constructor(_) => {
                            let c_name = format!("{c_prefix}_constructor_{res_snake}");
                            let py_name = format!("{ident}_init");
                            functions.push_str(
                                &function(
                                    &mut conv,
                                    func,
                                    header.function(&c_name)?,
                                    &c_name,
                                    &py_name,
                                    None,
                                )
                                .with_context(context)?,
                            );
                            classes.get_mut(&res).expect("entry").1 = Some(format!("py_{py_name}"));
                        }
                        FunctionKind::Method(_) => {
                            let c_name = format!("{c_prefix}_method_{res_snake}_{item}");
                            let py_name = format!("{ident}_{item}");
                            writeln!(entry.0, "    {{\"{item}\", (PyCFunction)(void (*)(void))py_{py_name}, METH_FASTCALL, {doc}}},")?;
                            let receiver = conv.resources[&res].ident.clone();
                            functions.push_str(
                                &function(
                                    &mut conv,
                                    func,
                                    header.function(&c_name)?,
                                    &c_name,
                                    &py_name,
                                    Some(&receiver),
                                )
                                .with_context(context)?,
                            );
                        }
                        _ => {
                            let c_name = format!("{c_prefix}_static_{res_snake}_{item}");
                            let py_name = format!("{ident}_{item}");
                            writeln!(entry.0, "    {{\"{item}\", (PyCFunction)(void (*)(void))py_{py_name}, METH_FASTCALL | METH_STATIC, {doc}}},")?;
                            functions.push_str(
                                &function(
                                    &mut conv,
                                    func,
                                    header.function(&c_name)?,
                                    &c_name,
                                    &py_name,
                                    None,
                                )
                                .with_context(context)?,
                            );
                        }
                    }
                }
                _ => bail!(
                    "{}: async functions are not supported by the extension generator",
                    func.name
                ),
            }
        }
    }
    // Resources only passed around (no functions of their own) still need a class.
    let used: Vec<wit_parser::TypeId> = conv.resources.keys().copied().collect();
    for res in used {
        classes.entry(res).or_default();
    }
    let mut class_code = String::new();
    let mut class_inits = String::new();
    for (res, (methods, ctor)) in &classes {
        let r: &Resource = &conv.resources[res];
        let doc = c_string(
            resolve.types[*res]
                .docs
                .contents
                .as_deref()
                .unwrap_or("")
                .trim(),
        );
        class_code.push_str(&r.class(module, methods, ctor.as_deref(), &doc));
        writeln!(class_inits, "    type_{0} = PyType_FromSpec(&{0}_spec);\n    if (type_{0} == NULL || PyModule_AddObjectRef(m, \"{1}\", type_{0}) < 0) goto fail;", r.ident, r.class)?;
    }
    let mut out = String::from(PRELUDE);
    writeln!(out, "#include \"{header_name}\"\n")?;
    if isolated {
        out.push_str("/* pylon's isolation glue: raises pylon.CapCrashed if the last call trapped. */\nint pylon_cap_crashed(void);\n\n");
    }
    for var in conv.types.keys() {
        writeln!(out, "static PyObject *{var};")?;
    }
    for resource in conv.resources.values() {
        out.push_str(&resource.support());
    }
    for declaration in conv.declarations.values() {
        out.push_str(declaration);
    }
    out.push('\n');
    for helper in conv.helpers.values() {
        out.push_str(helper);
        out.push('\n');
    }
    out.push_str(&functions);
    out.push_str(&class_code);
    write!(
        out,
        "static PyMethodDef methods[] = {{\n{table}    {{NULL, NULL, 0, NULL}},\n}};\n\n\
static struct PyModuleDef module_def = {{PyModuleDef_HEAD_INIT, .m_name = \"{module}\", .m_doc = \"Generated by pylon from the cap's WIT.\", .m_size = -1, .m_methods = methods}};\n\n\
PyMODINIT_FUNC PyInit_{module}(void) {{\n    PyObject *m = PyModule_Create(&module_def);\n    if (m == NULL) return NULL;\n    module_error = PyErr_NewException(\"{module}.Error\", NULL, NULL);\n    if (module_error == NULL || PyModule_AddObjectRef(m, \"Error\", module_error) < 0) goto fail;\n{types}{class_inits}    return m;\nfail:\n    Py_DECREF(m);\n    return NULL;\n}}\n",
        types = type_inits(&conv.types),
    )?;
    for res in conv.resources.keys() {
        stub_methods.entry(*res).or_default();
    }
    let mut stub_text = String::from(stub::HEADER);
    // Resources without functions of their own are still classes in the stub.
    for res in stub_methods.keys() {
        stub.class(*res);
    }
    stub_text.push_str(&stub.classes(&stub_methods)?);
    stub_text.push_str(&stub_functions);
    Ok(Generated {
        c: out,
        stub: stub_text,
    })
}

/// Create the module's record, enum and flags types in `PyInit`.
fn type_inits(types: &std::collections::BTreeMap<String, (String, String)>) -> String {
    if types.is_empty() {
        return String::new();
    }
    let mut out = String::from("    PyObject *collections = PyImport_ImportModule(\"collections\");\n    PyObject *enum_module = PyImport_ImportModule(\"enum\");\n    if (collections == NULL || enum_module == NULL) {\n        Py_XDECREF(collections);\n        Py_XDECREF(enum_module);\n        goto fail;\n    }\n");
    for (var, (py_name, init)) in types {
        out.push_str(init);
        out.push_str(&format!("    if ({var} == NULL || PyModule_AddObjectRef(m, \"{py_name}\", {var}) < 0) {{\n        Py_DECREF(collections);\n        Py_DECREF(enum_module);\n        goto fail;\n    }}\n"));
    }
    out.push_str("    Py_DECREF(collections);\n    Py_DECREF(enum_module);\n");
    out
}

/// `pylon_kinds_echo` for interface `echo` of package `pylon:kinds`.
pub(crate) fn interface_prefix(resolve: &Resolve, id: wit_parser::InterfaceId) -> Result<String> {
    let iface = &resolve.interfaces[id];
    let package = iface
        .package
        .map(|p| &resolve.packages[p].name)
        .context("an interface outside any package")?;
    let name = iface.name.as_deref().context("an unnamed interface")?;
    Ok(format!(
        "{}_{}_{}",
        snake(&package.namespace),
        snake(&package.name),
        snake(name)
    ))
}

fn c_prefix(resolve: &Resolve, key: &WorldKey, id: wit_parser::InterfaceId) -> Result<String> {
    let iface = &resolve.interfaces[id];
    let package = iface
        .package
        .map(|p| &resolve.packages[p].name)
        .context("an interface outside any package")?;
    let name = match key {
        WorldKey::Name(name) => name.clone(),
        WorldKey::Interface(_) => iface.name.clone().context("an unnamed interface")?,
    };
    Ok(format!(
        "{}_{}_{}",
        snake(&package.namespace),
        snake(&package.name),
        snake(&name)
    ))
}

fn snake(name: &str) -> String {
    name.replace('-', "_")
}

fn c_string(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}
