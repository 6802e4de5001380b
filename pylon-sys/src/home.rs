//! The user's pylon cache folder and its layout.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Marks a cache folder that was filled completely.
const COMPLETE: &str = ".pylon-complete";

/// Whether `dir` was put in place by [`publish`].
pub fn is_published(dir: &Path) -> bool {
    dir.join(COMPLETE).is_file()
}

/// Mark the filled `scratch` folder complete and move it to `dest`, replacing what an
/// earlier, interrupted attempt left there: readers never see half a folder.
pub fn publish(scratch: tempfile::TempDir, dest: &Path) -> Result<()> {
    std::fs::write(scratch.path().join(COMPLETE), b"")
        .with_context(|| format!("cannot mark {} complete", dest.display()))?;
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .with_context(|| format!("cannot remove the incomplete {}", dest.display()))?;
    }
    std::fs::rename(scratch.keep(), dest)
        .with_context(|| format!("cannot move the new folder into {}", dest.display()))
}

/// `dest` as `fill` makes it in a scratch folder beside it, then published; nothing is done
/// when a complete copy is there. Under `dest`'s lock, so concurrent callers wait for one
/// fill instead of racing, and a killed fill leaves only a scratch folder behind.
pub fn fill_once(dest: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if is_published(dest) {
        return Ok(());
    }
    let parent = dest.parent().context("a cache folder has a parent")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let lock_path = lock_path(dest);
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    if is_published(dest) {
        return Ok(());
    }
    let scratch = tempfile::Builder::new()
        .prefix(".fill-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a scratch folder in {}", parent.display()))?;
    fill(scratch.path())?;
    publish(scratch, dest)
}

/// The lock file that guards the filling of cache folder `dir`: `<dir>.lock` beside it
/// (appended, not an extension: folder names hold versions with dots).
pub fn lock_path(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    dir.with_file_name(name)
}

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
        std::fs::create_dir_all(&dir).with_context(|| {
            format!(
                "cannot create {}; check PYLON_HOME points to a writable folder",
                dir.display()
            )
        })?;
        Ok(dir)
    }

    pub fn downloads(&self) -> Result<PathBuf> {
        self.dir("downloads")
    }

    pub fn logs(&self) -> Result<PathBuf> {
        self.dir("logs")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_lock_is_named_after_the_whole_folder_name() {
        let path = super::lock_path(std::path::Path::new(
            "/cache/libraries/libz-sys-1.1.31-f11af03d",
        ));
        assert_eq!(
            path,
            std::path::Path::new("/cache/libraries/libz-sys-1.1.31-f11af03d.lock")
        );
    }
}
