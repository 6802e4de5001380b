//! Python packages from a package index for the guest: the workspace's requirements
//! (`[workspace.metadata.pylon] requirements`, PEP 508) resolved by a pinned uv for the
//! guest's environment, locked in `pylock.toml` (PEP 751), fetched by sha256 into the
//! pylon home and staged into the interpreter's site-packages by compose.

pub mod build;
pub mod lock;
pub mod metadata;
pub mod requirement;
pub mod resolve;
pub mod store;
pub mod uv;

pub use lock::Pylock;

use std::path::PathBuf;

use anyhow::{Context, Result};
use pylon_sys::Home;

use lock::{Artifact, Inputs};
use resolve::Resolver;
use store::Store;
use uv::Uv;

/// What a workspace's packages are resolved and installed with.
#[derive(Clone)]
pub struct Env {
    pub home: Home,
    /// The workspace root, where `pylock.toml` lives.
    pub root: PathBuf,
    /// Where scratch projects go (`target/pylon/resolve`).
    pub scratch: PathBuf,
    pub requirements: Vec<String>,
    /// The guest CPython's full version.
    pub python: String,
    /// The native build of that CPython (uv's interpreter for versions and sdist builds).
    pub native_python: PathBuf,
    pub index: Option<String>,
    pub offline: bool,
}

/// How `lock` treats a lock that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Keep it while it answers the requirements; otherwise resolve, keeping its versions
    /// where they still fit.
    IfStale,
    /// Resolve afresh: the newest versions the requirements allow.
    Upgrade,
}

/// One installed package: a wheel in the store.
pub struct Installed {
    pub name: String,
    pub version: String,
    pub wheel: PathBuf,
}

impl Env {
    fn inputs(&self) -> Inputs {
        Inputs {
            requirements: self.requirements.clone(),
            python: self.python.clone(),
        }
    }

    fn uv(&self) -> Result<Uv> {
        Uv::ensure(
            &self.home,
            &self.native_python,
            self.index.as_deref(),
            self.offline,
        )
    }

    /// The workspace's lock, resolved (and written to `pylock.toml`) when `refresh` asks
    /// or it no longer answers the requirements; `None` when there are no requirements.
    pub fn lock(&self, refresh: Refresh) -> Result<Option<Pylock>> {
        let path = Pylock::path(&self.root);
        let current = Pylock::read(&self.root)?;
        let inputs = self.inputs();
        if self.requirements.is_empty() {
            if current.is_some() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
            return Ok(None);
        }
        if refresh == Refresh::IfStale && current.as_ref().is_some_and(|l| l.answers(&inputs)) {
            return Ok(current);
        }
        let preferred = match (&current, refresh) {
            (Some(lock), Refresh::IfStale) => preferences(lock, &inputs),
            _ => Vec::new(),
        };
        let uv = self.uv()?;
        let store = Store::new(&self.home)?;
        let resolver = Resolver {
            uv: &uv,
            store: &store,
            logs: &self.home.logs()?,
            scratch: &self.scratch,
        };
        let (text, lock) = resolver.resolve(&inputs, &preferred)?;
        crate::support::fs::write_if_changed(&path, text.as_bytes())?;
        Ok(Some(lock))
    }

    /// Every locked package as a wheel in the store: fetched by the lock's sha256, sdists
    /// built once.
    pub fn install(&self, lock: &Pylock) -> Result<Vec<Installed>> {
        let store = Store::new(&self.home)?;
        let mut uv = None;
        let mut out = Vec::new();
        for package in &lock.packages {
            let wheel = match package.artifact() {
                Some(Artifact::Wheel(wheel)) => store.fetch(&package.name, wheel, self.offline)?,
                Some(Artifact::Sdist(sdist)) => {
                    if uv.is_none() {
                        uv = Some(self.uv()?);
                    }
                    let uv = uv.as_ref().expect("set above");
                    build::from_sdist(uv, &store, &self.home.logs()?, &package.name, sdist, &self.python)?
                }
                None => anyhow::bail!(
                    "{}: {} {} has no file the guest can run\n  fix: run `cargo pylon lock --upgrade`",
                    Pylock::path(&self.root).display(),
                    package.name,
                    package.version
                ),
            };
            out.push(Installed {
                name: package.name.clone(),
                version: package.version.clone(),
                wheel,
            });
        }
        Ok(out)
    }
}

