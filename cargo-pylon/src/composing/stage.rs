//! Installing cap facades into the module tree the interpreter mounts beside its stdlib.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pylon_sys::progress::Step;

use super::cext::Build;
use crate::support::archive::unzip;
use crate::support::stamp::{Fingerprint, Stamp};
use crate::workspace::discover::Cap;

/// Rebuild `dir` with every cap's facade at its destination, `stubs` (`.pyi` files of
/// generated extensions) at its top, the contents of the pure-Python `wheels` and the
/// unpacked `trees` (package caps' Python files).
pub fn facades(
    caps: &[&Cap],
    stubs: &[PathBuf],
    wheels: &[PathBuf],
    trees: &[PathBuf],
    dir: &Path,
) -> Result<()> {
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
    for tree in trees {
        crate::support::fs::copy_dir(tree, &scratch)?;
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

/// The site folder: every cap's facade, the stubs of generated extensions, the workspace's
/// pure `wheels` and the Python files of its compiled packages (`trees`; both kept
/// unchanged in the pylon home under keyed names), restaged whole when any changes.
pub fn site(
    build: &Build,
    caps: &[&Cap],
    wheels: &[PathBuf],
    trees: &[PathBuf],
    site_packages: &Path,
) -> Result<()> {
    let mut fp = Fingerprint::new("facades");
    for cap in caps {
        for (from, dest) in cap.facade_files()? {
            fp.file(&from)?.text(&dest.display().to_string());
        }
    }
    let stubs: Vec<PathBuf> = caps
        .iter()
        .filter(|c| c.c_source().is_none())
        .filter_map(|c| {
            let module = c.module()?;
            Some(
                build
                    .dir
                    .join("caps")
                    .join(&c.package)
                    .join(format!("{module}.pyi")),
            )
        })
        .filter(|p| p.is_file())
        .collect();
    for stub in &stubs {
        fp.file(stub)?;
    }
    for path in wheels.iter().chain(trees) {
        fp.text(&path.display().to_string());
    }
    let staged = Stamp::new(&build.dir, "facades", &fp);
    if !staged.fresh(&[site_packages]) {
        facades(caps, &stubs, wheels, trees, site_packages)?;
        bytecode(build, site_packages)?;
        staged.record()?;
    }
    Ok(())
}

/// Bytecode for every module staged, from the native build of the same CPython (same
/// magic number), checked by hash rather than by timestamp: the guest mounts the folder
/// read-only, and would otherwise compile each package at every start. A file that does
/// not compile (some packages ship test data that is not Python) is left as source.
fn bytecode(build: &Build, site_packages: &Path) -> Result<()> {
    let step = Step::start("compile the site folder's bytecode").log_to(&build.log)?;
    let compiled = step.run(
        std::process::Command::new(build.cpython.native_python())
            .args(["-E", "-m", "compileall", "-q", "-j", "0"])
            .args(["--invalidation-mode", "unchecked-hash"])
            .arg(site_packages),
    );
    if compiled.is_err() {
        step.message("some files stay uncompiled");
        eprintln!("pylon: warning: not every file in the site folder compiles; those stay source (see {})", build.log.display());
    }
    step.finish();
    Ok(())
}
