//! The build manifest written beside `pylon.wasm`: what went in, what came out, and the
//! versions of everything, each file with its sha256.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::cext::Build;
use crate::workspace::discover::Cap;
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
    /// None for a package cap, whose modules its distribution's build names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    pub linkage: String,
    /// None for a library cap, which has no component (its sources are among `inputs`).
    pub component_sha256: Option<String>,
    /// A package cap's distribution: `project version`, and the sha256 of the sdist it was
    /// built from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdist_sha256: Option<String>,
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

/// What went into the composition and what came out, each file hashed: `pylon.json`.
pub fn write_manifest(build: &Build, caps: &[&Cap], built: &[(&Cap, &PathBuf)]) -> Result<()> {
    let (toolchain, cpython, target) = (build.toolchain, build.cpython, build.target);
    let root = target
        .workspace_root
        .clone()
        .unwrap_or_else(|| target.out_dir.clone());
    let mut cap_info = Vec::new();
    let mut inputs = Vec::new();
    for cap in caps {
        inputs.push(cap.dir.clone());
        let component = built
            .iter()
            .find(|(c, _)| c.package == cap.package)
            .map(|(_, component)| *component);
        if let (Some(located), Some(library)) = (&cap.located, &cap.meta.library) {
            // A library cap's inputs are the C sources it compiles (a configured library:
            // its crate's manifest, which names the version of the tree it builds).
            inputs.extend(located.sources.iter().cloned());
            match &library.configure {
                Some(_) => inputs.push(located.dir.join("Cargo.toml")),
                None => inputs.extend(library.include.iter().map(|p| located.dir.join(p))),
            }
        }
        let package = cap
            .meta
            .upstream
            .as_ref()
            .filter(|_| cap.meta.linkage == crate::workspace::manifest::Linkage::Package);
        cap_info.push(CapInfo {
            package: cap.package.clone(),
            version: cap.version.clone(),
            module: cap.module().map(str::to_string),
            linkage: format!("{:?}", cap.meta.linkage).to_lowercase(),
            component_sha256: component
                .map(|c| pylon_sys::source::sha256_file(c))
                .transpose()?,
            distribution: package.map(|u| format!("{} {}", u.pypi, u.version)),
            sdist_sha256: package.and_then(|u| u.sdist_sha256.clone()),
        });
    }
    // pylon.wasm, and for dynlink caps the plan and the providers beside it.
    let outputs: Vec<PathBuf> = pylon_runtime::plan::artifacts(&target.output)
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    let manifest = BuildManifest {
        schema: 1,
        pylon: env!("CARGO_PKG_VERSION"),
        cpython: CpythonInfo {
            version: cpython.profile.version.into(),
            source_sha256: cpython.profile.sha256.into(),
            build_key: cpython.key.clone(),
        },
        toolchain: toolchain.identity.clone(),
        caps: cap_info,
        inputs: hash_files(&inputs, &root)?,
        outputs: hash_files(&outputs, &root)?,
    };
    manifest.write(&target.out_dir.join("pylon.json"))
}