/// The lock's versions as uv constraints, except for projects whose requirement changed
/// (so `add flask>=4` can move flask while the rest stays put).
fn preferences(lock: &Pylock, inputs: &Inputs) -> Vec<String> {
    let before = lock
        .tool
        .pylon
        .as_ref()
        .map(|i| i.requirements.as_slice())
        .unwrap_or_default();
    let changed: Vec<String> = inputs
        .requirements
        .iter()
        .filter(|r| !before.contains(r))
        .filter_map(|r| requirement::name(r).ok())
        .collect();
    lock.packages
        .iter()
        .filter(|p| !changed.contains(&crate::support::pypi::normalize(&p.name)))
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect()
}

/// What a change of requirements did to the lock.
pub struct Changes {
    pub added: Vec<(String, String)>,
    pub removed: Vec<(String, String)>,
    /// (name, from, to).
    pub moved: Vec<(String, String, String)>,
    pub total: usize,
}

impl std::fmt::Display for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, version) in &self.added {
            writeln!(f, "  + {name} {version}")?;
        }
        for (name, from, to) in &self.moved {
            writeln!(f, "  ~ {name} {from} -> {to}")?;
        }
        for (name, version) in &self.removed {
            writeln!(f, "  - {name} {version}")?;
        }
        write!(
            f,
            "{} package{} locked in {}",
            self.total,
            if self.total == 1 { "" } else { "s" },
            lock::FILE_NAME
        )
    }
}

impl Env {
    /// Make `requirements` the workspace's (in its Cargo.toml), resolve and fetch them;
    /// when that fails, Cargo.toml and the lock stay as they were.
    pub fn change(mut self, requirements: Vec<String>, refresh: Refresh) -> Result<Changes> {
        let before = Pylock::read(&self.root)?;
        let locked_text = std::fs::read_to_string(Pylock::path(&self.root)).ok();
        let manifest = crate::workspace::edit::set_requirements(&self.root, &requirements)?;
        self.requirements = requirements;
        let after = self.lock(refresh).and_then(|lock| {
            if let Some(lock) = &lock {
                self.install(lock)?;
            }
            Ok(lock)
        });
        let after = match after {
            Ok(after) => after,
            Err(e) => {
                // A lock written before a fetch failed goes too: both files as they were.
                crate::workspace::edit::restore(&self.root, &manifest)?;
                let path = Pylock::path(&self.root);
                match &locked_text {
                    Some(text) => crate::support::fs::write_if_changed(&path, text.as_bytes())?,
                    None if path.exists() => std::fs::remove_file(&path)
                        .with_context(|| format!("cannot remove {}", path.display()))?,
                    None => {}
                }
                return Err(e);
            }
        };
        Ok(changes(before.as_ref(), after.as_ref()))
    }
}

fn changes(before: Option<&Pylock>, after: Option<&Pylock>) -> Changes {
    let versions = |lock: Option<&Pylock>| -> std::collections::BTreeMap<String, String> {
        lock.map(|l| {
            l.packages
                .iter()
                .map(|p| (p.name.clone(), p.version.clone()))
                .collect()
        })
        .unwrap_or_default()
    };
    let (old, new) = (versions(before), versions(after));
    Changes {
        added: new
            .iter()
            .filter(|(n, _)| !old.contains_key(*n))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
        removed: old
            .iter()
            .filter(|(n, _)| !new.contains_key(*n))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
        moved: new
            .iter()
            .filter_map(|(n, v)| {
                let from = old.get(n)?;
                (from != v).then(|| (n.clone(), from.clone(), v.clone()))
            })
            .collect(),
        total: new.len(),
    }
}
