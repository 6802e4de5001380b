//! Installing cap facades into the module tree the interpreter mounts beside its stdlib.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::support::archive::unzip;
use crate::workspace::discover::Cap;

/// Rebuild `dir` with every cap's facade at its destination, `stubs` (`.pyi` files of
/// generated extensions) at its top, and the contents of the pure-Python `wheels`.
pub fn facades(caps: &[&Cap], stubs: &[PathBuf], wheels: &[PathBuf], dir: &Path) -> Result<()> {
    let scratch = dir.with_extension("new");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("cannot clear {}", scratch.display()))?;
    }
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    for cap in caps {
        copy_facade(cap, &scratch)?;
    }
    for wheel in wheels {
        unzip(wheel, &scratch)?;
    }
    for stub in stubs {
        let name = stub.file_name().context("a stub without a file name")?;
        std::fs::copy(stub, scratch.join(name))
            .with_context(|| format!("cannot stage {}", stub.display()))?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot replace {}", dir.display()))?;
    }
    std::fs::rename(&scratch, dir)
        .with_context(|| format!("cannot move the facades into {}", dir.display()))?;
    Ok(())
}

/// Copy `cap`'s facade files into `into` as they are staged (each at its destination);
/// returns (source, destination) of each.
pub fn copy_facade(cap: &Cap, into: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let files = cap.facade_files()?;
    for (from, dest) in &files {
        let to = into.join(dest);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(from, &to).with_context(|| {
            format!(
                "cannot stage {} of {} at {}",
                from.display(),
                cap.package,
                dest.display()
            )
        })?;
    }
    Ok(files)
}
