//! Composing: caps built, extensions compiled, the interpreter relinked, componentized,
//! plugged, pre-initialized and planned into `pylon.wasm` and the files beside it.

pub mod adapters;
pub mod buildinfo;
pub mod capbuild;
pub mod cext;
pub mod component;
pub mod compose;
pub mod extension;
pub mod glue;
pub mod inspect;
pub mod interpreter;
pub mod library;
pub mod plug;
pub mod preinit;
pub mod providers;
pub mod relink;
pub mod stage;
pub mod target;
