//! The `.pyi` stub of a generated extension: signatures, classes and docstrings, so
//! editors and type checkers see what the module offers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use wit_parser::{Docs, Function, FunctionKind, Handle, Resolve, Type, TypeDefKind, TypeId};

use super::convert::camel;

pub struct Stub<'a> {
    resolve: &'a Resolve,
    /// Classes by WIT type, in order of first use.
    classes: BTreeMap<TypeId, String>,
}

impl<'a> Stub<'a> {
    pub fn new(resolve: &'a Resolve) -> Self {
        Self {
            resolve,
            classes: BTreeMap::new(),
        }
    }

    /// The Python annotation for `ty`; `arg` for parameters (which accept more).
    fn annotation(&mut self, ty: &Type, arg: bool) -> String {
        match ty {
            Type::Bool => "bool".into(),
            Type::U8
            | Type::U16
            | Type::U32
            | Type::U64
            | Type::S8
            | Type::S16
            | Type::S32
            | Type::S64 => "int".into(),
            Type::F32 | Type::F64 => {
                if arg {
                    "float | int".into()
                } else {
                    "float".into()
                }
            }
            Type::Char | Type::String => "str".into(),
            Type::ErrorContext => "object".into(),
            Type::Id(id) => {
                let def = &self.resolve.types[*id];
                match &def.kind {
                    TypeDefKind::Type(inner) => self.annotation(inner, arg),
                    TypeDefKind::List(Type::U8) => {
                        if arg {
                            "Buffer".into()
                        } else {
                            "bytes".into()
                        }
                    }
                    TypeDefKind::List(elem) => {
                        let inner = self.annotation(elem, arg);
                        if arg {
                            format!("Sequence[{inner}]")
                        } else {
                            format!("list[{inner}]")
                        }
                    }
                    TypeDefKind::Option(inner) => format!("{} | None", self.annotation(inner, arg)),
                    TypeDefKind::Tuple(t) => format!(
                        "tuple[{}]",
                        t.types
                            .iter()
                            .map(|t| self.annotation(t, arg))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    TypeDefKind::Variant(_) => "tuple[str, Any] | str".into(),
                    TypeDefKind::Result(_) => "tuple[str, Any]".into(),
                    TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => self.class(*r),
                    TypeDefKind::Record(_) => self.class(*id),
                    TypeDefKind::Enum(_) | TypeDefKind::Flags(_) => {
                        let name = self.class(*id);
                        if arg {
                            format!("{name} | int")
                        } else {
                            name
                        }
                    }
                    _ => "Any".into(),
                }
            }
        }
    }

    /// The class for a record, enum, flags or resource, listed in the stub once used.
    pub fn class(&mut self, id: TypeId) -> String {
        let mut id = id;
        while let TypeDefKind::Type(Type::Id(inner)) = &self.resolve.types[id].kind {
            id = *inner;
        }
        let name = camel(
            self.resolve.types[id]
                .name
                .as_deref()
                .unwrap_or("Anonymous"),
        );
        self.classes.insert(id, name.clone());
        name
    }

    /// `def name(a: int, /) -> str:` with its docstring, indented by `indent`.
    pub fn function(&mut self, func: &Function, name: &str, indent: &str) -> String {
        let is_method = matches!(func.kind, FunctionKind::Method(_));
        let takes_self = is_method || matches!(func.kind, FunctionKind::Constructor(_));
        let mut params: Vec<String> = func
            .params
            .iter()
            .skip(usize::from(is_method))
            .map(|p| {
                format!(
                    "{}: {}",
                    p.name.replace('-', "_"),
                    self.annotation(&p.ty, true)
                )
            })
            .collect();
        if !params.is_empty() {
            params.push("/".into());
        }
        if takes_self {
            params.insert(0, "self".into());
        }
        let ret = match (&func.kind, &func.result) {
            (FunctionKind::Constructor(_), _) => "None".into(),
            // A function's own result returns the ok value (errors raise).
            (_, Some(Type::Id(id)))
                if matches!(&self.resolve.types[*id].kind, TypeDefKind::Result(_)) =>
            {
                match &self.resolve.types[*id].kind {
                    TypeDefKind::Result(r) => {
                        r.ok.as_ref()
                            .map(|t| self.annotation(t, false))
                            .unwrap_or_else(|| "None".into())
                    }
                    _ => unreachable!("matched a result"),
                }
            }
            (_, Some(ty)) => self.annotation(ty, false),
            (_, None) => "None".into(),
        };
        let name = if matches!(func.kind, FunctionKind::Constructor(_)) {
            "__init__"
        } else {
            name
        };
        let decorator = if matches!(func.kind, FunctionKind::Static(_)) {
            format!("{indent}@staticmethod\n")
        } else {
            String::new()
        };
        format!(
            "{decorator}{indent}def {name}({}) -> {ret}:{}\n",
            params.join(", "),
            docstring(&func.docs, indent)
        )
    }

    /// The class bodies for every record, enum, flags and resource used, with `methods`
    /// (already rendered) inside the resource classes.
    pub fn classes(&self, methods: &BTreeMap<TypeId, String>) -> Result<String> {
        let mut out = String::new();
        for (id, name) in &self.classes {
            let def = &self.resolve.types[*id];
            // A class always has a body, so an undocumented one needs no `...`.
            let doc = match def.docs.contents.as_deref().map(str::trim) {
                Some(text) if !text.is_empty() => docstring(&def.docs, ""),
                _ => String::new(),
            };
            match &def.kind {
                TypeDefKind::Record(record) => {
                    writeln!(out, "class {name}(NamedTuple):{doc}")?;
                    for field in &record.fields {
                        let mut inner = Stub::new(self.resolve);
                        writeln!(
                            out,
                            "    {}: {}",
                            field.name.replace('-', "_"),
                            inner.annotation(&field.ty, false)
                        )?;
                    }
                }
                TypeDefKind::Enum(e) => {
                    writeln!(out, "class {name}(IntEnum):{doc}")?;
                    for (i, case) in e.cases.iter().enumerate() {
                        writeln!(
                            out,
                            "    {} = {i}",
                            case.name.replace('-', "_").to_ascii_uppercase()
                        )?;
                    }
                }
                TypeDefKind::Flags(f) => {
                    writeln!(out, "class {name}(IntFlag):{doc}")?;
                    for (i, flag) in f.flags.iter().enumerate() {
                        writeln!(
                            out,
                            "    {} = {}",
                            flag.name.replace('-', "_").to_ascii_uppercase(),
                            1u64 << i
                        )?;
                    }
                }
                TypeDefKind::Resource => {
                    writeln!(out, "class {name}:{doc}")?;
                    if let Some(body) = methods.get(id) {
                        out.push_str(body);
                    }
                    writeln!(out, "    def close(self) -> None:\n        \"\"\"Release the resource now; using it afterwards raises ValueError.\"\"\"\n    def __enter__(self) -> {name}: ...\n    def __exit__(self, *exc: object) -> bool: ...")?;
                }
                _ => {}
            }
            out.push('\n');
        }
        Ok(out)
    }
}

fn docstring(docs: &Docs, indent: &str) -> String {
    match docs
        .contents
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(text) => format!(
            "\n{indent}    \"\"\"{}\"\"\"",
            text.replace("\"\"\"", "'''")
                .replace('\n', &format!("\n{indent}    "))
        ),
        None => " ...".into(),
    }
}

pub const HEADER: &str = "\"\"\"Generated by pylon from the cap's WIT; do not edit.\"\"\"\n\nfrom collections.abc import Buffer, Sequence\nfrom enum import IntEnum, IntFlag\nfrom typing import Any, NamedTuple\n\n\nclass Error(Exception):\n    \"\"\"Raised with the error value a WIT `result` returned.\"\"\"\n\n\n";
