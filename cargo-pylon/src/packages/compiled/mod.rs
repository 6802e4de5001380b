//! Distributions with compiled code, built for the guest from their sdists by their own
//! build backends with pylon's WASI toolchain.
//!
//! A link of a shared module makes a relocatable object instead ([`wrapper::CC`]), so
//! each extension module becomes a builtin module of the interpreter under its dotted name,
//! its symbols kept to itself ([`isolate`]); the wheel's Python files are staged into the
//! site folder. Each build is kept in the pylon home, keyed by everything that changes it:
//! the sdist, the pinned build requirements, the recipe, the C libraries, the guest builds
//! it builds against, the toolchain and the CPython build.

pub mod backend;
pub mod clib;
pub mod isolate;
pub mod requires;
pub mod source;
pub mod wheel;
pub mod wrapper;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pylon_sys::progress::Step;
use pylon_sys::{Cpython, CxxRuntime, Home, Toolchain};
use serde::{Deserialize, Serialize};

use super::recipe::Loaded;
use super::uv::Uv;
use crate::support::stamp::Fingerprint;
use backend::Backend;
use source::Tree;
pub use wheel::Module;

/// Bumped when the way a distribution is built changes, so cached builds are remade.
const RECIPE: &str = "distribution-3";

/// The record a finished build keeps beside its files.
const RECORD: &str = "build.json";

/// What builds for the guest: the WASI toolchain and CPython build, and where packages
/// come from.
#[derive(Clone)]
pub struct Guest {
    pub home: Home,
    pub toolchain: Toolchain,
    pub cpython: Cpython,
    pub index: Option<String>,
    pub offline: bool,
}

impl Guest {
    /// uv on the native build of the guest's CPython.
    pub fn uv(&self) -> Result<Uv> {
        Uv::ensure(
            &self.home,
            &self.cpython.native_python(),
            self.index.as_deref(),
            self.offline,
        )
    }

    fn builds(&self) -> PathBuf {
        self.home.root().join("libraries")
    }
}

/// One release to build.
pub struct Job<'a> {
    pub project: &'a str,
    pub version: &'a str,
    /// Its sdist, fetched, and that file's sha256.
    pub sdist: &'a Path,
    pub sha256: &'a str,
    pub recipe: Option<&'a Loaded>,
    /// The versions the guest locks (`name==version`), which a build requirement the
    /// guest also runs keeps to.
    pub constraints: &'a [String],
}

impl Job<'_> {
    fn name(&self) -> String {
        format!(
            "{}-{}",
            crate::packages::index::normalize(self.project),
            self.version
        )
    }

    fn describe_recipe(&self) -> String {
        match self.recipe {
            Some(recipe) => recipe.describe(),
            None => format!("{} {} (no recipe)", self.project, self.version),
        }
    }

    fn build_table(&self) -> crate::workspace::manifest::PackageBuild {
        self.recipe
            .map(|r| r.recipe.build.clone())
            .unwrap_or_default()
    }
}

/// A distribution built for the guest, as kept in the pylon home.
#[derive(Debug, Clone)]
pub struct Built {
    pub dir: PathBuf,
    pub record: Record,
    /// What ships in the interpreter with it beside its own code: what its recipe says it
    /// vendors, the C libraries pylon built for it, the C++ runtime.
    pub bundled: Vec<pylon_sys::bundled::Bundled>,
}

/// What a build made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub project: String,
    pub version: String,
    /// The build requirements it was built with.
    pub pins: Vec<String>,
    pub modules: Vec<Module>,
    /// Whether its compiled part is C++ (the link then takes the C++ runtime).
    pub cxx: bool,
}

impl Built {
    /// The wheel's files but its compiled modules, to stage into the site folder.
    pub fn site(&self) -> PathBuf {
        self.dir.join("site")
    }

    /// What the interpreter links: each module's object.
    pub fn objects(&self) -> Vec<PathBuf> {
        self.record
            .modules
            .iter()
            .map(|m| self.dir.join(&m.object))
            .collect()
    }
}

/// A source tree made ready to build: unpacked, patched, its build requirements pinned and
/// installed into its backend's environment.
pub struct Prepared {
    work: tempfile::TempDir,
    tree: Tree,
    backend: Backend,
    pins: Vec<String>,
}

impl Prepared {
    pub fn pins(&self) -> &[String] {
        &self.pins
    }
}

