//! The runtime prefix: the tree the interpreter sees at its compiled-in prefix, the
//! standard library with bytecode compiled ahead of time (the guest mounts it read-only,
//! so it could never write `__pycache__` itself), the host build's sysconfig data,
//! `lib-dynload/`, and the CA certificates OpenSSL trusts by default (`ssl/cert.pem`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use walkdir::WalkDir;

use sha2::{Digest, Sha256};

use super::{patches, Cpython};
use crate::certificates;
use crate::home::Home;
use crate::progress::Step;

/// Bump when staging changes what ends up in the runtime tree.
const RUNTIME_RECIPE: u32 = 1;

pub(super) fn key() -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "runtime {RUNTIME_RECIPE}|{LEFT_OUT:?}|{}|{} {}",
        patches::fingerprint(),
        certificates::PACKAGE,
        certificates::VERSION
    ));
    hex::encode(&hasher.finalize()[..8])
}

/// Stage the runtime tree if it is not there; made in a scratch folder and renamed.
pub(super) fn ensure(home: &Home, build: &Cpython) -> Result<()> {
    let prefix = build.prefix();
    if crate::home::is_published(&prefix) {
        return Ok(());
    }
    let step = Step::start("stage standard library");
    let scratch = tempfile::Builder::new()
        .prefix(".runtime-")
        .tempdir_in(&build.root)
        .with_context(|| format!("cannot make a scratch folder in {}", build.root.display()))?;
    stage(
        build,
        &scratch
            .path()
            .join("lib")
            .join(format!("python{}", build.profile.minor())),
        &step,
    )?;
    certificates::stage(home, scratch.path(), &step)?;
    crate::home::publish(scratch, &prefix)?;
    step.finish();
    Ok(())
}

/// Parts of `Lib/` that no program running in pylon uses.
const LEFT_OUT: &[&str] = &["test", "idlelib", "tkinter", "turtledemo", "ensurepip"];

fn stage(build: &Cpython, stdlib: &Path, step: &Step) -> Result<()> {
    copy_tree(&build.source_dir().join("Lib"), stdlib)?;
    patches::apply(stdlib)?;
    let lib_dir = find_build_lib_dir(&build.wasi_dir())?;
    for entry in
        std::fs::read_dir(&lib_dir).with_context(|| format!("cannot list {}", lib_dir.display()))?
    {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("_sysconfigdata") && n.ends_with(".py"))
        {
            std::fs::copy(&path, stdlib.join(path.file_name().expect("file name")))
                .with_context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    std::fs::create_dir_all(stdlib.join("lib-dynload")).context("cannot create lib-dynload")?;
    step.message("compiling bytecode");
    step.run(
        Command::new(build.native_python())
            .args(["-E", "-m", "compileall", "-q", "-j", "0"])
            .arg(stdlib),
    )
}

/// `build/lib.wasi-wasm32-3.13`, where the host build writes its sysconfig data.
fn find_build_lib_dir(wasi: &Path) -> Result<std::path::PathBuf> {
    let build = wasi.join("build");
    std::fs::read_dir(&build)
        .with_context(|| format!("cannot list {}", build.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("lib."))
        })
        .with_context(|| format!("the WASI build left no lib.* folder in {}", build.display()))
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let walk = WalkDir::new(from).into_iter().filter_entry(|e| {
        let top_level = e.depth() == 1;
        let name = e.file_name().to_str().unwrap_or_default();
        !(top_level && LEFT_OUT.contains(&name)) && name != "__pycache__"
    });
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot walk {}", from.display()))?;
        let target = to.join(entry.path().strip_prefix(from).expect("under root"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)
                .with_context(|| format!("cannot create {}", target.display()))?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}
