//! The certificate authorities the guest trusts: Mozilla's set as Debian packages it
//! (`ca-certificates`, pinned), joined into one PEM bundle at `ssl/cert.pem` in the runtime
//! prefix. That is the file OpenSSL reads by default: the hashlib cap builds it with
//! `--openssldir=/usr/local/ssl`, the prefix's guest path, so `ssl.create_default_context()`
//! trusts what a Debian machine trusts, with no variable set.

use std::path::Path;

use anyhow::{Context, Result};

use crate::debian::{self, Suite};
use crate::home::Home;
use crate::progress::Step;
use crate::toolchain::WASI_LIBC;

/// The package, from the suite pylon already takes wasi-libc from.
pub const PACKAGE: &str = "ca-certificates";
pub const VERSION: &str = "20250419+deb13u1";
/// Where the package keeps one PEM file per authority.
const CERTS: &str = "usr/share/ca-certificates/mozilla";
/// The bundle, relative to the runtime prefix.
pub const BUNDLE: &str = "ssl/cert.pem";

/// Write the bundle to `prefix`/[`BUNDLE`].
pub fn stage(home: &Home, prefix: &Path, step: &Step) -> Result<()> {
    step.message("fetching the CA certificates");
    let suite = Suite::open(WASI_LIBC.suite, &home.dir("apt")?, step)?;
    let deb = suite.download(
        &format!("{PACKAGE}={VERSION}"),
        &home.downloads()?.join("debs"),
        step,
    )?;
    let unpacked = tempfile::tempdir_in(prefix).context("cannot make a scratch folder")?;
    debian::unpack(&deb, unpacked.path(), step)?;
    let dir = unpacked.path().join(CERTS);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("{PACKAGE} {VERSION} has no {CERTS}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "crt"))
        .collect();
    files.sort();
    anyhow::ensure!(
        files.len() > 100,
        "{PACKAGE} {VERSION} holds {} certificates, not Mozilla's set",
        files.len()
    );
    let mut bundle = String::new();
    for file in &files {
        let pem = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        bundle.push_str(pem.trim_end());
        bundle.push('\n');
    }
    let dest = prefix.join(BUNDLE);
    std::fs::create_dir_all(dest.parent().expect("in a folder"))
        .with_context(|| format!("cannot create {}", dest.display()))?;
    std::fs::write(&dest, bundle).with_context(|| format!("cannot write {}", dest.display()))
}