/// Unpack, patch and set up `job`'s build, pinning its build requirements (`pins` when the
/// lock names them, else resolved here: `build-system.requires`, the recipe's, and what the
/// backend asks for once those are installed).
pub fn prepare(
    guest: &Guest,
    job: &Job,
    given: Option<&[String]>,
    step: &Step,
) -> Result<Prepared> {
    let builds = guest.builds();
    std::fs::create_dir_all(&builds)
        .with_context(|| format!("cannot create {}", builds.display()))?;
    let work = tempfile::Builder::new()
        .prefix(".work-")
        .tempdir_in(&builds)
        .context("cannot make a folder to build in")?;
    step.message("unpack the source distribution");
    let tree = Tree::unpack(job.sdist, &work.path().join("src"))?;
    let patches = job.recipe.map(|r| r.patches.as_slice()).unwrap_or_default();
    tree.patch(patches, &job.describe_recipe(), step)?;
    if let Some(why) = tree.unbuildable()? {
        anyhow::bail!("{why}");
    }
    let table = job.build_table();
    // Cython may write C++ though the sdist holds none: every build may compile it.
    let runtime = CxxRuntime::ensure(&guest.home)?;
    let libraries = table
        .libraries
        .iter()
        .map(|name| clib::ensure(guest, name))
        .collect::<Result<Vec<_>>>()?;
    let uv = guest.uv()?;
    let resolve = |wanted: &[String]| {
        step.message("resolve the build requirements");
        requires::pin(&uv, wanted, job.constraints, work.path(), step)
    };
    let mut wanted = tree.requires()?;
    wanted.extend(table.requires.iter().cloned());
    let first = match given {
        Some(pins) => pins.to_vec(),
        None => resolve(&wanted)?,
    };
    let backend = Backend::create(
        guest,
        &table,
        &first,
        &libraries,
        &runtime,
        work.path(),
        step,
    )?;
    let mut pins = first;
    // A lock's pins already hold what the backend asked for when they were made.
    if given.is_none() {
        step.message("ask the backend what else it needs");
        let more = backend.dynamic_requires(&tree, &table.config_settings)?;
        let missing: Vec<String> = more.into_iter().filter(|r| !satisfied(r, &pins)).collect();
        if !missing.is_empty() {
            wanted.extend(missing);
            pins = resolve(&wanted)?;
            backend.install(&pins, work.path(), step)?;
        }
    }
    Ok(Prepared {
        work,
        tree,
        backend,
        pins,
    })
}

/// Whether `requirement`'s project is among `pins`.
fn satisfied(requirement: &str, pins: &[String]) -> bool {
    let Ok(name) = super::requirement::name(requirement) else {
        return false;
    };
    pins.iter()
        .any(|p| super::requirement::name(p).is_ok_and(|n| n == name))
}

/// The key of `job` built with `pins` against `deps` (the guest builds among its build
/// requirements).
fn key(guest: &Guest, job: &Job, pins: &[String], deps: &[&Built]) -> Result<String> {
    let mut fp = Fingerprint::new("distribution");
    fp.text(RECIPE)
        .text(&format!("{} {} {}", job.project, job.version, job.sha256))
        .text(&pins.join(" "))
        .text(&guest.toolchain.identity)
        .text(&guest.cpython.key)
        .text(wrapper::CC)
        .text(&wrapper::CFLAGS.join(" "))
        .text(&CxxRuntime::identity());
    if let Some(recipe) = job.recipe {
        recipe.fingerprint(&mut fp)?;
    }
    for name in &job.build_table().libraries {
        fp.text(&clib::key(guest, name)?);
    }
    for dep in deps {
        fp.text(&dep.dir.display().to_string());
    }
    Ok(fp.finish())
}

/// `job` built for the guest against `deps`, from the pylon home or built into it (with
/// `prepared` when the caller has it, else prepared here with `pins`).
pub fn build(
    guest: &Guest,
    job: &Job,
    pins: &[String],
    prepared: Option<Prepared>,
    deps: &[&Built],
) -> Result<Built> {
    let key = key(guest, job, pins, deps)?;
    let dir = guest
        .builds()
        .join(format!("{}-{}", job.name(), &key[..16]));
    if !pylon_sys::home::is_published(&dir) {
        let log = guest.home.logs()?.join(format!("build-{}.log", job.name()));
        let step = Step::start(format!(
            "build {} {} for WASI (once)",
            job.project, job.version
        ))
        .log_to(&log)?;
        let made = pylon_sys::home::fill_once(&dir, |scratch| {
            let prepared = match prepared {
                Some(prepared) => prepared,
                None => prepare(guest, job, Some(pins), &step)?,
            };
            for dep in deps {
                prepared.backend.overlay(dep)?;
            }
            step.message("run the build backend (see the log for its output)");
            let wheel = prepared
                .backend
                .build_wheel(&prepared.tree, &job.build_table(), &step)?;
            step.message("take the extension modules out of the wheel");
            let record = Record {
                project: job.project.to_string(),
                version: job.version.to_string(),
                pins: pins.to_vec(),
                modules: wheel::unpack(&wheel, scratch)?,
                cxx: prepared.work.path().join(backend::CXX_MARK).exists(),
            };
            std::fs::write(scratch.join(RECORD), serde_json::to_vec_pretty(&record)?)
                .context("cannot record the build")
        });
        made.with_context(|| format!("the build's log: {}", log.display()))?;
        step.finish();
    }
    let mut built = read(&dir)?;
    built.bundled = bundled(job, built.record.cxx)?;
    Ok(built)
}

/// What ships with `job`'s build beside its own code.
fn bundled(job: &Job, cxx: bool) -> Result<Vec<pylon_sys::bundled::Bundled>> {
    let mut parts: Vec<_> = job
        .recipe
        .map(|r| r.recipe.bundled.clone())
        .unwrap_or_default();
    let mut libraries = job.build_table().libraries;
    while let Some(name) = libraries.pop() {
        let library = clib::recipe(&name)?;
        if !parts.iter().any(|p| p.name == library.name) {
            parts.push(pylon_sys::bundled::Bundled {
                name: library.name.clone(),
                version: library.version.clone(),
                license: library.license.clone(),
            });
        }
        libraries.extend(library.libraries);
    }
    if cxx {
        parts.push(CxxRuntime::bundled());
    }
    Ok(parts)
}

fn read(dir: &Path) -> Result<Built> {
    let file = dir.join(RECORD);
    let record = std::fs::read(&file)
        .with_context(|| format!("cannot read {}", file.display()))
        .and_then(|bytes| {
            serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "{} is damaged; remove {} to build again",
                    file.display(),
                    dir.display()
                )
            })
        })?;
    Ok(Built {
        dir: dir.to_path_buf(),
        record,
        bundled: Vec::new(),
    })
}
