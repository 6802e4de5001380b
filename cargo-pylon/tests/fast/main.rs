//! The fast tier: what pylon generates, parses and prints, checked in seconds with no
//! CPython build, no WASI toolchain and no wasmtime run. `tests/all` holds the rest.
//!
//! Golden files are rewritten with `PYLON_BLESS=1 cargo test --release --test fast`.

mod cli;
mod discovery;
mod generator;
mod golden;
mod plan;
mod scaffold;
