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

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use wasmparser::{DataKind, ElementItems, ElementKind, Operator, Parser, Payload, ValType};

/// A function type in wasm32 C: its number of i32 parameters and whether it returns one.
type Shape = (usize, bool);

/// The type each function slot of `PyType_Slot` is called with (typeslots.h; every
/// pointer, `Py_ssize_t`, `Py_hash_t` and `int` is an i32 on wasm32). Data slots
/// (`Py_tp_doc`, `Py_tp_methods`, ...) are absent.
fn slot(id: u32) -> Option<(&'static str, Shape)> {
    let unary = (1, true);
    let binary = (2, true);
    let ternary = (3, true);
    Some(match id {
        1 => ("bf_getbuffer", ternary),
        2 => ("bf_releasebuffer", (2, false)),
        3 => ("mp_ass_subscript", ternary),
        4 => ("mp_length", unary),
        5 => ("mp_subscript", binary),
        6 | 9 | 11 | 13 | 26 | 27 | 30 | 32 => ("nb_ unary", unary),
        7 | 8 | 10 | 12 | 14..=19 | 21..=25 | 28 | 29 | 31 | 34..=38 | 75 | 76 => {
            ("nb_ binary", binary)
        }
        20 | 33 => ("nb_power", ternary),
        39 => ("sq_ass_item", ternary),
        40..=44 | 46 => ("sq_ binary", binary),
        45 => ("sq_length", unary),
        47 => ("tp_alloc", binary),
        50 => ("tp_call", ternary),
        51 => ("tp_clear", unary),
        52 => ("tp_dealloc", (1, false)),
        53 => ("tp_del", (1, false)),
        54 => ("tp_descr_get", ternary),
        55 => ("tp_descr_set", ternary),
        57 | 58 => ("tp_getattr", binary),
        59 => ("tp_hash", unary),
        60 => ("tp_init", ternary),
        61 => ("tp_is_gc", unary),
        62 => ("tp_iter", unary),
        63 => ("tp_iternext", unary),
        65 => ("tp_new", ternary),
        66 => ("tp_repr", unary),
        67 => ("tp_richcompare", ternary),
        68 | 69 => ("tp_setattr", ternary),
        70 => ("tp_str", unary),
        71 => ("tp_traverse", ternary),
        74 => ("tp_free", (1, false)),
        77..=79 => ("am_ unary", unary),
        80 => ("tp_finalize", (1, false)),
        81 => ("am_send", ternary),
        82 => ("tp_vectorcall", (4, true)),
        _ => return None,
    })
}

/// Slot numbers that hold data, not functions.
fn data_slot(id: u32) -> bool {
    matches!(id, 48 | 49 | 56 | 64 | 72 | 73 | 83)
}

/// The type a `PyMethodDef` with `flags` is called with.
fn method(flags: u32) -> Option<Shape> {
    // METH_CLASS, METH_STATIC and METH_COEXIST do not change the call.
    Some(match flags & !0x70 {
        0x01 | 0x04 | 0x08 => (2, true),
        0x03 | 0x80 => (3, true),
        0x82 => (4, true),
        0x282 => (5, true),
        _ => return None,
    })
}

/// One function reached through the wrong type.
#[derive(Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub function: String,
    pub reached_as: String,
    pub expected: Shape,
    pub actual: String,
}

/// The linked module's memory image, its table and its functions' types and names.
struct Image {
    segments: Vec<(u32, Vec<u8>)>,
    table: BTreeMap<u32, u32>,
    func_types: Vec<u32>,
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    names: BTreeMap<u32, String>,
}

