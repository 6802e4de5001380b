//! Python packages from a package index for the guest: the workspace's requirements
//! (`[workspace.metadata.pylon] requirements`, PEP 508) resolved by a pinned uv for the
//! guest's environment, locked in `pylock.toml` (PEP 751), fetched by sha256 into the
//! pylon home; pure ones staged into the interpreter's site-packages by compose, those with
//! compiled code built for the guest from their sdists ([`compiled`], with [`recipe`]s
//! where a package needs more than its defaults) and linked into the interpreter.

pub mod build;
pub mod builds;
pub mod compiled;
pub mod form;
pub mod index;
pub mod lock;
pub mod metadata;
pub mod recipe;
pub mod requirement;
pub mod resolve;
pub mod sdist;
pub mod store;
pub mod uv;

pub use lock::Pylock;

use std::path::PathBuf;

use anyhow::{Context, Result};

use compiled::{Built, Guest};
use lock::{Artifact, Inputs};
use recipe::Recipes;
use resolve::Resolver;
use store::Store;
use uv::Uv;

/// What a workspace's packages are resolved, built and installed with.
#[derive(Clone)]
pub struct Env {
    /// The guest's toolchain, CPython build and package index.
    pub guest: Guest,
    /// The workspace root, where `pylock.toml` lives.
    pub root: PathBuf,
    /// Where scratch projects go (`target/pylon/resolve`).
    pub scratch: PathBuf,
    /// The workspace's own requirements (`[workspace.metadata.pylon] requirements`).
    pub requirements: Vec<String>,
    /// The releases its package caps build (`numpy==2.5.5`), required with its own.
    pub implied: Vec<String>,
    /// Packages kept in their pure form.
    pub pure: Vec<String>,
    pub recipes: Recipes,
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

/// One installed package.
pub struct Installed {
    pub name: String,
    pub version: String,
    pub form: InstalledForm,
}

/// What an installed package is staged from.
pub enum InstalledForm {
    /// A wheel in the store, unpacked into the site folder.
    Wheel(PathBuf),
    /// A build for the guest: its Python files for the site folder, its modules for the
    /// interpreter.
    Built(Built),
}

impl Env {
    fn inputs(&self) -> Inputs {
        let mut pure: Vec<String> = self.pure.iter().map(|p| index::normalize(p)).collect();
        pure.sort();
        pure.dedup();
        Inputs {
            requirements: self
                .requirements
                .iter()
                .chain(&self.implied)
                .cloned()
                .collect(),
            python: self.python().to_string(),
            pure,
        }
    }

    /// The guest CPython's full version.
    pub fn python(&self) -> &str {
        self.guest.cpython.profile.version
    }

    fn uv(&self) -> Result<Uv> {
        self.guest.uv()
    }

    /// Whether the workspace keeps `name` in its pure form.
    pub fn keeps_pure(&self, name: &str) -> bool {
        self.pure
            .iter()
            .any(|p| index::normalize(p) == index::normalize(name))
    }

    /// The workspace's lock, resolved (and written to `pylock.toml`) when `refresh` asks
    /// or it no longer answers the requirements; `None` when there are no requirements.
    pub fn lock(&self, refresh: Refresh) -> Result<Option<Pylock>> {
        let path = Pylock::path(&self.root);
        let current = Pylock::read(&self.root)?;
        let inputs = self.inputs();
        if inputs.requirements.is_empty() {
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
        let store = Store::new(&self.guest.home)?;
        let resolver = Resolver {
            env: self,
            uv: &uv,
            store: &store,
            logs: &self.guest.home.logs()?,
            scratch: &self.scratch,
            // A release locked before keeps its build requirements, unless upgrading.
            before: current.as_ref().filter(|_| refresh == Refresh::IfStale),
        };
        let (text, lock) = resolver.resolve(&inputs, &preferred)?;
        crate::support::fs::write_if_changed(&path, text.as_bytes())?;
        Ok(Some(lock))
    }

    /// Every locked package in the form the guest gets: wheels fetched by the lock's
    /// sha256, sdists built once (compiled ones for the guest, with the lock's pinned
    /// build requirements).
    pub fn install(&self, lock: &Pylock) -> Result<Vec<Installed>> {
        let store = Store::new(&self.guest.home)?;
        let mut uv = None;
        let mut out = Vec::new();
        let mut wanted = Vec::new();
        for package in &lock.packages {
            if let Some(pins) = lock.built(&package.name) {
                let sdist = package.sdist.as_ref().with_context(|| {
                    format!("{}: {} {} is built from its sdist, but the lock names none\n  fix: run `cargo pylon lock --upgrade`", Pylock::path(&self.root).display(), package.name, package.version)
                })?;
                wanted.push(builds::Wanted {
                    package,
                    sdist,
                    pins: Some(pins.to_vec()),
                });
                continue;
            }
            let wheel = match package.artifact() {
                Some(Artifact::Wheel(wheel)) => {
                    store.fetch(&package.name, wheel, self.guest.offline)?
                }
                Some(Artifact::Sdist(sdist)) => {
                    if uv.is_none() {
                        uv = Some(self.uv()?);
                    }
                    let uv = uv.as_ref().expect("set above");
                    let logs = self.guest.home.logs()?;
                    build::from_sdist(uv, &store, &logs, &package.name, sdist, self.python())?
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
                form: InstalledForm::Wheel(wheel),
            });
        }
        for outcome in builds::build_all(self, &store, wanted, &lock.pins())? {
            let package = outcome.package;
            let built = outcome.built.with_context(|| {
                format!(
                    "{} {} does not build for the guest",
                    package.name, package.version
                )
            })?;
            out.push(Installed {
                name: package.name.clone(),
                version: package.version.clone(),
                form: InstalledForm::Built(built),
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
        .map(|t| t.inputs.requirements.as_slice())
        .unwrap_or_default();
    let changed: Vec<String> = inputs
        .requirements
        .iter()
        .filter(|r| !before.contains(r))
        .filter_map(|r| requirement::name(r).ok())
        .collect();
    lock.packages
        .iter()
        .filter(|p| !changed.contains(&crate::packages::index::normalize(&p.name)))
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
    /// Make `requirements` the workspace's (in its Cargo.toml), resolve, fetch and build
    /// them, and `verify` the new lock (compose links the interpreter with it); when any
    /// of that fails, Cargo.toml and the lock stay as they were.
    pub fn change(
        mut self,
        requirements: Vec<String>,
        refresh: Refresh,
        verify: impl FnOnce(&Pylock) -> Result<()>,
    ) -> Result<Changes> {
        let before = Pylock::read(&self.root)?;
        let locked_text = std::fs::read_to_string(Pylock::path(&self.root)).ok();
        let manifest = crate::workspace::edit::set_requirements(&self.root, &requirements)?;
        self.requirements = requirements;
        let after = self.lock(refresh).and_then(|lock| {
            if let Some(lock) = &lock {
                self.install(lock)?;
                verify(lock)?;
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
