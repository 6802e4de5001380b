//! One extension module's symbols kept to itself, as a shared library keeps them.
//!
//! On Linux each extension module of a distribution is its own shared object, and two
//! modules may define the same C name differently (numpy's `random_poisson` returns `long`
//! in `mtrand`, built with `NP_RANDOM_LEGACY`, and `int64_t` in `_generator`). Linked into
//! one interpreter, the names would collide, and wasm-ld would route the calls of one to
//! the other through a trapping stub. So each module is first linked into one relocatable
//! object (`wasm-ld -r`), then every symbol it defines is made local in the object's
//! symbol table but its init function, which is renamed after the module's dotted name so
//! that two `_common` modules of two packages cannot collide either. COMDAT groups are
//! dropped: within the module `wasm-ld -r` already chose one copy of each, and across
//! modules a group must not be merged into a copy another module cannot see.
//!
//! The format is the WebAssembly tool conventions' object file: a `linking` custom
//! section whose symbol table is rewritten in place; relocations refer to symbols by
//! index, and the order is kept.

use anyhow::{bail, Context, Result};

/// `WASM_SYMBOL_TABLE` and `WASM_COMDAT_INFO` subsections of `linking`.
const SYMBOL_TABLE: u8 = 8;
const COMDAT_INFO: u8 = 7;
const LINKING_VERSION: u32 = 2;

const BINDING_WEAK: u32 = 0x1;
const BINDING_LOCAL: u32 = 0x2;
const UNDEFINED: u32 = 0x10;
const EXPORTED: u32 = 0x20;
const EXPLICIT_NAME: u32 = 0x40;

const KIND_DATA: u8 = 1;
const KIND_SECTION: u8 = 3;

/// `object` with every defined symbol local but `init` (the module's `PyInit_<last part>`),
/// which becomes `renamed`.
pub fn localize(object: &[u8], init: &str, renamed: &str) -> Result<Vec<u8>> {
    if object.get(..8) != Some(b"\0asm\x01\0\0\0".as_slice()) {
        bail!("not a WebAssembly object file");
    }
    let mut out = object[..8].to_vec();
    let mut reader = Reader::new(&object[8..]);
    let mut found_linking = false;
    let mut found_init = false;
    while !reader.done() {
        let start = reader.pos;
        let id = reader.u8()?;
        let size = reader.u32()? as usize;
        let payload = reader.bytes(size)?;
        if id == 0 {
            let mut inner = Reader::new(payload);
            if inner.name()? == "linking" {
                found_linking = true;
                let rewritten = linking(inner.rest(), init, renamed, &mut found_init)?;
                let mut section = Vec::new();
                write_name(&mut section, "linking");
                section.extend(rewritten);
                out.push(0);
                write_u32(&mut out, section.len() as u32);
                out.extend(section);
                continue;
            }
        }
        out.extend(&object[8 + start..8 + reader.pos]);
    }
    if !found_linking {
        bail!("a linked module, not a relocatable object (it has no `linking` section)");
    }
    if !found_init {
        bail!("it defines no {init}, the init function of a CPython extension module by that name");
    }
    Ok(out)
}

fn linking(payload: &[u8], init: &str, renamed: &str, found_init: &mut bool) -> Result<Vec<u8>> {
    let mut reader = Reader::new(payload);
    let version = reader.u32()?;
    if version != LINKING_VERSION {
        bail!("linking section version {version}, where pylon reads {LINKING_VERSION}");
    }
    let mut out = Vec::new();
    write_u32(&mut out, version);
    while !reader.done() {
        let kind = reader.u8()?;
        let size = reader.u32()? as usize;
        let sub = reader.bytes(size)?;
        let body = match kind {
            SYMBOL_TABLE => symbols(sub, init, renamed, found_init)?,
            COMDAT_INFO => continue,
            _ => sub.to_vec(),
        };
        out.push(kind);
        write_u32(&mut out, body.len() as u32);
        out.extend(body);
    }
    Ok(out)
}