impl Image {
    fn parse(module: &[u8]) -> Result<Self> {
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

    fn u32_at(&self, addr: u32) -> Option<u32> {
        self.bytes(addr, 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn bytes(&self, addr: u32, len: u32) -> Option<&[u8]> {
        self.segments.iter().find_map(|(start, bytes)| {
            let from = addr.checked_sub(*start)? as usize;
            bytes.get(from..from + len as usize)
        })
    }

    /// A NUL-terminated identifier at `addr`.
    fn identifier(&self, addr: u32) -> Option<String> {
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
    fn text(&self, addr: u32) -> bool {
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
    fn function(&self, index: u32) -> Option<(String, Option<Shape>, String)> {
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

    fn check(&self, reached_as: String, index: u32, expected: Shape, out: &mut Vec<Mismatch>) {
        if let Some((function, shape, actual)) = self.function(index) {
            if shape != Some(expected) {
                out.push(Mismatch {
                    function,
                    reached_as,
                    expected,
                    actual,
                });
            }
        }
    }

    /// A `PyType_Slot` array at `addr` (at least two slots, all known, one of them a
    /// type's own, then `{0, NULL}`):
    /// its length in bytes, with the mismatches found in it.
    fn slots(&self, addr: u32, out: &mut Vec<Mismatch>) -> Option<u32> {
        let mut pairs = Vec::new();
        let mut at = addr;
        loop {
            let (id, pointer) = (self.u32_at(at)?, self.u32_at(at + 4)?);
            if id == 0 && pointer == 0 {
                break;
            }
            let known = slot(id).is_some_and(|_| self.table.contains_key(&pointer))
                || (data_slot(id) && pointer != 0);
            if !known || pairs.iter().any(|(seen, _)| *seen == id) {
                return None;
            }
            pairs.push((id, pointer));
            at += 8;
        }
        // Other data shares the layout ({id, pointer}, then zeroes: PyModuleDef_Slot,
        // OpenSSL's OSSL_DISPATCH, a static type's fields): a type's slots hold a
        // deallocator or constructor of the right type, a docstring, or a method table.
        if pairs.len() < 2
            || !pairs
                .iter()
                .any(|(id, pointer)| self.anchors(*id, *pointer))
        {
            return None;
        }
        for (id, pointer) in pairs {
            if let Some((name, expected)) = slot(id) {
                self.check(format!("slot {id} ({name})"), pointer, expected, out);
            }
            if id == SLOT_GETSET {
                self.getsets(pointer, out);
            }
        }
        Some(at + 8 - addr)
    }

    /// Whether slot `id` holding `pointer` is one only a type's slots hold.
    fn anchors(&self, id: u32, pointer: u32) -> bool {
        let shaped = |expected: Shape| {
            self.function(pointer)
                .is_some_and(|(_, shape, _)| shape == Some(expected))
        };
        match id {
            52 => shaped((1, false)),
            65 => shaped((3, true)),
            56 => self.text(pointer),
            64 => self.methods(pointer, &mut Vec::new()).is_some(),
            _ => false,
        }
    }

    /// A `PyMethodDef` array at `addr` (at least two named entries with known flags,
    /// then a zeroed entry): its length in bytes, with the mismatches found in it.
    fn methods(&self, addr: u32, out: &mut Vec<Mismatch>) -> Option<u32> {
        let mut entries = Vec::new();
        let mut at = addr;
        loop {
            let record = self.bytes(at, 16)?;
            if record.iter().all(|b| *b == 0) {
                break;
            }
            let (name, meth, flags) =
                (self.u32_at(at)?, self.u32_at(at + 4)?, self.u32_at(at + 8)?);
            let name = self.identifier(name)?;
            let shape = method(flags)?;
            // The docstring is absent or text (which tells a PyMemberDef, 20 bytes with
            // its flags where the docstring would be, from a method).
            let doc = self.u32_at(at + 12)?;
            if !self.table.contains_key(&meth) || (doc != 0 && !self.text(doc)) {
                return None;
            }
            entries.push((name, meth, shape));
            at += 16;
        }
        // One entry alone could be another table read at the wrong stride.
        if entries.len() < 2 {
            return None;
        }
        for (name, meth, shape) in entries {
            self.check(format!("method {name}"), meth, shape, out);
        }
        Some(at + 16 - addr)
    }
}

impl Image {
    /// The `PyGetSetDef` array at `addr`, which a type names as its getsets (a static
    /// type's `tp_getset`, or a `Py_tp_getset` slot): every getter and setter in it is
    /// checked. Only arrays a type names are read: at a 20-byte stride, too much other
    /// data (OpenSSL's ASN.1 templates, expat's handler table) looks like one.
    fn getsets(&self, addr: u32, out: &mut Vec<Mismatch>) {
        let mut at = addr;
        while let Some(record) = self.bytes(at, 20) {
            if record.iter().all(|b| *b == 0) {
                break;
            }
            let (Some(name), Some(get), Some(set)) = (
                self.u32_at(at).and_then(|n| self.identifier(n)),
                self.u32_at(at + 4),
                self.u32_at(at + 8),
            ) else {
                return;
            };
            if get != 0 {
                self.check(format!("getter of {name}"), get, (2, true), out);
            }
            if set != 0 {
                self.check(format!("setter of {name}"), set, (3, true), out);
            }
            at += 20;
        }
    }

    /// A static `PyTypeObject` at `addr` (immortal, named, of a plausible size): its
    /// getsets are checked. Never consumes the bytes: other tables may start inside.
    fn static_type(&self, addr: u32, out: &mut Vec<Mismatch>) {
        let field = |offset: u32| self.u32_at(addr + offset);
        if field(0) != Some(IMMORTAL_REFCNT)
            || field(8) != Some(0)
            || !field(12).is_some_and(|name| self.text(name))
            || !field(16).is_some_and(|size| (8..1 << 20).contains(&size))
        {
            return;
        }
        if let Some(getset) = field(TP_GETSET).filter(|p| *p != 0) {
            self.getsets(getset, out);
        }
    }
}

/// A static object's reference count on 32-bit CPython (`_Py_IMMORTAL_REFCNT`).
const IMMORTAL_REFCNT: u32 = u32::MAX >> 2;
/// Where `tp_getset` sits in a `PyTypeObject` on wasm32: 31 four-byte fields in.
const TP_GETSET: u32 = 124;
/// The `Py_tp_getset` slot.
const SLOT_GETSET: u32 = 73;

fn constant(expr: &wasmparser::ConstExpr) -> Result<u32> {
    match expr.get_operators_reader().read()? {
        Operator::I32Const { value } => Ok(value as u32),
        other => bail!("a segment offset that is not a constant: {other:?}"),
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
                .or_else(|| image.methods(at, &mut out));
            at += step.unwrap_or(4);
        }
    }
    // A getset array two types share is reported once.
    out.sort_by(|a, b| (&a.function, &a.reached_as).cmp(&(&b.function, &b.reached_as)));
    out.dedup();
    Ok(out)
}

/// Fail when the linked interpreter `core` reaches a function with the wrong type.
pub fn check(core: &std::path::Path) -> Result<()> {
    let module = std::fs::read(core).with_context(|| format!("cannot read {}", core.display()))?;
    let found = mismatches(&module)?;
    if found.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = found
        .iter()
        .map(|m| {
            format!(
                "  {} is reached as {}, which calls it with {} i32 argument(s) and {}, but it is {}",
                m.function,
                m.reached_as,
                m.expected.0,
                if m.expected.1 { "an i32 result" } else { "no result" },
                m.actual
            )
        })
        .collect();
    bail!(
        "{} calls would trap (`indirect call type mismatch`) in {}:\n{}\n  fix: declare each function with exactly the type of its slot (or of its METH_* flags), for example `static int f(PyObject *self)` for tp_clear",
        found.len(),
        core.display(),
        lines.join("\n")
    )
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
