//! `pylock.toml` (PEP 751), as uv writes it and pylon reads it back: which file of each
//! locked package the guest gets, and whether the lock still answers the requirements.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

pub const FILE_NAME: &str = "pylock.toml";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Pylock {
    pub lock_version: String,
    #[serde(default)]
    pub requires_python: Option<String>,
    #[serde(default)]
    pub packages: Vec<Package>,
    #[serde(default)]
    pub tool: Tools,
}

#[derive(Debug, Default, Deserialize)]
pub struct Tools {
    #[serde(default)]
    pub pylon: Option<PylonTool>,
}

/// `[tool.pylon]`: what the lock was resolved from, so a changed requirement (or
/// profile) is noticed without asking the resolver, and how its compiled packages build.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PylonTool {
    #[serde(flatten)]
    pub inputs: Inputs,
    /// The packages built for the guest from their sdists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub built: Vec<BuiltPackage>,
}

/// What a lock is resolved from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Inputs {
    pub requirements: Vec<String>,
    /// The guest's CPython version the lock's markers were evaluated for.
    pub python: String,
    /// Packages kept in their pure-Python form though they have compiled code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pure: Vec<String>,
}

/// A package the guest gets compiled: built from its locked sdist with these build
/// requirements (resolved and pinned when the lock was made).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct BuiltPackage {
    pub name: String,
    pub build_requires: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub wheels: Vec<Archive>,
    #[serde(default)]
    pub sdist: Option<Archive>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Archive {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
}

/// A package's pure wheel, or else its sdist.
pub enum Artifact<'a> {
    /// A wheel with no compiled code, used as it is.
    Wheel(&'a Archive),
    /// No such wheel: the sdist.
    Sdist(&'a Archive),
}

impl Archive {
    /// Its file name: `name`, else the last part of its URL.
    pub fn file_name(&self) -> Option<&str> {
        self.name
            .as_deref()
            .or_else(|| self.url.as_deref()?.rsplit('/').next())
            .filter(|n| !n.is_empty())
    }

    pub fn sha256(&self) -> Option<&str> {
        self.hashes.get("sha256").map(String::as_str)
    }
}

impl Package {
    /// The file the guest installs: a pure wheel, else the sdist.
    pub fn artifact(&self) -> Option<Artifact<'_>> {
        self.wheels
            .iter()
            .find(|w| w.file_name().is_some_and(is_pure_wheel))
            .map(Artifact::Wheel)
            .or(self.sdist.as_ref().map(Artifact::Sdist))
    }
}

/// A wheel file name whose tags run anywhere a Python 3 runs: ABI `none`, platform `any`.
pub fn is_pure_wheel(file_name: &str) -> bool {
    let Some(stem) = file_name.strip_suffix(".whl") else {
        return false;
    };
    let tags: Vec<&str> = stem.rsplitn(4, '-').collect();
    matches!(tags.as_slice(), [platform, abi, python, _] if *abi == "none" && *platform == "any"
        && python.split('.').any(|t| t == "py3" || t.starts_with("py3")))
}

impl Pylock {
    pub fn path(root: &Path) -> PathBuf {
        root.join(FILE_NAME)
    }

    /// The workspace's lock, if it has one.
    pub fn read(root: &Path) -> Result<Option<Self>> {
        let path = Self::path(root);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let lock: Self = toml::from_str(&text).with_context(|| {
            format!(
                "{} is not a PEP 751 lock file\n  fix: run `cargo pylon lock --upgrade` to write it again",
                path.display()
            )
        })?;
        if lock.lock_version.split('.').next() != Some("1") {
            anyhow::bail!(
                "{}: lock-version {} is newer than pylon reads (1.x)",
                path.display(),
                lock.lock_version
            );
        }
        Ok(Some(lock))
    }

    /// Whether it was resolved from exactly these inputs.
    pub fn answers(&self, inputs: &Inputs) -> bool {
        self.tool.pylon.as_ref().map(|t| &t.inputs) == Some(inputs)
    }

    /// The pinned build requirements of `name`, when the guest gets it compiled.
    pub fn built(&self, name: &str) -> Option<&[String]> {
        let tool = self.tool.pylon.as_ref()?;
        tool.built
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.build_requires.as_slice())
    }

    /// Every locked version as `name==version`.
    pub fn pins(&self) -> Vec<String> {
        self.packages
            .iter()
            .map(|p| format!("{}=={}", p.name, p.version))
            .collect()
    }
}

/// uv's export with pylon's `[tool.pylon]` table after it.
pub fn with_tool(exported: &str, tool: &PylonTool) -> Result<String> {
    #[derive(Serialize)]
    struct Tool<'a> {
        tool: BTreeMap<&'static str, &'a PylonTool>,
    }
    let table = toml::to_string(&Tool {
        tool: BTreeMap::from([("pylon", tool)]),
    })?;
    Ok(format!("{}\n\n{table}", exported.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_pure_wheels_by_their_tags() {
        assert!(is_pure_wheel("flask-3.1.3-py3-none-any.whl"));
        assert!(is_pure_wheel("six-1.17.0-py2.py3-none-any.whl"));
        assert!(is_pure_wheel("attrs-25.1.0-1-py3-none-any.whl"));
        assert!(!is_pure_wheel(
            "numpy-2.3.5-cp313-cp313-manylinux_2_28_x86_64.whl"
        ));
        assert!(!is_pure_wheel("cffi-1.17.1-cp313-abi3-any.whl"));
        assert!(!is_pure_wheel("old-1.0-py2-none-any.whl"));
        assert!(!is_pure_wheel("flask-3.1.3.tar.gz"));
    }

    #[test]
    fn reads_a_lock_and_its_inputs_back() {
        let inputs = Inputs {
            requirements: vec!["flask>=3".into()],
            python: "3.13.5".into(),
            pure: Vec::new(),
        };
        let exported = r#"lock-version = "1.0"
created-by = "uv"
requires-python = "==3.13.5"

[[packages]]
name = "blinker"
version = "1.9.0"
sdist = { url = "https://example.invalid/blinker-1.9.0.tar.gz", upload-time = 2024-11-08T17:25:47Z, size = 22460, hashes = { sha256 = "b4" } }
wheels = [{ url = "https://example.invalid/blinker-1.9.0-py3-none-any.whl", size = 8458, hashes = { sha256 = "ba" } }]
"#;
        let tool = PylonTool {
            inputs: inputs.clone(),
            built: vec![BuiltPackage {
                name: "blinker".into(),
                build_requires: vec!["setuptools==84.2.1".into()],
            }],
        };
        let text = with_tool(exported, &tool).unwrap();
        let lock: Pylock = toml::from_str(&text).unwrap();
        assert!(lock.answers(&inputs));
        assert_eq!(
            lock.built("blinker"),
            Some(&["setuptools==84.2.1".to_string()][..])
        );
        assert_eq!(lock.built("flask"), None);
        assert_eq!(lock.pins(), ["blinker==1.9.0"]);
        let Some(Artifact::Wheel(wheel)) = lock.packages[0].artifact() else {
            panic!("the pure wheel is chosen");
        };
        assert_eq!(wheel.file_name(), Some("blinker-1.9.0-py3-none-any.whl"));
        assert_eq!(wheel.sha256(), Some("ba"));
        let changed = Inputs {
            python: "3.14.0".into(),
            ..inputs
        };
        assert!(!lock.answers(&changed));
    }
}
