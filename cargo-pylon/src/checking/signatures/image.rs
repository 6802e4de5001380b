//! Reading the linked module: its memory image, its table, and its functions' types
//! and names.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use wasmparser::{DataKind, ElementItems, ElementKind, Operator, Parser, Payload, ValType};

use super::Shape;

/// The linked module's memory image, its table and its functions' types and names.
pub(super) struct Image {
    pub(super) segments: Vec<(u32, Vec<u8>)>,
    pub(super) table: BTreeMap<u32, u32>,
    pub(super) func_types: Vec<u32>,
    pub(super) types: Vec<(Vec<ValType>, Vec<ValType>)>,
    pub(super) names: BTreeMap<u32, String>,
}

impl Image {
    pub(super) fn parse(module: &[u8]) -> Result<Self> {
        let mut image = Image {
            segments: Vec::new(),
            table: BTreeMap::new(),
            func_types: Vec::new(),
            types: Vec::new(),
            names: BTreeMap::new(),
        };
        for payload in Parser::new(0).parse_all(module) {
            match payload? {
                Payload::TypeSection(reader) => {
                    for ty in reader.into_iter_err_on_gc_types() {
                        let ty = ty?;
                        image
                            .types
                            .push((ty.params().to_vec(), ty.results().to_vec()));
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        if let wasmparser::TypeRef::Func(ty) = import?.ty {
                            image.func_types.push(ty);
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        image.func_types.push(ty?);
                    }
                }
                Payload::ElementSection(reader) => {
                    for element in reader {
                        let element = element?;
                        let ElementKind::Active { offset_expr, .. } = element.kind else {
                            continue;
                        };
                        let start = constant(&offset_expr)?;
                        if let ElementItems::Functions(funcs) = element.items {
                            for (i, func) in funcs.into_iter().enumerate() {
                                image.table.insert(start + i as u32, func?);
                            }
                        }
                    }
                }
                Payload::DataSection(reader) => {
                    for data in reader {
                        let data = data?;
                        if let DataKind::Active { offset_expr, .. } = data.kind {
                            image
                                .segments
                                .push((constant(&offset_expr)?, data.data.to_vec()));
                        }
                    }
                }
                Payload::CustomSection(section) => {
                    if let wasmparser::KnownCustom::Name(names) = section.as_known() {
                        for name in names {
                            if let wasmparser::Name::Function(map) = name? {
                                for naming in map {
                                    let naming = naming?;
                                    image.names.insert(naming.index, naming.name.to_string());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(image)
    }

    pub(super) fn u32_at(&self, addr: u32) -> Option<u32> {
        self.bytes(addr, 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(super) fn bytes(&self, addr: u32, len: u32) -> Option<&[u8]> {
        self.segments.iter().find_map(|(start, bytes)| {
            let from = addr.checked_sub(*start)? as usize;
            bytes.get(from..from + len as usize)
        })
    }

    /// A NUL-terminated identifier at `addr`.
    pub(super) fn identifier(&self, addr: u32) -> Option<String> {
        let (start, bytes) = self
            .segments
            .iter()
            .find(|(start, bytes)| addr >= *start && ((addr - start) as usize) < bytes.len())?;
        let rest = &bytes[(addr - start) as usize..];
        let end = rest.iter().position(|b| *b == 0)?;
        let name = std::str::from_utf8(&rest[..end]).ok()?;
        let mut chars = name.chars();
        (chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| name.to_string())
    }

    /// Whether a NUL-terminated UTF-8 string starts at `addr`.
    pub(super) fn text(&self, addr: u32) -> bool {
        self.segments.iter().any(|(start, bytes)| {
            addr >= *start
                && bytes
                    .get((addr - start) as usize..)
                    .and_then(|rest| rest.iter().position(|b| *b == 0).map(|end| &rest[..end]))
                    .is_some_and(|s| std::str::from_utf8(s).is_ok())
        })
    }

    /// The function at table index `index`, its name and its shape (`None` for types a C
    /// function pointer cannot have).
    pub(super) fn function(&self, index: u32) -> Option<(String, Option<Shape>, String)> {
        let func = *self.table.get(&index)?;
        let (params, results) = self
            .types
            .get(*self.func_types.get(func as usize)? as usize)?;
        let shape = (params.iter().all(|p| *p == ValType::I32)
            && results.len() <= 1
            && results.iter().all(|r| *r == ValType::I32))
        .then_some((params.len(), results.len() == 1));
        let name = self
            .names
            .get(&func)
            .cloned()
            .unwrap_or_else(|| format!("function {func}"));
        Some((name, shape, format!("{params:?} -> {results:?}")))
    }
}

fn constant(expr: &wasmparser::ConstExpr) -> Result<u32> {
    match expr.get_operators_reader().read()? {
        Operator::I32Const { value } => Ok(value as u32),
        other => bail!("a segment offset that is not a constant: {other:?}"),
    }
}
