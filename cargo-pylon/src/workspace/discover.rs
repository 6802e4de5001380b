//! Finding caps: every workspace package whose `Cargo.toml` has `[package.metadata.pylon]`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use cargo_metadata::{MetadataCommand, Package};

use serde::{Deserialize, Serialize};

use super::locate::{locate_libraries, share_libraries};
use super::manifest::{self, CapManifest, Linkage, WorkspaceSettings};
use crate::support::stamp::Fingerprint;

pub use super::cap::{Cap, LocatedLibrary};

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
