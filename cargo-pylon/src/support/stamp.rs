//! Incremental steps: a step records the fingerprint of its inputs beside its outputs and
//! is skipped while both are unchanged.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use walkdir::WalkDir;

/// A running hash of a step's inputs.
#[derive(Clone, Default)]
pub struct Fingerprint(Sha256);

impl Fingerprint {
    pub fn new(step: &str) -> Self {
        let mut fp = Self::default();
        fp.text(step);
        fp
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// A file's contents.
    pub fn file(&mut self, path: &Path) -> Result<&mut Self> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        self.text(&path.display().to_string());
        Ok(self.bytes(&bytes))
    }

    /// The contents of every C header (`*.h`) directly in `dir`.
    pub fn headers(&mut self, dir: &Path) -> Result<&mut Self> {
        for entry in
            std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let path = entry
                .with_context(|| format!("cannot list {}", dir.display()))?
                .path();
            if path.extension().is_some_and(|e| e == "h") {
                self.file(&path)?;
            }
        }
        Ok(self)
    }

    /// Names, sizes and modification times of every file under `dir` except `target/`
    /// folders: cheap, and enough to notice any edit (cargo decides what to rebuild).
    pub fn tree(&mut self, dir: &Path) -> Result<&mut Self> {
        let walk = WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.file_name() != "target");
        for entry in walk {
            let entry = entry.with_context(|| format!("cannot walk {}", dir.display()))?;
            let meta = entry
                .metadata()
                .with_context(|| format!("cannot stat {}", entry.path().display()))?;
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .unwrap_or_default();
            self.text(&format!(
                "{}|{}|{}",
                entry.path().display(),
                meta.len(),
                mtime.as_nanos()
            ));
        }
        Ok(self)
    }

    /// Like [`Self::tree`], with each file's [`identity`]: enough to notice a file
    /// replaced by a copy that kept its size and modification time.
    pub fn identity(&mut self, path: &Path) -> Result<&mut Self> {
        for entry in WalkDir::new(path).sort_by_file_name() {
            let entry = entry.with_context(|| format!("cannot walk {}", path.display()))?;
            let meta = entry
                .metadata()
                .with_context(|| format!("cannot stat {}", entry.path().display()))?;
            self.text(&format!("{}|{}", entry.path().display(), identity(&meta)));
        }
        Ok(self)
    }

    pub fn finish(&self) -> String {
        hex::encode(self.0.clone().finalize())
    }
}

use super::fs::identity;

/// The record of a step's last successful run.
pub struct Stamp {
    path: PathBuf,
    key: String,
}

impl Stamp {
    pub fn new(dir: &Path, step: &str, fingerprint: &Fingerprint) -> Self {
        Self {
            path: dir.join(format!("{step}.stamp")),
            key: fingerprint.finish(),
        }
    }

    /// True when the inputs are unchanged and every output is still there.
    pub fn fresh(&self, outputs: &[&Path]) -> bool {
        outputs.iter().all(|o| o.exists())
            && std::fs::read_to_string(&self.path).is_ok_and(|k| k == self.key)
    }

    pub fn record(&self) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&self.path, &self.key)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}
