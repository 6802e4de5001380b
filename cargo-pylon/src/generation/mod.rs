//! Generation: C bindings from WIT (wit-bindgen-c) and the CPython extensions over them.

pub mod bindgen;
pub mod cgen;
