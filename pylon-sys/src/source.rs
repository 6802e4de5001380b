//! The pinned CPython source: from `PYLON_CPYTHON_TARBALL`, the download cache, or
//! Debian's source package, always checked against the profile's sha256.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::debian::Suite;
use crate::home::Home;
use crate::profile::Profile;
use crate::progress::Step;

/// A verified tarball of `profile`'s CPython source.
pub fn fetch(profile: &Profile, home: &Home, step: &Step) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("PYLON_CPYTHON_TARBALL").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        verify(profile, &path).context("PYLON_CPYTHON_TARBALL does not hold the pinned source")?;
        return Ok(path);
    }
    let cached = home.downloads()?.join(profile.tarball);
    if cached.is_file() && verify(profile, &cached).is_ok() {
        return Ok(cached);
    }
    let Some(debian) = profile.debian else {
        bail!(
            "no package registry pylon can reach serves the CPython {} source; download the upstream {} \
             (sha256 {}) and set PYLON_CPYTHON_TARBALL to its path",
            profile.version, profile.tarball, profile.sha256
        );
    };
    step.message(&format!(
        "fetching {} {} from Debian {}",
        debian.package, debian.version, debian.suite
    ));
    let suite = Suite::open(debian.suite, &home.dir("apt")?, step)?;
    let scratch = tempfile::Builder::new()
        .prefix(".source-")
        .tempdir_in(home.downloads()?)
        .context("cannot make a scratch folder in the download cache")?;
    suite.download_source(debian.package, debian.version, scratch.path(), step)?;
    let fetched = scratch.path().join(profile.tarball);
    verify(profile, &fetched)?;
    std::fs::rename(&fetched, &cached)
        .with_context(|| format!("cannot move the source into {}", cached.display()))?;
    Ok(cached)
}

fn verify(profile: &Profile, path: &Path) -> Result<()> {
    let actual = sha256_file(path)?;
    if actual != profile.sha256 {
        bail!(
            "{} has sha256 {actual}, but CPython {} is pinned to {}; remove the file or point at the pristine upstream tarball",
            path.display(), profile.version, profile.sha256
        );
    }
    Ok(())
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Unpack a `.tar.xz` into `dest`, dropping the archive's top folder (`Python-3.13.5/`).
pub fn extract(tarball: &Path, dest: &Path) -> Result<()> {
    let file = File::open(tarball).with_context(|| format!("cannot open {}", tarball.display()))?;
    let mut archive = tar::Archive::new(liblzma::read::XzDecoder::new(BufReader::new(file)));
    archive.set_preserve_mtime(true);
    for entry in archive
        .entries()
        .context("cannot read the source tarball")?
    {
        let mut entry = entry.context("corrupt entry in the source tarball")?;
        let path = entry.path()?.into_owned();
        let inner: PathBuf = path.components().skip(1).collect();
        if inner.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(&inner);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        entry
            .unpack(&target)
            .with_context(|| format!("cannot unpack {}", inner.display()))?;
    }
    Ok(())
}
