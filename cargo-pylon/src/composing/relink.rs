//! Relinking `python.wasm` with extra builtin modules; CPython itself is never rebuilt.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use pylon_sys::cpython::LinkRecipe;
use pylon_sys::progress::Step;

/// Link the interpreter from CPython's objects, with `config_object` in place of its
/// builtin-module table and `extra` objects (extensions, bindings, glue) beside them.
pub fn link(
    step: &Step,
    clang: &Path,
    recipe: &LinkRecipe,
    config_object: &Path,
    extra: &[PathBuf],
    out: &Path,
) -> Result<()> {
    let wrapped = WRAPPED.iter().map(|symbol| format!("-Wl,--wrap={symbol}"));
    run(
        step,
        clang,
        recipe,
        config_object,
        extra,
        out,
        &[],
        wrapped.collect(),
        |_| true,
    )
}

/// As [`link`], as a reactor (a library the host calls into, with no `main`); without
/// `exit_shim` it keeps wasi-libc's own `proc_exit`.
pub fn link_reactor(
    step: &Step,
    clang: &Path,
    recipe: &LinkRecipe,
    config_object: &Path,
    extra: &[PathBuf],
    out: &Path,
    exit_shim: bool,
) -> Result<()> {
    let wrapped = WRAPPED
        .iter()
        .filter(|s| exit_shim || **s != "__wasi_proc_exit")
        .map(|symbol| format!("-Wl,--wrap={symbol}"));
    run(
        step,
        clang,
        recipe,
        config_object,
        extra,
        out,
        &["-mexec-model=reactor"],
        wrapped.collect(),
        |o| !o.ends_with(MAIN_OBJECT),
    )
}

/// CPython's `main`, which a reactor leaves out.
const MAIN_OBJECT: &str = "Programs/python.o";

#[allow(clippy::too_many_arguments)]
fn run(
    step: &Step,
    clang: &Path,
    recipe: &LinkRecipe,
    config_object: &Path,
    extra: &[PathBuf],
    out: &Path,
    flags: &[&str],
    wrapped: Vec<String>,
    keep: impl Fn(&Path) -> bool,
) -> Result<()> {
    let objects = recipe.objects.iter().filter(|o| keep(o)).map(|o| {
        if *o == recipe.config_object {
            config_object
        } else {
            o.as_path()
        }
    });
    let mut cmd = Command::new(clang);
    cmd.args(&recipe.ldflags)
        .args(flags)
        .arg("-o")
        .arg(out)
        .args(objects)
        .args(extra)
        .args(&recipe.libs)
        .args(wrapped);
    step.run(&mut cmd)
        .context("linking the interpreter failed")?;
    adapt(out, step)
}

/// Give every function pointer the extensions store with fewer parameters than it is
/// called with an adapter that drops the extra arguments, as a native call does (see
/// [`super::adapters`]); what cannot be adapted is left for the signature check.
fn adapt(core: &Path, step: &Step) -> Result<()> {
    let module = std::fs::read(core).with_context(|| format!("cannot read {}", core.display()))?;
    let found = crate::checking::signatures::mismatches(&module)?;
    let (adapted, count) = super::adapters::apply(&module, &found)?;
    if count > 0 {
        step.message(&format!(
            "{count} function pointers take fewer arguments than CPython passes: adapted, as a native call drops the extra ones"
        ));
        std::fs::write(core, adapted)
            .with_context(|| format!("cannot write {}", core.display()))?;
    }
    Ok(())
}

/// wasi-libc functions pylon's glue stands in front of: proc_exit keeps the exit code
/// (guest/pylon_exit.c); the path calls refuse a path that is not UTF-8 with EILSEQ
/// before the preview1 adapter would trap on it (guest/pylon_paths.c); the descriptor
/// calls answer for pylon's own /dev/null (guest/pylon_devnull.c); every call that takes or
/// hands out a descriptor goes through the guest's table of duplicates
/// (guest/pylon_fds.c).
const WRAPPED: &[&str] = &[
    "__wasi_proc_exit",
    "__wasi_fd_read",
    "__wasi_fd_pread",
    "__wasi_fd_write",
    "__wasi_fd_pwrite",
    "__wasi_fd_seek",
    "__wasi_fd_tell",
    "__wasi_fd_filestat_get",
    "__wasi_fd_fdstat_get",
    "__wasi_fd_fdstat_set_flags",
    "__wasi_fd_filestat_set_size",
    "__wasi_fd_sync",
    "__wasi_fd_datasync",
    "__wasi_fd_close",
    "__wasi_fd_renumber",
    "__wasi_fd_advise",
    "__wasi_fd_allocate",
    "__wasi_fd_fdstat_set_rights",
    "__wasi_fd_filestat_set_times",
    "__wasi_fd_readdir",
    "__wasi_poll_oneoff",
    "__wasi_sock_accept",
    "__wasi_sock_recv",
    "__wasi_sock_send",
    "__wasi_sock_shutdown",
    "__wasi_path_create_directory",
    "__wasi_path_filestat_get",
    "__wasi_path_filestat_set_times",
    "__wasi_path_link",
    "__wasi_path_open",
    "__wasi_path_readlink",
    "__wasi_path_remove_directory",
    "__wasi_path_rename",
    "__wasi_path_symlink",
    "__wasi_path_unlink_file",
];
