//! A cap as discovery found it: its crate, its validated manifest, and the paths they name.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::manifest::{CapManifest, Extension, Source};

/// A library cap's C library as cargo keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocatedLibrary {
    /// The folder of the crate that vendors the sources.
    pub dir: PathBuf,
    /// The C files `library.sources` names there, patterns expanded, exclusions left out.
    pub sources: Vec<PathBuf>,
}

/// One cap: a crate with a validated `[package.metadata.pylon]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cap {
    /// The cargo package name (`blake3-cap`).
    pub package: String,
    pub version: String,
    /// The library target name, which names the built component (`blake3_cap`).
    pub lib_name: String,
    /// For a library cap: where its C library was found.
    #[serde(default)]
    pub located: Option<LocatedLibrary>,
    pub dir: PathBuf,
    pub manifest_path: PathBuf,
    pub meta: CapManifest,
}

impl Cap {
    /// A path from the manifest, resolved against the crate's folder.
    pub fn path(&self, relative: &Path) -> PathBuf {
        self.dir.join(relative)
    }

    /// The facade's files, each with where it goes under site-packages: the one module
    /// file, or every file of a package folder (bytecode caches left out), sorted.
    pub fn facade_files(&self) -> Result<Vec<(PathBuf, PathBuf)>> {
        let Some(provides) = &self.meta.provides else {
            return Ok(Vec::new());
        };
        let source = self.path(&provides.facade);
        if source.is_file() {
            return Ok(vec![(source, provides.dest.clone())]);
        }
        let mut files = Vec::new();
        let walk = walkdir::WalkDir::new(&source)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.file_name() != "__pycache__");
        for entry in walk {
            let entry =
                entry.with_context(|| format!("cannot walk the facade {}", source.display()))?;
            if entry.file_type().is_file() {
                let relative = entry
                    .path()
                    .strip_prefix(&source)
                    .expect("walked below the facade");
                files.push((entry.path().to_path_buf(), provides.dest.join(relative)));
            }
        }
        Ok(files)
    }

    /// The facade file that defines the module's public names: the module itself, or a
    /// package's `__init__.py`.
    pub fn facade_entry(&self) -> Option<PathBuf> {
        let provides = self.meta.provides.as_ref()?;
        let source = self.path(&provides.facade);
        Some(if source.is_dir() {
            source.join("__init__.py")
        } else {
            source
        })
    }

    /// The cap's extension: every cap has one but a package cap, whose distribution's build
    /// names its modules (checked at discovery).
    pub fn extension(&self) -> &Extension {
        self.meta
            .extension
            .as_ref()
            .expect("validated: only a package cap has no extension")
    }

    /// The builtin modules the cap adds that are named in its manifest (a package cap's
    /// come from its build).
    pub fn module(&self) -> Option<&str> {
        self.meta.extension.as_ref().map(|e| e.module.as_str())
    }

    /// The hand-written C source of the extension, in the crate: none when the extension
    /// is generated, or is CPython's own module (a library cap), or there is none.
    pub fn c_source(&self) -> Option<PathBuf> {
        match self.meta.extension.as_ref().map(|e| &e.source) {
            Some(Source::File(path)) => Some(self.path(path)),
            _ => None,
        }
    }
}
