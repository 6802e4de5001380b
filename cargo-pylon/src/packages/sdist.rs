//! Releases' files from the package index, unpacked once into the pylon home: sdists
//! (whose tests upstream suites run, whose sources builds compile) and wheels (whose API
//! check-drift reads).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_sys::Home;

use super::index;

/// Where to fetch from, and whether the index may be asked at all.
pub struct Source {
    pub index: Option<String>,
    pub cache: PathBuf,
    pub offline: bool,
}

impl Source {
    /// The workspace's package index (else pip's configuration) and the pylon home's cache.
    pub fn of(configured: Option<&str>, home: &Home, offline: bool) -> Result<Self> {
        Ok(Self {
            index: index::index_url(configured).ok(),
            cache: index::cache_dir(home)?,
            offline,
        })
    }

    pub fn index(&self) -> Result<&str> {
        match &self.index {
            Some(index) => Ok(index.as_str()),
            None if self.offline => Ok(""),
            None => bail!("no package index is configured: set PYLON_PYPI_INDEX, [workspace.metadata.pylon] pypi-index, or pip's index-url"),
        }
    }
}

/// `archive` (a `.tar.gz`, `.tar.xz` or `.zip`) unpacked into `into`: its top folder.
pub fn unpack(archive: &Path, into: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(into).with_context(|| format!("cannot create {}", into.display()))?;
    let name = archive.to_string_lossy();
    if name.ends_with(".zip") {
        crate::support::archive::unzip(archive, into)?;
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        let file = std::fs::File::open(archive)
            .with_context(|| format!("cannot open {}", archive.display()))?;
        tar::Archive::new(flate2::read::GzDecoder::new(file))
            .unpack(into)
            .with_context(|| format!("cannot unpack {}", archive.display()))?;
    } else if name.ends_with(".tar.xz") {
        // Unpacked without its top folder, which then is `into/source`.
        let root = into.join("source");
        pylon_sys::source::extract(archive, &root)?;
        return Ok(root);
    } else {
        bail!(
            "{}: pylon unpacks source archives that are .tar.gz, .tar.xz or .zip files",
            archive.display()
        );
    }
    top_folder(into, &archive.display().to_string())
}

/// The one folder an unpacked source archive holds.
fn top_folder(dir: &Path, what: &str) -> Result<PathBuf> {
    let mut tops = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir());
    match (tops.next(), tops.next()) {
        (Some(top), None) => Ok(top.path()),
        _ => bail!("{what}: a source distribution holds exactly one top folder"),
    }
}

/// `archive` (an sdist whose sha256 is `sha256`) unpacked once into the pylon home: its top
/// folder.
pub fn unpacked_file(archive: &Path, sha256: &str, home: &Home) -> Result<PathBuf> {
    let name = archive
        .file_name()
        .context("an sdist has a file name")?
        .to_string_lossy()
        .into_owned();
    let dir = home
        .dir("upstream")?
        .join(format!("{name}-{}", &sha256[..16.min(sha256.len())]));
    pylon_sys::home::fill_once(&dir, |scratch| unpack(archive, scratch).map(drop))?;
    top_folder(&dir, &dir.display().to_string())
}

/// `project`'s `version` source distribution (pinned by its `sha256`), fetched from the
/// index and unpacked once into the pylon home: its top folder.
pub fn unpacked(
    project: &str,
    version: &str,
    sha256: &str,
    home: &Home,
    source: &Source,
) -> Result<PathBuf> {
    let dir = home.dir("upstream")?.join(format!(
        "{project}-{version}-{}",
        &sha256[..16.min(sha256.len())]
    ));
    if !pylon_sys::home::is_published(&dir) {
        let archive = index::download(
            project,
            version,
            &|name| name.ends_with(".tar.gz"),
            Some(sha256),
            source.index()?,
            &source.cache,
            source.offline,
        )?;
        pylon_sys::home::fill_once(&dir, |scratch| unpack(&archive, scratch).map(drop))?;
    }
    top_folder(&dir, &dir.display().to_string())
}

/// A wheel of `project`'s release `version`, unpacked (fetched once): its public API is
/// read from it. Any wheel of the release will do; the Python API is the same on every
/// platform.
pub fn wheel(project: &str, version: &str, home: &Home, source: &Source) -> Result<PathBuf> {
    let dir = home
        .dir("upstream")?
        .join(format!("{project}-{version}-wheel"));
    if !pylon_sys::home::is_published(&dir) {
        let wheel = index::download(
            project,
            version,
            &|name| name.ends_with(".whl"),
            None,
            source.index()?,
            &source.cache,
            source.offline,
        )?;
        pylon_sys::home::fill_once(&dir, |scratch| {
            crate::support::archive::unzip(&wheel, scratch)
        })?;
    }
    Ok(dir)
}
