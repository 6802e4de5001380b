//! The integration tests: the real `cargo-pylon` binary and pylon-runtime against the real
//! CPython build, caps and wasmtime. One test binary, so wasmtime and Cranelift are linked
//! once; the fast tier (no CPython) is `tests/fast`.

mod common;

mod bench;
mod blake3;
mod checks;
mod compiled_packages;
mod compose;
mod dynlink;
mod examples;
mod named_set;
mod new;
mod packages;
mod preinit;
mod probe;
mod regrtest;
mod requirements;
mod runtime_api;
mod serve;
mod sqlite;
mod upstream;
