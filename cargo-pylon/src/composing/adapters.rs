//! Adapters for function pointers declared with fewer parameters than they are called
//! with: a `METH_NOARGS` method written `f(PyObject *self)`, a getter without its
//! closure, a `tp_init` without its keywords. Native C calls ignore the extra
//! arguments, so such code works everywhere but in WebAssembly, whose `call_indirect`
//! checks the callee's type and traps. After the link, each such pointer stored in the
//! interpreter's data is made to name an adapter of the type it is called with, which
//! calls the function with the arguments it takes: what a native call does, in the
//! module. The function itself, and every other pointer to it, are left as they are.
//!
//! The module is rewritten section by section: new types, functions and bodies are
//! appended (so no index moves, and DWARF's code offsets hold), the table grows by one
//! slot per adapter, filled by a new element segment, and the stored pointers change.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use wasm_encoder::{ConstExpr, DataSection, Encode, TableSection, TableType};
use wasmparser::{DataKind, Parser, Payload};

use crate::checking::signatures::{Mismatch, Shape};

/// `module` with an adapter for every pointer in `found` that can have one
/// ([`Mismatch::droppable`]); the number of pointers adapted.
pub fn apply(module: &[u8], found: &[Mismatch]) -> Result<(Vec<u8>, usize)> {
    let sites: Vec<&Mismatch> = found.iter().filter(|m| m.droppable()).collect();
    if sites.is_empty() {
        return Ok((module.to_vec(), 0));
    }
    // One adapter per function and type it is called with.
    let mut adapters: BTreeMap<(u32, Shape), usize> = BTreeMap::new();
    for site in &sites {
        let next = adapters.len();
        adapters.entry((site.func, site.expected)).or_insert(next);
    }
    let adapters: Vec<((u32, Shape), usize)> = {
        let mut list: Vec<_> = adapters.into_iter().collect();
        list.sort_by_key(|(_, order)| *order);
        list
    };
    let layout = Layout::read(module)?;
    let mut new_types: Vec<Shape> = Vec::new();
    let adapter_types: Vec<u32> = adapters
        .iter()
        .map(|((_, shape), _)| layout.type_index(*shape, &mut new_types))
        .collect();
    let first_func = layout.functions;
    let first_slot = layout.table_size;
    let slot_of = |func: u32, shape: Shape| -> u32 {
        let order = adapters
            .iter()
            .find(|(key, _)| *key == (func, shape))
            .map(|(_, order)| *order)
            .expect("every site has an adapter");
        first_slot + order as u32
    };

    let mut out = module[..8].to_vec();
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        let body = &module[range.start as usize..range.end as usize];
        let section: Vec<u8> = match id {
            TYPE => appended(body, new_types.len(), |bytes| {
                for (params, result) in &new_types {
                    func_type(*params, *result, bytes);
                }
            })?,
            FUNCTION => appended(body, adapter_types.len(), |bytes| {
                for ty in &adapter_types {
                    ty.encode(bytes);
                }
            })?,
            TABLE => {
                let mut tables = TableSection::new();
                let Payload::TableSection(reader) = &payload else {
                    unreachable!("a table section")
                };
                for (i, table) in reader.clone().into_iter().enumerate() {
                    let ty = table?.ty;
                    if !ty.element_type.is_func_ref() {
                        bail!("the interpreter's table {i} is not a table of functions");
                    }
                    let grow = if i == 0 { adapters.len() as u64 } else { 0 };
                    tables.table(TableType {
                        element_type: wasm_encoder::RefType::FUNCREF,
                        table64: ty.table64,
                        minimum: ty.initial + grow,
                        maximum: ty.maximum.map(|m| m + grow),
                        shared: ty.shared,
                    });
                }
                section_body(&tables)
            }
            ELEMENT => appended(body, 1, |bytes| {
                // Active, table 0, at the first new slot: the adapters in order.
                0u32.encode(bytes);
                ConstExpr::i32_const(first_slot as i32).encode(bytes);
                adapters.len().encode(bytes);
                for i in 0..adapters.len() {
                    (first_func + i as u32).encode(bytes);
                }
            })?,
            CODE => appended(body, adapters.len(), |bytes| {
                for ((func, _), _) in &adapters {
                    let params = layout.params(*func);
                    let mut code = vec![0u8]; // no locals
                    for i in 0..params {
                        code.push(0x20); // local.get
                        (i as u32).encode(&mut code);
                    }
                    code.push(0x10); // call
                    func.encode(&mut code);
                    code.push(0x0b); // end
                    code.len().encode(bytes);
                    bytes.extend(code);
                }
            })?,
            DATA => {
                let Payload::DataSection(reader) = &payload else {
                    unreachable!("a data section")
                };
                let mut data = DataSection::new();
                for segment in reader.clone() {
                    let segment = segment?;
                    let mut bytes = segment.data.to_vec();
                    match segment.kind {
                        DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => {
                            let start = constant(&offset_expr)?;
                            for site in &sites {
                                let Some(at) = site.site.checked_sub(start) else {
                                    continue;
                                };
                                let at = at as usize;
                                if at + 4 <= bytes.len() {
                                    let slot = slot_of(site.func, site.expected);
                                    bytes[at..at + 4].copy_from_slice(&slot.to_le_bytes());
                                }
                            }
                            data.active(memory_index, &ConstExpr::i32_const(start as i32), bytes);
                        }
                        DataKind::Passive => {
                            data.passive(bytes);
                        }
                    }
                }
                section_body(&data)
            }
            _ => body.to_vec(),
        };
        out.push(id);
        section.len().encode(&mut out);
        out.extend(section);
    }
    Ok((out, sites.len()))
}

