//! The non-Rust parts every interpreter ships, as declared in pylon-sys's own
//! `[package.metadata.pylon-sys.bundled]` (kept in the manifest, read from it here).

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bundled {
    pub name: String,
    pub version: String,
    /// An SPDX expression.
    pub license: String,
}

const MANIFEST: &str = include_str!("../Cargo.toml");

pub fn bundled() -> Result<Vec<Bundled>> {
    #[derive(Deserialize)]
    struct Manifest {
        package: Package,
    }
    #[derive(Deserialize)]
    struct Package {
        metadata: Metadata,
    }
    #[derive(Deserialize)]
    struct Metadata {
        #[serde(rename = "pylon-sys")]
        pylon_sys: Table,
    }
    #[derive(Deserialize)]
    struct Table {
        bundled: Vec<Bundled>,
    }
    let manifest: Manifest = toml::from_str(MANIFEST)
        .context("pylon-sys's [package.metadata.pylon-sys.bundled] does not parse")?;
    Ok(manifest.package.metadata.pylon_sys.bundled)
}

#[cfg(test)]
mod tests {
    #[test]
    fn declares_cpython_and_wasi_libc() {
        let parts = super::bundled().unwrap();
        assert!(parts
            .iter()
            .any(|p| p.name == "CPython" && p.license == "PSF-2.0"));
        assert!(parts.iter().any(|p| p.name.starts_with("wasi-libc")));
    }
}
