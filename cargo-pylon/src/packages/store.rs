//! Locked files in the pylon home, by sha256: fetched once from the URL the lock names,
//! checked, and shared by every workspace; `--offline` (and a cut network) use them as
//! they are.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;

use super::lock::Archive;
use crate::packages::index;

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(home: &pylon_sys::Home) -> Result<Self> {
        Ok(Self {
            dir: home.dir("packages")?,
        })
    }

    /// Where `sha256`'s file is kept.
    fn slot(&self, sha256: &str) -> PathBuf {
        self.dir.join("sha256").join(sha256)
    }

    /// The folder kept for what is made from the file `sha256` (its built wheel).
    pub fn derived(&self, sha256: &str, kind: &str) -> PathBuf {
        self.slot(sha256).join(kind)
    }

    /// `archive` of `project`, from the store or (once) from its URL.
    pub fn fetch(&self, project: &str, archive: &Archive, offline: bool) -> Result<PathBuf> {
        let name = archive.file_name().with_context(|| {
            format!("pylock.toml: a file of {project} has neither a name nor a url")
        })?;
        let sha = archive.sha256().with_context(|| {
            format!("pylock.toml: {name} has no sha256; run `cargo pylon lock --upgrade`")
        })?;
        if !sha.bytes().all(|b| b.is_ascii_hexdigit()) || sha.len() != 64 {
            bail!("pylock.toml: {name} has sha256 {sha:?}, which is not 64 hex digits");
        }
        let path = self.slot(sha).join(name);
        if path.is_file() {
            return Ok(path);
        }
        let url = archive
            .url
            .as_deref()
            .with_context(|| format!("pylock.toml: {name} has no url to fetch it from"))?;
        if offline {
            bail!("{name} is not in the pylon home ({}) and --offline forbids fetching it\n  fix: run once with the network, which keeps it", self.dir.display());
        }
        let step = Step::start(format!("fetch {name}"));
        let bytes = index::fetch_checked(url, sha).with_context(|| {
            format!("cannot fetch {name}, whose sha256 pylock.toml pins\n  fix: check the network (or use --offline once it is in the pylon home); if the index really changed the file, run `cargo pylon lock --upgrade`")
        })?;
        write(&path, &bytes)?;
        step.finish();
        Ok(path)
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("a store path has a folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    crate::support::fs::write_atomically(path, bytes)
}
