//! The user's pylon cache folder and its layout.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Root of everything pylon caches: `$PYLON_HOME`, else `<user cache dir>/pylon`.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    pub fn from_env() -> Result<Self> {
        let root = match std::env::var_os("PYLON_HOME") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => dirs::cache_dir()
                .context("no user cache folder is known on this system; set PYLON_HOME to a writable folder")?
                .join("pylon"),
        };
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A sub-folder, created on demand.
    pub fn dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}; check PYLON_HOME points to a writable folder", dir.display()))?;
        Ok(dir)
    }

    pub fn downloads(&self) -> Result<PathBuf> {
        self.dir("downloads")
    }

    pub fn logs(&self) -> Result<PathBuf> {
        self.dir("logs")
    }
}
