//! Finding caps: every workspace package whose `Cargo.toml` has `[package.metadata.pylon]`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use cargo_metadata::{MetadataCommand, Package};

use serde::{Deserialize, Serialize};

use super::manifest::{self, CapManifest, Extension, Linkage, Source, WorkspaceSettings};
use crate::support::stamp::Fingerprint;

/// The workspace as pylon sees it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub settings: WorkspaceSettings,
    pub caps: Vec<Cap>,
    /// Every member's `Cargo.toml` (any of them may become a cap).
    pub members: Vec<PathBuf>,
}

/// A library cap's C library as cargo keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocatedLibrary {
    /// The folder of the crate that vendors the sources.
    pub dir: PathBuf,
    /// The C files `library.sources` names there, patterns expanded, exclusions left out.
    pub sources: Vec<PathBuf>,
}

/// One cap: a crate with a validated `[package.metadata.pylon]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cap {
    /// The cargo package name (`blake3-cap`).
    pub package: String,
    pub version: String,
    /// The library target name, which names the built component (`blake3_cap`).
    pub lib_name: String,
    /// For a library cap: where its C library was found.
    #[serde(default)]
    pub located: Option<LocatedLibrary>,
    pub dir: PathBuf,
    pub manifest_path: PathBuf,
    pub meta: CapManifest,
}

impl Cap {
    /// A path from the manifest, resolved against the crate's folder.
    pub fn path(&self, relative: &Path) -> PathBuf {
        self.dir.join(relative)
    }

    /// The facade's files, each with where it goes under site-packages: the one module
    /// file, or every file of a package folder (bytecode caches left out), sorted.
    pub fn facade_files(&self) -> Result<Vec<(PathBuf, PathBuf)>> {
        let Some(provides) = &self.meta.provides else {
            return Ok(Vec::new());
        };
        let source = self.path(&provides.facade);
        if source.is_file() {
            return Ok(vec![(source, provides.dest.clone())]);
        }
        let mut files = Vec::new();
        let walk = walkdir::WalkDir::new(&source)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.file_name() != "__pycache__");
        for entry in walk {
            let entry =
                entry.with_context(|| format!("cannot walk the facade {}", source.display()))?;
            if entry.file_type().is_file() {
                let relative = entry
                    .path()
                    .strip_prefix(&source)
                    .expect("walked below the facade");
                files.push((entry.path().to_path_buf(), provides.dest.join(relative)));
            }
        }
        Ok(files)
    }

    /// The facade file that defines the module's public names: the module itself, or a
    /// package's `__init__.py`.
    pub fn facade_entry(&self) -> Option<PathBuf> {
        let provides = self.meta.provides.as_ref()?;
        let source = self.path(&provides.facade);
        Some(if source.is_dir() {
            source.join("__init__.py")
        } else {
            source
        })
    }

    /// The cap's extension: every cap has one but a package cap, whose distribution's build
    /// names its modules (checked at discovery).
    pub fn extension(&self) -> &Extension {
        self.meta
            .extension
            .as_ref()
            .expect("validated: only a package cap has no extension")
    }

    /// The builtin modules the cap adds that are named in its manifest (a package cap's
    /// come from its build).
    pub fn module(&self) -> Option<&str> {
        self.meta.extension.as_ref().map(|e| e.module.as_str())
    }

    /// Whether the cap's distribution compiles C++ (a package cap with `build.cxx`).
    pub fn wants_cxx(&self) -> bool {
        self.meta.build.as_ref().is_some_and(|b| b.cxx)
    }

    /// The hand-written C source of the extension, in the crate: none when the extension
    /// is generated, or is CPython's own module (a library cap), or there is none.
    pub fn c_source(&self) -> Option<PathBuf> {
        match self.meta.extension.as_ref().map(|e| &e.source) {
            Some(Source::File(path)) => Some(self.path(path)),
            _ => None,
        }
    }
}

impl Workspace {
    pub fn output(&self) -> PathBuf {
        match &self.settings.output {
            Some(path) => self.root.join(path),
            None => self.target_dir.join("pylon/pylon.wasm"),
        }
    }

    /// The folder compose writes into, beside `pylon.wasm`.
    pub fn out_dir(&self) -> PathBuf {
        self.output()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.target_dir.join("pylon"))
    }
}

/// The workspace around the current folder, or `None` outside any cargo project.
///
/// `cargo metadata` costs tens of milliseconds, so the answer is cached in the pylon home
/// and reused while no manifest or member folder it depended on has changed (and the same
/// cargo-pylon binary asks).
pub fn current(home: &pylon_sys::Home) -> Result<Option<Workspace>> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    at(&cwd, home)
}

