//! An sdist with no wheel that runs in the guest, built into one on the host by its own
//! build backend (through `uv build`) with every compiler turned off: a package whose C is
//! optional (MarkupSafe's speedups, PyYAML's libyaml binding) builds its pure-Python form,
//! and one that needs compiled code fails to build, or leaves compiled files, and is
//! refused.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;

use super::lock::Archive;
use super::store::Store;
use super::uv::{self, Uv};

/// What turns compilers off for the build backends pylon meets: setuptools and meson
/// read `CC`/`CXX`, cargo `RUSTC`, and the aio-libs, msgpack and SQLAlchemy have their
/// own switches.
const NO_COMPILERS: &[(&str, &str)] = &[
    ("CC", "false"),
    ("CXX", "false"),
    ("LDSHARED", "false"),
    // Rust extensions (maturin, setuptools-rust): cargo asks this for its version first.
    ("RUSTC", "false"),
    ("AIOHTTP_NO_EXTENSIONS", "1"),
    ("FROZENLIST_NO_EXTENSIONS", "1"),
    ("MULTIDICT_NO_EXTENSIONS", "1"),
    ("PROPCACHE_NO_EXTENSIONS", "1"),
    ("YARL_NO_EXTENSIONS", "1"),
    ("MSGPACK_PUREPYTHON", "1"),
    ("DISABLE_SQLALCHEMY_CEXT", "1"),
    // Archive timestamps from a fixed date, so a rebuild gives the same wheel.
    ("SOURCE_DATE_EPOCH", "315532800"),
];

/// The pure wheel of `project` made from its locked `sdist`: the sdist fetched into the
/// store and built once.
pub fn from_sdist(
    uv: &Uv,
    store: &Store,
    logs: &Path,
    project: &str,
    sdist: &Archive,
    python: &str,
) -> Result<PathBuf> {
    let path = store.fetch(project, sdist, uv.offline())?;
    wheel(
        uv,
        store,
        logs,
        &path,
        sdist.sha256().unwrap_or_default(),
        python,
    )
}

/// The pure wheel built from `sdist` (whose sha256 is `sha`), kept in the store.
fn wheel(
    uv: &Uv,
    store: &Store,
    logs: &Path,
    sdist: &Path,
    sha: &str,
    python: &str,
) -> Result<PathBuf> {
    let dir = store.derived(sha, &format!("wheel-{python}-uv{}", uv::VERSION));
    if let Some(wheel) = only_wheel(&dir)? {
        return Ok(wheel);
    }
    let name = sdist
        .file_name()
        .context("an sdist without a file name")?
        .to_string_lossy()
        .into_owned();
    let log = logs.join(format!("build-{name}.log"));
    let _ = std::fs::remove_file(&log);
    let step = Step::start(format!("build {name} into a pure-Python wheel")).log_to(&log)?;
    let parent = dir.parent().context("a store folder has a parent")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let scratch = tempfile::tempdir_in(parent)
        .with_context(|| format!("cannot make a folder in {}", parent.display()))?;
    let mut cmd = uv.command("build", scratch.path());
    cmd.args(["--wheel", "--out-dir"])
        .arg(scratch.path())
        .arg(sdist)
        .envs(NO_COMPILERS.iter().copied());
    // The backend's own account stays in the log: the question answered here is only
    // whether the package builds without compiled code.
    if step.run(&mut cmd).is_err() {
        bail!(
            "its sdist does not build without a C compiler (the build's log: {})",
            log.display()
        );
    }
    let wheel = only_wheel(scratch.path())?
        .with_context(|| format!("building {name} left no wheel (log: {})", log.display()))?;
    let compiled = compiled_files(&wheel)?;
    if !compiled.is_empty() {
        bail!(
            "its sdist builds only with compiled code ({})",
            compiled.join(", ")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let kept = scratch.keep();
    std::fs::rename(&kept, &dir).with_context(|| {
        format!(
            "cannot keep the wheel built from {name} in {}",
            dir.display()
        )
    })?;
    step.finish();
    only_wheel(&dir)?.context("the kept wheel went missing")
}

fn only_wheel(dir: &Path) -> Result<Option<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "whl") {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// Files in `wheel` that are machine code for the host (which the guest cannot load).
pub fn compiled_files(wheel: &Path) -> Result<Vec<String>> {
    let file =
        std::fs::File::open(wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
    let archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a wheel", wheel.display()))?;
    let native = |name: &str| {
        let base = name.rsplit('/').next().unwrap_or(name);
        [".so", ".pyd", ".dylib", ".dll"]
            .iter()
            .any(|ext| base.ends_with(ext))
            || base.contains(".so.")
    };
    Ok(archive
        .file_names()
        .filter(|n| native(n))
        .map(str::to_string)
        .collect())
}
