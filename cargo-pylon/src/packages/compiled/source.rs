//! A distribution's source tree, as its build will see it: the sdist unpacked, the
//! recipe's patches applied, and what the tree says about how it builds.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pylon_sys::progress::Step;

use crate::packages::recipe::File;

const PATCH: &str = "/usr/bin/patch";

/// setuptools' legacy backend: what a tree with no `pyproject.toml` (or none naming a
/// backend) builds with.
pub const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";

/// An unpacked source tree.
pub struct Tree {
    /// Its top folder (`<name>-<version>`).
    pub root: PathBuf,
}

impl Tree {
    /// `sdist` unpacked into `into`.
    pub fn unpack(sdist: &Path, into: &Path) -> Result<Self> {
        Ok(Self {
            root: crate::packages::sdist::unpack(sdist, into)?,
        })
    }

    /// Apply `patches` in order (`patch -p1`); `recipe` names where they come from.
    pub fn patch(&self, patches: &[File], recipe: &str, step: &Step) -> Result<()> {
        if patches.is_empty() {
            return Ok(());
        }
        if !Path::new(PATCH).exists() {
            pylon_sys::debian::install(&["patch"], step)
                .with_context(|| format!("{recipe}: the sdist is patched with patch(1)"))?;
        }
        let dir = tempfile::tempdir().context("cannot make a folder for the patches")?;
        for patch in patches {
            step.message(&format!("apply {}", patch.name));
            let file = dir.path().join("patch");
            std::fs::write(&file, &patch.bytes).context("cannot write a patch")?;
            step.run(
                std::process::Command::new(PATCH)
                    .args(["-p1", "--forward", "--batch", "-d"])
                    .arg(&self.root)
                    .arg("-i")
                    .arg(&file),
            )
            .with_context(|| {
                format!(
                    "{recipe}: {} does not apply to this release\n  fix: refresh the patch for it, or keep the package to the releases the recipe names",
                    patch.name
                )
            })?;
        }
        Ok(())
    }

    /// The `[build-system]` table of `pyproject.toml`, if there is one.
    fn build_system(&self) -> Result<Option<toml::Value>> {
        let path = self.root.join("pyproject.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(None);
        };
        let doc: toml::Value =
            toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
        Ok(doc.get("build-system").cloned())
    }

    /// The build backend the tree names (setuptools' legacy one when none).
    pub fn backend(&self) -> Result<String> {
        Ok(self
            .build_system()?
            .as_ref()
            .and_then(|b| b.get("build-backend"))
            .and_then(|b| b.as_str())
            .unwrap_or(LEGACY_BACKEND)
            .to_string())
    }

    /// In-tree backend folders (`backend-path`), relative to the top folder.
    pub fn backend_path(&self) -> Result<Vec<String>> {
        Ok(self
            .build_system()?
            .as_ref()
            .and_then(|b| b.get("backend-path"))
            .and_then(|p| p.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `build-system.requires` (setuptools' defaults when the tree names none, as PEP 518
    /// says).
    pub fn requires(&self) -> Result<Vec<String>> {
        let listed = self
            .build_system()?
            .as_ref()
            .and_then(|b| b.get("requires"))
            .and_then(|r| r.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            });
        Ok(listed.unwrap_or_else(|| vec!["setuptools>=40.8.0".to_string()]))
    }

    /// What in the tree cannot be built for the guest here, if anything: Rust extensions.
    pub fn unbuildable(&self) -> Result<Option<String>> {
        let requires = self.requires()?.join(" ").to_lowercase();
        if self.backend()? == "maturin" || requires.contains("maturin") {
            return Ok(Some("its extension is Rust built with maturin, which pylon does not build for the guest yet".into()));
        }
        if requires.contains("setuptools-rust") || requires.contains("setuptools_rust") {
            return Ok(Some("its extension is Rust built with setuptools-rust, which pylon does not build for the guest yet".into()));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_tree_builds_with() {
        let dir = tempfile::tempdir().unwrap();
        let tree = Tree {
            root: dir.path().to_path_buf(),
        };
        assert_eq!(tree.backend().unwrap(), LEGACY_BACKEND);
        assert_eq!(tree.requires().unwrap(), ["setuptools>=40.8.0"]);
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[build-system]\nrequires = [\"expandvars\", \"setuptools >= 47\"]\nbuild-backend = \"pep517_backend.hooks\"\nbackend-path = [\"packaging\"]\n",
        )
        .unwrap();
        assert_eq!(tree.backend().unwrap(), "pep517_backend.hooks");
        assert_eq!(tree.backend_path().unwrap(), ["packaging"]);
        assert_eq!(tree.requires().unwrap(), ["expandvars", "setuptools >= 47"]);
        assert_eq!(tree.unbuildable().unwrap(), None);
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[build-system]\nrequires = [\"maturin>=1,<2\"]\nbuild-backend = \"maturin\"\n",
        )
        .unwrap();
        assert!(tree.unbuildable().unwrap().unwrap().contains("maturin"));
    }
}
