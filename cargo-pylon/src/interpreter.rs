//! The interpreter a run uses: the CPython build from pylon-sys as a command component,
//! with the runtime prefix it mounts.

use std::path::PathBuf;

use anyhow::Result;
use pylon_sys::{Cpython, Home, Profile, Toolchain};

use crate::component;

pub struct Interpreter {
    /// A wasi:cli command component.
    pub component: PathBuf,
    /// Host folder mounted read-only at [`pylon_sys::cpython::GUEST_PREFIX`].
    pub prefix: PathBuf,
    pub cpython: Cpython,
}

/// Toolchain, CPython (built once, then cached) and the interpreter component.
pub fn prepare(home: &Home) -> Result<Interpreter> {
    let profile = Profile::from_env()?;
    let toolchain = Toolchain::ensure(home)?;
    let cpython = Cpython::ensure(home, profile, &toolchain)?;
    let component = cpython.root.join("python.component.wasm");
    component::ensure_command(&cpython.interpreter(), &component)?;
    Ok(Interpreter { component, prefix: cpython.prefix(), cpython })
}
