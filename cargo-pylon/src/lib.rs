//! cargo-pylon: run CPython as a WebAssembly component and extend it with caps.
//!
//! The commands (`commands/`) are thin; the work lives in one folder per stage, each
//! importing only from the stages before it: what a `workspace` declares, its Python `packages` locked and fetched, `composing` it
//! into `pylon.wasm` (with the C that `generation` writes), `running` Python in it (over
//! the pylon-runtime crate), `checking` what ships, `scaffolding` new caps, `serving`
//! HTTP, and the `bench`. `support` holds what every stage uses (fingerprints, files,
//! archives, the package index). The guest's own C, WIT and Python are in `guest/`,
//! compiled into the binary.

pub mod bench;
pub mod checking;
pub mod cli;
pub mod commands;
pub mod composing;
pub mod exit;
pub mod generation;
pub mod packages;
pub mod running;
pub mod scaffolding;
pub mod serving;
pub mod support;
pub mod workspace;
