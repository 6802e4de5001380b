//! cargo-pylon: run CPython as a WebAssembly component and extend it with caps.
//!
//! The commands (`commands/`) are thin; the work lives in domain modules.

pub mod audit;
pub mod bench;
pub mod bindgen;
pub mod buildinfo;
pub mod capbuild;
pub mod cgen;
pub mod cext;
pub mod cli;
pub mod commands;
pub mod component;
pub mod compose;
pub mod discover;
pub mod drift;
pub mod exit;
pub mod facts;
pub mod inspect;
pub mod interpreter;
pub mod launch;
pub mod library;
pub mod licenses;
pub mod manifest;
pub mod newcap;
pub mod plug;
pub mod preinit;
pub mod providers;
pub mod pypi;
pub mod relink;
pub mod scratch;
pub mod serving;
pub mod smoke;
pub mod stage;
pub mod stamp;
pub mod upstream;
