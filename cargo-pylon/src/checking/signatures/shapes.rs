//! The types CPython calls the functions in its tables with, on wasm32.

/// A function type in wasm32 C: its number of i32 parameters and whether it returns one.
pub type Shape = (usize, bool);

/// The type each function slot of `PyType_Slot` is called with (typeslots.h; every
/// pointer, `Py_ssize_t`, `Py_hash_t` and `int` is an i32 on wasm32). Data slots
/// (`Py_tp_doc`, `Py_tp_methods`, ...) are absent.
pub(super) fn slot(id: u32) -> Option<(&'static str, Shape)> {
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
pub(super) fn data_slot(id: u32) -> bool {
    matches!(id, 48 | 49 | 56 | 64 | 72 | 73 | 83)
}

/// The type a `PyMethodDef` with `flags` is called with.
pub(super) fn method(flags: u32) -> Option<Shape> {
    // METH_CLASS, METH_STATIC and METH_COEXIST do not change the call.
    Some(match flags & !0x70 {
        0x01 | 0x04 | 0x08 => (2, true),
        0x03 | 0x80 => (3, true),
        0x82 => (4, true),
        0x282 => (5, true),
        _ => return None,
    })
}

/// A static object's reference count on 32-bit CPython (`_Py_IMMORTAL_REFCNT`).
pub(super) const IMMORTAL_REFCNT: u32 = u32::MAX >> 2;
/// Where `tp_getset` sits in a `PyTypeObject` on wasm32: 31 four-byte fields in.
pub(super) const TP_GETSET: u32 = 124;
/// `tp_methods`'s offset in a wasm32 `PyTypeObject`.
pub(super) const TP_METHODS: u32 = 116;
/// The `Py_tp_getset` slot.
pub(super) const SLOT_GETSET: u32 = 73;
/// `Py_tp_methods`.
pub(super) const SLOT_METHODS: u32 = 64;
