//! Relinking `python.wasm` with extra builtin modules; CPython itself is never rebuilt.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use pylon_sys::cpython::LinkRecipe;
use pylon_sys::progress::Step;

/// Link the interpreter from CPython's objects, with `config_object` in place of its
/// builtin-module table and `extra` objects (extensions, bindings, glue) beside them.
pub fn link(step: &Step, clang: &Path, recipe: &LinkRecipe, config_object: &Path, extra: &[PathBuf], out: &Path) -> Result<()> {
    let objects = recipe.objects.iter().map(|o| if *o == recipe.config_object { config_object } else { o.as_path() });
    let mut cmd = Command::new(clang);
    cmd.args(&recipe.ldflags)
        .arg("-o")
        .arg(out)
        .args(objects)
        .args(extra)
        .args(&recipe.libs)
        // pylon's exit glue (runtime/pylon_exit.c) replaces proc_exit.
        .arg("-Wl,--wrap=__wasi_proc_exit");
    step.run(&mut cmd).context("linking the interpreter failed")
}