/// As [`current`], for the workspace around `cwd`.
pub fn at(cwd: &Path, home: &pylon_sys::Home) -> Result<Option<Workspace>> {
    if !cwd.ancestors().any(|dir| dir.join("Cargo.toml").is_file()) {
        return Ok(None);
    }
    let mut key = Fingerprint::new("discover");
    key.text(&cwd.display().to_string())
        .text(&std::env::var("CARGO_TARGET_DIR").unwrap_or_default());
    let cache = home
        .dir("discover")?
        .join(format!("{}.json", &key.finish()[..24]));
    // A record written by another cargo-pylon may describe caps in another shape.
    let exe = std::env::current_exe().context("cannot locate the running cargo-pylon")?;
    let binary = crate::support::fs::identity(
        &std::fs::metadata(&exe).with_context(|| format!("cannot stat {}", exe.display()))?,
    );
    if let Some(ws) = cached(&cache, cwd, &binary) {
        return Ok(Some(ws));
    }
    let ws = read(cwd, None)?;
    let watched = watch_list(cwd, &ws);
    let record = Cached {
        binary,
        stamp: stamp(&watched),
        watched,
        workspace: ws,
    };
    if let Ok(json) = serde_json::to_vec(&record) {
        let _ = crate::support::fs::write_atomically(&cache, &json);
    }
    Ok(Some(record.workspace))
}

#[derive(Serialize, Deserialize)]
struct Cached {
    /// The identity of the cargo-pylon that wrote it.
    #[serde(default)]
    binary: String,
    watched: Vec<PathBuf>,
    stamp: String,
    workspace: Workspace,
}

fn cached(cache: &Path, cwd: &Path, binary: &str) -> Option<Workspace> {
    let record: Cached = serde_json::from_slice(&std::fs::read(cache).ok()?).ok()?;
    (record.binary == binary
        && record.watched == watch_list(cwd, &record.workspace)
        && record.stamp == stamp(&record.watched))
    .then_some(record.workspace)
}

/// What discovery depends on: every `Cargo.toml` and `.cargo/` from the current folder
/// up, the workspace's members' manifests and the folders holding them (a new cap
/// changes its parent folder).
fn watch_list(cwd: &Path, ws: &Workspace) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for dir in cwd.ancestors() {
        paths.push(dir.join("Cargo.toml"));
        paths.push(dir.join(".cargo"));
    }
    for manifest in &ws.members {
        paths.push(manifest.clone());
        if let Some(parent) = manifest.parent().and_then(Path::parent) {
            paths.push(parent.to_path_buf());
        }
    }
    paths.push(ws.root.join("caps"));
    paths.sort();
    paths.dedup();
    paths
}

fn stamp(paths: &[PathBuf]) -> String {
    let mut fp = Fingerprint::new("watched");
    for path in paths {
        let meta = std::fs::metadata(path).ok();
        let mtime = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        fp.text(&format!(
            "{}|{:?}|{:?}",
            path.display(),
            meta.map(|m| m.len()),
            mtime
        ));
    }
    fp.finish()
}

/// Read the workspace around the current folder (or `manifest_path`).
pub fn workspace(manifest_path: Option<&Path>) -> Result<Workspace> {
    read(Path::new("."), manifest_path)
}

fn read(cwd: &Path, manifest_path: Option<&Path>) -> Result<Workspace> {
    let mut cmd = MetadataCommand::new();
    cmd.no_deps().current_dir(cwd);
    if let Some(path) = manifest_path {
        cmd.manifest_path(path);
    }
    let metadata = cmd.exec().context(
        "`cargo metadata` failed; run pylon inside a cargo workspace (or pass --manifest-path)",
    )?;
    let root = metadata.workspace_root.clone().into_std_path_buf();
    let settings = match metadata.workspace_metadata.get("pylon") {
        Some(value) => serde_path_to_error::deserialize(value).map_err(|err| {
            let key = err.path().to_string();
            let message = err.inner().to_string();
            anyhow::anyhow!(
                "{}: [workspace.metadata.pylon] key `{key}`: {message}\n  fix: {}",
                root.join("Cargo.toml").display(),
                manifest::hint(&message)
            )
        })?,
        None => WorkspaceSettings::default(),
    };
    let mut caps = Vec::new();
    let members = metadata
        .workspace_packages()
        .iter()
        .map(|p| p.manifest_path.clone().into_std_path_buf())
        .collect();
    for package in metadata.workspace_packages() {
        if let Some(value) = package.metadata.get("pylon") {
            caps.push(cap(package, value)?);
        }
    }
    caps.sort_by(|a, b| a.package.cmp(&b.package));
    if caps.iter().any(|c| c.meta.library.is_some()) {
        locate_libraries(&mut caps, cwd, manifest_path)?;
    }
    share_libraries(&mut caps)?;
    Ok(Workspace {
        root,
        target_dir: metadata.target_directory.into_std_path_buf(),
        settings,
        caps,
        members,
    })
}

