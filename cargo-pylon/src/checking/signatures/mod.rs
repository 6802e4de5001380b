//! Function pointers whose type is not the type they are called with.
//!
//! C lets a function be stored in a slot of another function type, and native code calls
//! it anyway; WebAssembly's `call_indirect` checks the callee's type and traps
//! (`indirect call type mismatch`). CPython reaches extension code through two untyped
//! tables of such pointers: `PyType_Slot` arrays (`{Py_tp_clear, f}`: `void *`) and
//! `PyMethodDef` arrays (a `PyCFunction` cast by `ml_flags`), and through `PyGetSetDef`
//! arrays, whose getters are often written without the closure argument. Every module
//! linked into the interpreter, CPython's own, the caps', the library and package caps',
//! lays those arrays out in
//! the linked module's data; this check finds them there and compares each function's
//! type with the one its slot or flags call it with, so a mismatch fails compose instead
//! of trapping a user's program (often at exit, when the collector clears a cycle).

mod image;
mod report;
mod shapes;
mod tables;

use anyhow::{Context, Result};

use image::Image;

pub use report::check;
pub use shapes::Shape;

/// Bumped when the check finds more, so interpreters linked before are checked again.
pub const VERSION: &str = "named-methods-3";

/// One function pointer, stored where it is called with the wrong type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub function: String,
    pub reached_as: String,
    pub expected: Shape,
    pub actual: String,
    /// Where in memory the pointer is stored, and the table index it holds.
    pub site: u32,
    pub index: u32,
    /// The function's index in the module, and its shape when it has one of C's.
    pub func: u32,
    pub shape: Option<Shape>,
}

impl Mismatch {
    /// Whether the function takes fewer arguments than it is called with and returns
    /// what is expected: a native call ignores the extra arguments, and so can an adapter.
    pub fn droppable(&self) -> bool {
        self.shape
            .is_some_and(|(params, result)| params < self.expected.0 && result == self.expected.1)
    }
}

/// Every function the slot and method tables in `module`'s data reach with the wrong type.
pub fn mismatches(module: &[u8]) -> Result<Vec<Mismatch>> {
    let image = Image::parse(module).context("cannot read the interpreter's sections")?;
    let mut out = Vec::new();
    for (start, bytes) in &image.segments {
        let end = start + bytes.len() as u32;
        let mut at = start.next_multiple_of(4);
        while at + 8 <= end {
            image.static_type(at, &mut out);
            let step = image
                .slots(at, &mut out)
                .or_else(|| image.methods(at, &mut out))
                .or_else(|| image.loose_getsets(at, &mut out));
            at += step.unwrap_or(4);
        }
    }
    // A table seen twice (a getset array two types share) is one set of sites.
    out.sort_by(|a, b| {
        (&a.function, &a.reached_as, a.site).cmp(&(&b.function, &b.reached_as, b.site))
    });
    out.dedup_by_key(|m| m.site);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CodeSection, ConstExpr, DataSection, ElementSection, Elements, Function, FunctionSection,
        MemorySection, MemoryType, Module, NameMap, NameSection, RefType, TableSection, TableType,
        TypeSection,
    };

    /// A module with `clear` (of type `clear_params -> clear_result`) and a dealloc in a
    /// slot array, and a METH_NOARGS method taking one argument.
    fn module(clear_params: usize, clear_result: bool) -> Vec<u8> {
        let mut types = TypeSection::new();
        let results: &[wasm_encoder::ValType] = if clear_result {
            &[wasm_encoder::ValType::I32]
        } else {
            &[]
        };
        types.ty().function(
            vec![wasm_encoder::ValType::I32; clear_params],
            results.to_vec(),
        );
        types.ty().function([wasm_encoder::ValType::I32], []);
        types.ty().function(
            [wasm_encoder::ValType::I32; 2],
            [wasm_encoder::ValType::I32],
        );
        let mut functions = FunctionSection::new();
        let mut code = CodeSection::new();
        for (ty, result) in [(0, clear_result), (1, false), (2, true)] {
            functions.function(ty);
            let mut body = Function::new([]);
            if result {
                body.instruction(&wasm_encoder::Instruction::I32Const(0));
            }
            body.instruction(&wasm_encoder::Instruction::End);
            code.function(&body);
        }
        let mut tables = TableSection::new();
        tables.table(TableType {
            element_type: RefType::FUNCREF,
            minimum: 44,
            maximum: None,
            table64: false,
            shared: false,
        });
        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut elements = ElementSection::new();
        elements.active(
            Some(0),
            &ConstExpr::i32_const(41),
            Elements::Functions([0u32, 1, 2].as_slice().into()),
        );
        // Functions at table indices 41 (clear), 42 (dealloc) and 43 (size). Slots at 1024:
        // {tp_clear, 41}, {tp_dealloc, 42}, {tp_getset, 3088}, {0, 0}; the method names at 2048 and their
        // table at 2064: {"reset", 42 (the dealloc), METH_NOARGS, 0}, {"size", 43,
        // METH_NOARGS, 0}, zeroes; getsets at 3072 (names) and 3088: {"size", 43, 0, 0, 0}
        // (a getter of its type), {"ended", 42, 0, 0, 0} (the dealloc, which is not),
        // zeroes.
        let mut image = Vec::new();
        for word in [51u32, 41, 52, 42, 73, 3088, 0, 0] {
            image.extend(word.to_le_bytes());
        }
        let mut methods = b"reset\0size\0\0\0\0\0\0".to_vec();
        for word in [2048u32, 42, 0x04, 0, 2054, 43, 0x04, 0, 0, 0, 0, 0] {
            methods.extend(word.to_le_bytes());
        }
        let mut getsets = b"size\0ended\0\0\0\0\0\0".to_vec();
        for word in [3072u32, 43, 0, 0, 0, 3077, 42, 0, 0, 0, 0, 0, 0, 0, 0] {
            getsets.extend(word.to_le_bytes());
        }
        let mut data = DataSection::new();
        data.active(0, &ConstExpr::i32_const(1024), image);
        data.active(0, &ConstExpr::i32_const(2048), methods);
        data.active(0, &ConstExpr::i32_const(3072), getsets);
        let mut names = NameMap::new();
        names.append(0, "thing_clear");
        names.append(1, "thing_dealloc");
        names.append(2, "thing_size");
        let mut name_section = NameSection::new();
        name_section.functions(&names);
        let mut module = Module::new();
        module
            .section(&types)
            .section(&functions)
            .section(&tables)
            .section(&memories)
            .section(&elements)
            .section(&code)
            .section(&data)
            .section(&name_section);
        module.finish()
    }

    #[test]
    fn finds_a_clear_of_the_wrong_type_and_a_method_with_too_few_parameters() {
        let found = mismatches(&module(1, false)).unwrap();
        let names: Vec<(&str, &str)> = found
            .iter()
            .map(|m| (m.function.as_str(), m.reached_as.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("thing_clear", "slot 51 (tp_clear)"),
                ("thing_dealloc", "getter of ended"),
                ("thing_dealloc", "method reset")
            ]
        );
    }

    #[test]
    fn a_clear_of_the_slots_type_passes() {
        let found = mismatches(&module(1, true)).unwrap();
        assert_eq!(found.len(), 2, "only the method and the getter: {found:?}");
    }
}
