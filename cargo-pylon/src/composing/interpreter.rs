//! The interpreter a run uses: inside a cargo workspace, its composed `pylon.wasm`
//! (composed first if anything changed); elsewhere, the bare interpreter (no caps)
//! composed in the cache.

use std::path::Path;

use anyhow::{Context, Result};
use pylon_sys::Home;

use super::compose::{self, Composed, Target};
use crate::workspace::discover;

pub fn prepare(home: &Home) -> Result<Composed> {
    prepare_with(home, false)
}

/// As [`prepare`]; `http` also links the interpreter that serves wasi:http.
pub fn prepare_with(home: &Home, http: bool) -> Result<Composed> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    prepare_in(home, &cwd, http)
}

/// As [`prepare_with`], for the workspace around `dir` (or the bare interpreter).
pub fn prepare_in(home: &Home, dir: &Path, http: bool) -> Result<Composed> {
    match discover::at(dir, home)? {
        Some(ws) => compose::workspace_with(home, &ws, http),
        None => {
            let (toolchain, cpython) = compose::base(home, None)?;
            let mut target = Target::bare(home, &cpython);
            target.http = http;
            compose::compose(&toolchain, cpython, &[], &target)
        }
    }
}
