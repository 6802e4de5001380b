//! The interpreter a run uses: inside a cargo workspace, its composed `pylon.wasm`
//! (composed first if anything changed); elsewhere, the bare interpreter (no caps)
//! composed in the cache.

use anyhow::Result;
use pylon_sys::Home;

use super::compose::{self, Composed, Target};
use crate::workspace::discover;

pub fn prepare(home: &Home) -> Result<Composed> {
    prepare_with(home, false)
}

/// As [`prepare`]; `http` also links the interpreter that serves wasi:http.
pub fn prepare_with(home: &Home, http: bool) -> Result<Composed> {
    match discover::current(home)? {
        Some(ws) => compose::workspace_with(home, &ws, http),
        None => {
            let (toolchain, cpython) = compose::base(home, None)?;
            let mut target = Target::bare(&cpython);
            target.http = http;
            compose::compose(&toolchain, cpython, &[], &target)
        }
    }
}