fn symbols(table: &[u8], init: &str, renamed: &str, found_init: &mut bool) -> Result<Vec<u8>> {
    let mut reader = Reader::new(table);
    let count = reader.u32()?;
    let mut out = Vec::new();
    write_u32(&mut out, count);
    for _ in 0..count {
        let kind = reader.u8()?;
        let flags = reader.u32()?;
        let defined = flags & UNDEFINED == 0;
        // What follows the flags, up to the name (an index), and the name.
        let (index, name) = match kind {
            KIND_DATA => (None, Some(reader.name()?)),
            KIND_SECTION => (Some(reader.u32()?), None),
            _ => {
                let index = reader.u32()?;
                let named = defined || flags & EXPLICIT_NAME != 0;
                (Some(index), if named { Some(reader.name()?) } else { None })
            }
        };
        let data_definition = if kind == KIND_DATA && defined {
            Some((reader.u32()?, reader.u32()?, reader.u32()?))
        } else {
            None
        };
        let is_init = defined && kind != KIND_SECTION && name == Some(init);
        *found_init |= is_init;
        let (flags, name) = if is_init {
            (flags & !BINDING_WEAK, Some(renamed))
        } else if defined && kind != KIND_SECTION {
            ((flags & !(BINDING_WEAK | EXPORTED)) | BINDING_LOCAL, name)
        } else {
            (flags, name)
        };
        out.push(kind);
        write_u32(&mut out, flags);
        if let Some(index) = index {
            write_u32(&mut out, index);
        }
        if let Some(name) = name {
            write_name(&mut out, name);
        }
        if let Some((segment, offset, size)) = data_definition {
            for value in [segment, offset, size] {
                write_u32(&mut out, value);
            }
        }
    }
    if !reader.done() {
        bail!("trailing bytes after the symbol table");
    }
    Ok(out)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn u8(&mut self) -> Result<u8> {
        let byte = *self.bytes.get(self.pos).context("the object ends early")?;
        self.pos += 1;
        Ok(byte)
    }

    fn u32(&mut self) -> Result<u32> {
        let mut value: u64 = 0;
        for shift in (0..35).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return u32::try_from(value).context("a LEB128 number out of range");
            }
        }
        bail!("a LEB128 number too long")
    }

    fn bytes(&mut self, len: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(len).context("a length out of range")?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .context("the object ends early")?;
        self.pos = end;
        Ok(slice)
    }

    fn name(&mut self) -> Result<&'a str> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.bytes(len)?).context("a symbol name that is not UTF-8")
    }

    fn rest(&mut self) -> &'a [u8] {
        let rest = &self.bytes[self.pos..];
        self.pos = self.bytes.len();
        rest
    }
}

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    write_u32(out, name.len() as u32);
    out.extend(name.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object with a symbol table of: a defined function `PyInit_m`, a defined weak
    /// function `helper`, an undefined function `malloc`, a defined data symbol `table`.
    fn object() -> Vec<u8> {
        let mut table = Vec::new();
        write_u32(&mut table, 4);
        for (flags, index, name) in [(0u32, 0u32, "PyInit_m"), (BINDING_WEAK, 1, "helper")] {
            table.push(0);
            write_u32(&mut table, flags);
            write_u32(&mut table, index);
            write_name(&mut table, name);
        }
        table.push(0);
        write_u32(&mut table, UNDEFINED);
        write_u32(&mut table, 2);
        table.push(KIND_DATA);
        write_u32(&mut table, 0);
        write_name(&mut table, "table");
        for value in [0, 16, 8] {
            write_u32(&mut table, value);
        }
        let mut linking = Vec::new();
        write_name(&mut linking, "linking");
        write_u32(&mut linking, LINKING_VERSION);
        linking.push(SYMBOL_TABLE);
        write_u32(&mut linking, table.len() as u32);
        linking.extend(table);
        linking.push(COMDAT_INFO);
        write_u32(&mut linking, 1);
        linking.push(0);
        let mut object = b"\0asm\x01\0\0\0".to_vec();
        object.extend([1, 1, 0]); // an empty type section, kept as it is
        object.push(0);
        write_u32(&mut object, linking.len() as u32);
        object.extend(linking);
        object
    }

    fn symbol_flags(object: &[u8]) -> Vec<(u32, Option<String>)> {
        let mut reader = Reader::new(&object[11..]);
        reader.u8().unwrap();
        reader.u32().unwrap();
        assert_eq!(reader.name().unwrap(), "linking");
        reader.u32().unwrap();
        assert_eq!(reader.u8().unwrap(), SYMBOL_TABLE);
        reader.u32().unwrap();
        let count = reader.u32().unwrap();
        let mut out = Vec::new();
        for _ in 0..count {
            let kind = reader.u8().unwrap();
            let flags = reader.u32().unwrap();
            if kind == KIND_DATA {
                let name = reader.name().unwrap().to_string();
                for _ in 0..3 {
                    reader.u32().unwrap();
                }
                out.push((flags, Some(name)));
            } else {
                reader.u32().unwrap();
                let name = (flags & UNDEFINED == 0).then(|| reader.name().unwrap().to_string());
                out.push((flags, name));
            }
        }
        assert!(reader.done(), "the COMDAT subsection is dropped");
        out
    }

    #[test]
    fn makes_all_but_the_init_function_local() {
        let out = localize(&object(), "PyInit_m", "PyInit_pkg__m").unwrap();
        assert_eq!(&out[8..11], &[1, 1, 0]);
        assert_eq!(
            symbol_flags(&out),
            vec![
                (0, Some("PyInit_pkg__m".into())),
                (BINDING_LOCAL, Some("helper".into())),
                (UNDEFINED, None),
                (BINDING_LOCAL, Some("table".into())),
            ]
        );
    }

    #[test]
    fn refuses_a_module_without_its_init_function() {
        let err = localize(&object(), "PyInit_other", "x").unwrap_err();
        assert!(err.to_string().contains("PyInit_other"), "{err}");
        assert!(localize(b"!<arch>\n", "PyInit_m", "x").is_err());
    }
}
