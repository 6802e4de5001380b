//! The tables of function pointers found in the image, each function checked against
//! the type its table calls it with.

use super::image::Image;
use super::shapes::{
    data_slot, method, slot, IMMORTAL_REFCNT, SLOT_GETSET, SLOT_METHODS, TP_GETSET, TP_METHODS,
};
use super::{Mismatch, Shape};

/// Below this, a table index in an unnamed getset array is taken for a small code.
const LOWEST_LOOSE_INDEX: u32 = 64;

impl Image {
    /// Check the pointer stored at `site` (table index `index`) against `expected`.
    fn check(
        &self,
        reached_as: String,
        site: u32,
        index: u32,
        expected: Shape,
        out: &mut Vec<Mismatch>,
    ) {
        if let Some((function, shape, actual)) = self.function(index) {
            if shape != Some(expected) {
                out.push(Mismatch {
                    function,
                    reached_as,
                    expected,
                    actual,
                    site,
                    index,
                    func: self.table[&index],
                    shape,
                });
            }
        }
    }

    /// A `PyType_Slot` array at `addr` (at least two slots, all known, one of them a
    /// type's own, then `{0, NULL}`):
    /// its length in bytes, with the mismatches found in it.
    pub(super) fn slots(&self, addr: u32, out: &mut Vec<Mismatch>) -> Option<u32> {
        let mut pairs = Vec::new();
        let mut at = addr;
        loop {
            let (id, pointer) = (self.u32_at(at)?, self.u32_at(at + 4)?);
            if id == 0 && pointer == 0 {
                break;
            }
            let known = slot(id).is_some_and(|_| self.table.contains_key(&pointer))
                || (data_slot(id) && pointer != 0);
            if !known || pairs.iter().any(|(seen, _, _)| *seen == id) {
                return None;
            }
            pairs.push((id, pointer, at + 4));
            at += 8;
        }
        // Other data shares the layout ({id, pointer}, then zeroes: PyModuleDef_Slot,
        // OpenSSL's OSSL_DISPATCH, a static type's fields): a type's slots hold a
        // deallocator or constructor of the right type, a docstring, or a method table.
        if pairs.len() < 2
            || !pairs
                .iter()
                .any(|(id, pointer, _)| self.anchors(*id, *pointer))
        {
            return None;
        }
        for (id, pointer, site) in pairs {
            if let Some((name, expected)) = slot(id) {
                self.check(format!("slot {id} ({name})"), site, pointer, expected, out);
            }
            if id == SLOT_GETSET {
                self.getsets(pointer, out);
            }
            if id == SLOT_METHODS {
                self.methods_named(pointer, 1, out);
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
            64 => self.methods_named(pointer, 1, &mut Vec::new()).is_some(),
            _ => false,
        }
    }

    /// A `PyMethodDef` array at `addr` (at least two named entries with known flags,
    /// then a zeroed entry): its length in bytes, with the mismatches found in it.
    pub(super) fn methods(&self, addr: u32, out: &mut Vec<Mismatch>) -> Option<u32> {
        // One entry alone could be another table read at the wrong stride.
        self.methods_named(addr, 2, out)
    }

    /// A `PyMethodDef` array at `addr` of at least `least` entries: a type that names it
    /// (`tp_methods`, `Py_tp_methods`) vouches for one entry alone.
    fn methods_named(&self, addr: u32, least: usize, out: &mut Vec<Mismatch>) -> Option<u32> {
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
            entries.push((name, meth, shape, at + 4));
            at += 16;
        }
        if entries.len() < least {
            return None;
        }
        for (name, meth, shape, site) in entries {
            self.check(format!("method {name}"), site, meth, shape, out);
        }
        Some(at + 16 - addr)
    }

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
                self.check(format!("getter of {name}"), at + 4, get, (2, true), out);
            }
            if set != 0 {
                self.check(format!("setter of {name}"), at + 8, set, (3, true), out);
            }
            at += 20;
        }
    }

    /// A `PyGetSetDef` array at `addr` that no type names in the image (a module that
    /// fills its static types' `tp_getset` in its init function, as regex does): read
    /// only where every entry is unmistakably one, at least two named entries whose getter
    /// is a value-returning function of one or two pointers and whose setter is none or an
    /// int-returning function of two or three, then a zeroed entry. Returns its length in
    /// bytes, with the mismatches found in it.
    pub(super) fn loose_getsets(&self, addr: u32, out: &mut Vec<Mismatch>) -> Option<u32> {
        let shaped = |pointer: u32, allowed: &[Shape]| {
            self.function(pointer)
                .is_some_and(|(_, shape, _)| shape.is_some_and(|s| allowed.contains(&s)))
        };
        let mut getters = Vec::new();
        let mut at = addr;
        loop {
            let record = self.bytes(at, 20)?;
            if record.iter().all(|b| *b == 0) {
                break;
            }
            let (name, get, set, doc) = (
                self.u32_at(at)?,
                self.u32_at(at + 4)?,
                self.u32_at(at + 8)?,
                self.u32_at(at + 12)?,
            );
            self.identifier(name)?;
            // Small numbers that happen to be table indices are another table's codes
            // (OpenSSL's parameter arrays: a name, then its type, 1 to 8), and two entries
            // of a getset array do not share a getter.
            let plausible = get >= LOWEST_LOOSE_INDEX
                && !getters.contains(&get)
                && shaped(get, &[(1, true), (2, true)])
                && (set == 0
                    || (set >= LOWEST_LOOSE_INDEX && shaped(set, &[(2, true), (3, true)])))
                && (doc == 0 || self.text(doc));
            if !plausible {
                return None;
            }
            getters.push(get);
            at += 20;
        }
        if getters.len() < 2 {
            return None;
        }
        self.getsets(addr, out);
        Some(at + 20 - addr)
    }

    /// A static `PyTypeObject` at `addr` (immortal, named, of a plausible size): its
    /// getsets and methods are checked. Never consumes the bytes: other tables may start inside.
    pub(super) fn static_type(&self, addr: u32, out: &mut Vec<Mismatch>) {
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
        if let Some(methods) = field(TP_METHODS).filter(|p| *p != 0) {
            self.methods_named(methods, 1, out);
        }
    }
}