const TYPE: u8 = 1;
const FUNCTION: u8 = 3;
const TABLE: u8 = 4;
const ELEMENT: u8 = 9;
const CODE: u8 = 10;
const DATA: u8 = 11;

/// What the rewrite needs to know of the module before it writes anything.
struct Layout {
    /// Every function type, as (i32 parameters, i32 result) where it is one of C's.
    types: Vec<Option<Shape>>,
    /// Each type's parameter count, for every type (C's or not).
    type_params: Vec<usize>,
    /// The type of every function, imports first.
    func_types: Vec<u32>,
    functions: u32,
    table_size: u32,
}

impl Layout {
    fn read(module: &[u8]) -> Result<Self> {
        let mut layout = Layout {
            types: Vec::new(),
            type_params: Vec::new(),
            func_types: Vec::new(),
            functions: 0,
            table_size: 0,
        };
        for payload in Parser::new(0).parse_all(module) {
            match payload? {
                Payload::TypeSection(reader) => {
                    for ty in reader.into_iter_err_on_gc_types() {
                        let ty = ty?;
                        let c_like = ty.params().iter().all(|p| *p == wasmparser::ValType::I32)
                            && ty.results().len() <= 1
                            && ty.results().iter().all(|r| *r == wasmparser::ValType::I32);
                        layout
                            .types
                            .push(c_like.then(|| (ty.params().len(), ty.results().len() == 1)));
                        layout.type_params.push(ty.params().len());
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        if let wasmparser::TypeRef::Func(ty) = import?.ty {
                            layout.func_types.push(ty);
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        layout.func_types.push(ty?);
                    }
                }
                Payload::TableSection(reader) => {
                    if let Some(table) = reader.into_iter().next() {
                        layout.table_size = u32::try_from(table?.ty.initial)
                            .context("a table larger than wasm32 addresses")?;
                    }
                }
                _ => {}
            }
        }
        layout.functions = layout.func_types.len() as u32;
        Ok(layout)
    }

    fn params(&self, func: u32) -> usize {
        self.type_params[self.func_types[func as usize] as usize]
    }

    /// The index of the type `shape`: the module's, or one of `added` (appended after the
    /// module's, and added to when it is new).
    fn type_index(&self, shape: Shape, added: &mut Vec<Shape>) -> u32 {
        if let Some(i) = self.types.iter().position(|t| *t == Some(shape)) {
            return i as u32;
        }
        let at = match added.iter().position(|t| *t == shape) {
            Some(i) => i,
            None => {
                added.push(shape);
                added.len() - 1
            }
        };
        (self.types.len() + at) as u32
    }
}

fn func_type(params: usize, result: bool, bytes: &mut Vec<u8>) {
    bytes.push(0x60);
    params.encode(bytes);
    bytes.extend(std::iter::repeat_n(0x7f, params));
    (result as usize).encode(bytes);
    if result {
        bytes.push(0x7f);
    }
}

/// A vector section's `body` with `more` items appended by `write`. The count keeps its
/// encoded width, so the items after it (code bodies, which DWARF addresses by their
/// offset in the section) stay where they were.
fn appended(body: &[u8], more: usize, write: impl FnOnce(&mut Vec<u8>)) -> Result<Vec<u8>> {
    let mut reader = wasmparser::BinaryReader::new(body, 0);
    let count = reader.read_var_u32()?;
    let width = reader.original_position() as usize;
    let total = count as u64 + more as u64;
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut value = total;
    for i in 0..width.max(leb_width(total)) {
        let last = i + 1 == width.max(leb_width(total));
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        out.push(if last { byte } else { byte | 0x80 });
    }
    out.extend(&body[width..]);
    write(&mut out);
    Ok(out)
}

fn leb_width(mut value: u64) -> usize {
    let mut width = 1;
    while value >= 0x80 {
        value >>= 7;
        width += 1;
    }
    width
}

/// A section of wasm-encoder's, without its size (which its encoding starts with).
fn section_body(section: &impl wasm_encoder::Section) -> Vec<u8> {
    let mut bytes = Vec::new();
    section.encode(&mut bytes);
    let mut reader = wasmparser::BinaryReader::new(&bytes, 0);
    let size = reader.read_var_u32().expect("a section size") as usize;
    let start = reader.original_position() as usize;
    bytes[start..start + size].to_vec()
}

fn constant(expr: &wasmparser::ConstExpr) -> Result<u32> {
    match expr.get_operators_reader().read()? {
        wasmparser::Operator::I32Const { value } => Ok(value as u32),
        other => bail!("a data segment offset that is not a constant: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_keeps_its_width() {
        // 3 in two bytes, then one item byte: 5 items, still in two bytes.
        let body = [0x83, 0x00, 0xaa];
        let out = appended(&body, 2, |b| b.extend([0xbb, 0xcc])).unwrap();
        assert_eq!(out, [0x85, 0x00, 0xaa, 0xbb, 0xcc]);
        let grown = appended(&[0x7f], 1, |_| {}).unwrap();
        assert_eq!(grown, [0x80, 0x01]);
    }
}
