//! cargo-pylon: run CPython as a WebAssembly component and extend it with caps.
//!
//! The commands (`commands/`) are thin; the work lives in domain modules.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod component;
pub mod exit;
pub mod interpreter;
pub mod launch;
