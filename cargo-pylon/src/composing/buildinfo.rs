//! The build manifest written beside `pylon.wasm`: what went in, what came out, and the
//! versions of everything, each file with its sha256.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use walkdir::WalkDir;

#[derive(Serialize)]
pub struct BuildManifest {
    pub schema: u32,
    pub pylon: &'static str,
    pub cpython: CpythonInfo,
    pub toolchain: String,
    pub caps: Vec<CapInfo>,
    pub inputs: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
}

#[derive(Serialize)]
pub struct CpythonInfo {
    pub version: String,
    pub source_sha256: String,
    pub build_key: String,
}

#[derive(Serialize)]
pub struct CapInfo {
    pub package: String,
    pub version: String,
    pub module: String,
    pub linkage: String,
    /// None for a library cap, which has no component (its sources are among `inputs`).
    pub component_sha256: Option<String>,
}

/// sha256 of every file under each path (folders walked, `target/` skipped).
pub fn hash_files(paths: &[PathBuf], relative_to: &Path) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for root in paths {
        for entry in WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.file_name() != "target")
        {
            let entry = entry.with_context(|| format!("cannot walk {}", root.display()))?;
            if entry.file_type().is_file() {
                let name = entry
                    .path()
                    .strip_prefix(relative_to)
                    .unwrap_or(entry.path())
                    .display()
                    .to_string();
                out.insert(name, pylon_sys::source::sha256_file(entry.path())?);
            }
        }
    }
    Ok(out)
}

impl BuildManifest {
    pub fn write(&self, path: &Path) -> Result<()> {
        let json =
            serde_json::to_vec_pretty(self).context("cannot serialize the build manifest")?;
        crate::support::fs::write_atomically(path, &json)
    }
}