/// Where cargo keeps each library cap's vendoring crate (`cargo metadata` with the
/// dependencies: cargo fetches them as Cargo.lock pins them).
fn locate_libraries(caps: &mut [Cap], cwd: &Path, manifest_path: Option<&Path>) -> Result<()> {
    let mut cmd = MetadataCommand::new();
    cmd.current_dir(cwd);
    if let Some(path) = manifest_path {
        cmd.manifest_path(path);
    }
    let metadata = cmd
        .exec()
        .context("`cargo metadata` could not resolve the library caps' dependencies")?;
    let resolve = metadata
        .resolve
        .as_ref()
        .context("`cargo metadata` gave no dependency graph")?;
    for cap in caps.iter_mut() {
        let Some(library) = &cap.meta.library else {
            continue;
        };
        let node = resolve
            .nodes
            .iter()
            .find(|n| metadata[&n.id].name.as_str() == cap.package)
            .context("a cap missing from the dependency graph")?;
        let dep = node.deps.iter().find(|d| metadata[&d.pkg].name.as_str() == library.krate).with_context(|| {
            format!("{}: [package.metadata.pylon.library] crate {:?} is not a dependency of the cap\n  fix: add it under [dependencies]", cap.manifest_path.display(), library.krate)
        })?;
        let dir = metadata[&dep.pkg]
            .manifest_path
            .parent()
            .context("a crate without a folder")?
            .as_std_path()
            .to_path_buf();
        // A configured library's headers may appear only with its build.
        if let Some(configure) = &library.configure {
            if !dir.join(&configure.root).is_dir() {
                bail!(
                    "{}: [package.metadata.pylon.library.configure] root: {} is not a folder of {}",
                    cap.manifest_path.display(),
                    configure.root.display(),
                    dir.display()
                );
            }
        } else if let Some(missing) = library.include.iter().find(|p| !dir.join(p).is_dir()) {
            bail!("{}: [package.metadata.pylon.library] include: {} is not a folder of {}\n  fix: name folders relative to that crate's folder", cap.manifest_path.display(), missing.display(), dir.display());
        }
        let sources = library.files(&dir).with_context(|| {
            format!(
                "{}: [package.metadata.pylon.library]",
                cap.manifest_path.display()
            )
        })?;
        cap.located = Some(LocatedLibrary { dir, sources });
    }
    Ok(())
}

/// A cap with `library-from` takes the library of the cap it names, located: both modules
/// compile against the same build, which the link takes once.
fn share_libraries(caps: &mut [Cap]) -> Result<()> {
    for i in 0..caps.len() {
        let Some(from) = caps[i].meta.library_from.clone() else {
            continue;
        };
        let (library, located) = match caps.iter().find(|c| c.package == from) {
            Some(other) if other.meta.library.is_some() => {
                (other.meta.library.clone(), other.located.clone())
            }
            Some(_) => bail!(
                "{}: [package.metadata.pylon] library-from: cap {from:?} has no library of its own\n  fix: name a cap with a [package.metadata.pylon.library] table",
                caps[i].manifest_path.display()
            ),
            None => bail!(
                "{}: [package.metadata.pylon] library-from: {from:?} is not a cap of this workspace\n  fix: add that cap to the workspace's members, or leave this cap out too",
                caps[i].manifest_path.display()
            ),
        };
        caps[i].meta.library = library;
        caps[i].located = located;
    }
    Ok(())
}

fn cap(package: &Package, value: &serde_json::Value) -> Result<Cap> {
    let manifest_path = package.manifest_path.clone().into_std_path_buf();
    let shown = format!("{} (crate `{}`)", manifest_path.display(), package.name);
    let at = move |key: &str| format!("{shown}: [package.metadata.pylon] key `{key}`");
    let meta: CapManifest = serde_path_to_error::deserialize(value).map_err(|err| {
        let key = err.path().to_string();
        let message = err.inner().to_string();
        anyhow::anyhow!(
            "{}: {message}\n  fix: {}",
            at(&key),
            manifest::hint(&message)
        )
    })?;
    let dir = manifest_path
        .parent()
        .expect("manifest in a folder")
        .to_path_buf();
    let cdylib = package
        .targets
        .iter()
        .find(|t| t.crate_types.iter().any(|k| k.to_string() == "cdylib"))
        .map(|t| t.name.replace('-', "_"));
    let lib_name = match (meta.linkage, cdylib) {
        (_, Some(name)) => name,
        // Library and package caps have no component to build.
        (Linkage::Interpreter | Linkage::Package, None) => package.name.replace('-', "_"),
        (_, None) if meta.build.is_some() => bail!("{}: key `linkage`: a cap with [package.metadata.pylon.build] is a Python distribution built from its sdist\n  fix: set linkage = \"package\"", manifest_path.display()),
        _ => bail!("{}: a cap's crate builds its component as a library; add [lib] crate-type = [\"cdylib\"]", manifest_path.display()),
    };
    let cap = Cap {
        package: package.name.to_string(),
        version: package.version.to_string(),
        lib_name,
        located: None,
        dir,
        manifest_path,
        meta,
    };
    super::validate::cap(&cap, &at)?;
    Ok(cap)
}
