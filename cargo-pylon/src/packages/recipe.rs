//! Recipes: what a Python distribution with compiled code needs, beyond its own build, to
//! build for the guest and be judged there (C flags, patches, C libraries, build
//! requirements, its test suite and the skips with their reasons). Data, not code: a
//! `recipe.toml` in the schema of a package cap's `upstream` and `build` tables.
//!
//! Recipes ship with cargo-pylon (`cargo-pylon/recipes/<name>/`, as Pyodide ships its
//! own); a workspace adds or overrides one in its own recipes folder
//! (`[workspace.metadata.pylon] recipes`), and a package cap crate is a recipe the
//! workspace owns, pinned to one release. A package with no recipe builds with its
//! defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::packages::index::normalize;
use crate::support::stamp::Fingerprint;
use crate::workspace::manifest::{PackageBuild, Upstream};

/// The file a recipe folder holds its recipe in.
pub const FILE_NAME: &str = "recipe.toml";

/// A recipe's table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Recipe {
    /// The project (`pypi`), the releases the recipe was made for (`version`, a PEP 440
    /// specifier; resolution keeps to them) and its test suite.
    pub upstream: Upstream,
    #[serde(default)]
    pub build: PackageBuild,
    /// Why the package cannot work inside pylon, when it cannot: `add` refuses it with this.
    #[serde(default)]
    pub refuse: Option<String>,
    /// A smoke test and a hostile-input test, relative to the recipe's folder, run by
    /// `cargo pylon smoke` in a workspace that locks the package.
    #[serde(default)]
    pub smoke: Option<PathBuf>,
    #[serde(default)]
    pub hostile: Option<PathBuf>,
    /// Parts the package vendors that ship in the interpreter, for `check-licenses`.
    #[serde(default)]
    pub bundled: Vec<pylon_sys::bundled::Bundled>,
}

/// Where a recipe came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Shipped with cargo-pylon.
    Shipped,
    /// A workspace's recipes folder (the recipe's own folder).
    Workspace(PathBuf),
    /// A package cap crate (its `Cargo.toml`).
    Cap(PathBuf),
}

/// A file a recipe names (a patch, a test), with its contents.
#[derive(Debug, Clone)]
pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A recipe with the files it names, read.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub recipe: Recipe,
    pub origin: Origin,
    pub patches: Vec<File>,
    pub smoke: Option<File>,
    pub hostile: Option<File>,
}

impl Loaded {
    /// The normalized project name.
    pub fn project(&self) -> String {
        normalize(&self.recipe.upstream.pypi)
    }

    /// The uv constraint that keeps resolution to the recipe's releases.
    pub fn constraint(&self) -> String {
        format!(
            "{}{}",
            self.recipe.upstream.pypi,
            specifier(&self.recipe.upstream.version)
        )
    }

    /// Where to say the recipe is, in messages.
    pub fn describe(&self) -> String {
        match &self.origin {
            Origin::Shipped => format!("pylon's recipe for {}", self.recipe.upstream.pypi),
            Origin::Workspace(dir) => dir.join(FILE_NAME).display().to_string(),
            Origin::Cap(manifest) => manifest.display().to_string(),
        }
    }

    /// Everything in the recipe that changes a build.
    pub fn fingerprint(&self, fp: &mut Fingerprint) -> Result<()> {
        fp.text(&serde_json::to_string(&self.recipe.build)?);
        for patch in &self.patches {
            fp.text(&patch.name).bytes(&patch.bytes);
        }
        Ok(())
    }
}

/// A version (`2.5.5`) as the specifier `==2.5.5`; a specifier as it is.
pub fn specifier(version: &str) -> String {
    let version = version.trim();
    if version.starts_with(|c: char| c.is_ascii_digit()) {
        format!("=={version}")
    } else {
        version.to_string()
    }
}

/// Every recipe a workspace sees, by normalized project name: the shipped ones, then its
/// recipes folder's, then its package caps', each later one replacing an earlier one.
#[derive(Debug, Clone, Default)]
pub struct Recipes {
    by_project: BTreeMap<String, Loaded>,
}

impl Recipes {
    /// The shipped recipes, and `folder`'s (a workspace's recipes folder) over them.
    pub fn load(folder: Option<&Path>) -> Result<Self> {
        let mut recipes = Self::default();
        for (dir, text) in shipped::recipes() {
            let recipe = parse(text, &format!("cargo-pylon/recipes/{dir}/{FILE_NAME}"))?;
            let read = |name: &Path| shipped::file(dir, name);
            recipes.insert(with_files(recipe, Origin::Shipped, read)?);
        }
        if let Some(folder) = folder {
            recipes.load_folder(folder)?;
        }
        Ok(recipes)
    }

    fn load_folder(&mut self, folder: &Path) -> Result<()> {
        let entries = std::fs::read_dir(folder).with_context(|| {
            format!(
                "cannot list the workspace's recipes folder {}\n  fix: create it, or correct [workspace.metadata.pylon] recipes",
                folder.display()
            )
        })?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join(FILE_NAME).is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            let path = dir.join(FILE_NAME);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let recipe = parse(&text, &path.display().to_string())?;
            let read = |name: &Path| {
                let file = dir.join(name);
                std::fs::read(&file)
                    .with_context(|| format!("{}: cannot read {}", path.display(), file.display()))
            };
            self.insert(with_files(recipe, Origin::Workspace(dir.clone()), read)?);
        }
        Ok(())
    }

    /// A package cap's tables as the recipe of its one release.
    pub fn add_cap(
        &mut self,
        manifest: &Path,
        dir: &Path,
        upstream: &Upstream,
        build: &PackageBuild,
        bundled: &[pylon_sys::bundled::Bundled],
    ) -> Result<()> {
        let recipe = Recipe {
            upstream: Upstream {
                version: specifier(&upstream.version),
                ..upstream.clone()
            },
            build: build.clone(),
            refuse: None,
            smoke: None,
            hostile: None,
            bundled: bundled.to_vec(),
        };
        let read = |name: &Path| {
            let file = dir.join(name);
            std::fs::read(&file)
                .with_context(|| format!("{}: cannot read {}", manifest.display(), file.display()))
        };
        self.insert(with_files(
            recipe,
            Origin::Cap(manifest.to_path_buf()),
            read,
        )?);
        Ok(())
    }

    fn insert(&mut self, loaded: Loaded) {
        self.by_project.insert(loaded.project(), loaded);
    }

    pub fn get(&self, project: &str) -> Option<&Loaded> {
        self.by_project.get(&normalize(project))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Loaded> {
        self.by_project.values()
    }

    /// uv constraints that keep every package with a recipe to the recipe's releases.
    pub fn constraints(&self) -> Vec<String> {
        self.iter().map(Loaded::constraint).collect()
    }
}

/// The text of the C library recipe pylon ships for `name`.
pub fn shipped_library(name: &str) -> Option<&'static str> {
    shipped::libraries()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t)
}

/// The names of the C libraries pylon has recipes for.
pub fn shipped_libraries() -> Vec<&'static str> {
    shipped::libraries().map(|(n, _)| n).collect()
}

fn parse(text: &str, path: &str) -> Result<Recipe> {
    let de = toml::Deserializer::parse(text).with_context(|| format!("{path} is not TOML"))?;
    let recipe: Recipe = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let message = e.inner().message().to_string();
        anyhow::anyhow!(
            "{path}: key `{key}`: {message}\n  fix: {}",
            crate::workspace::manifest::hint(&message)
        )
    })?;
    crate::workspace::validate::build_table(&recipe.build, &|key| format!("{path}: key `{key}`"))?;
    if recipe.upstream.version.trim().is_empty() {
        bail!("{path}: key `upstream.version`: empty\n  fix: name the releases the recipe was made for, as in \">=2.5,<2.6\"");
    }
    Ok(recipe)
}

fn with_files(
    recipe: Recipe,
    origin: Origin,
    read: impl Fn(&Path) -> Result<Vec<u8>>,
) -> Result<Loaded> {
    let file = |name: &Path| -> Result<File> {
        Ok(File {
            name: name.display().to_string(),
            bytes: read(name)?,
        })
    };
    let patches = recipe
        .build
        .patches
        .iter()
        .map(|p| file(p))
        .collect::<Result<_>>()?;
    let smoke = recipe.smoke.as_deref().map(file).transpose()?;
    let hostile = recipe.hostile.as_deref().map(file).transpose()?;
    Ok(Loaded {
        recipe,
        origin,
        patches,
        smoke,
        hostile,
    })
}

/// The recipes compiled into cargo-pylon.
mod shipped {
    use std::path::Path;

    use anyhow::{Context, Result};

    /// Every file under `cargo-pylon/recipes`, by its path there (listed by the build
    /// script).
    pub(super) const FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/recipes.rs"));

    /// (folder, text) of every shipped recipe.
    pub(super) fn recipes() -> impl Iterator<Item = (&'static str, &'static str)> {
        FILES.iter().filter_map(|(path, bytes)| {
            let dir = path.strip_suffix(&format!("/{}", super::FILE_NAME))?;
            Some((dir, std::str::from_utf8(bytes).expect("recipes are UTF-8")))
        })
    }

    /// (name, text) of every shipped C library recipe.
    pub(super) fn libraries() -> impl Iterator<Item = (&'static str, &'static str)> {
        let file = crate::packages::compiled::clib::FILE_NAME;
        FILES.iter().filter_map(move |(path, bytes)| {
            let dir = path.strip_suffix(&format!("/{file}"))?;
            Some((dir, std::str::from_utf8(bytes).expect("recipes are UTF-8")))
        })
    }

    /// A file of the shipped recipe in `dir`.
    pub(super) fn file(dir: &str, name: &Path) -> Result<Vec<u8>> {
        let path = format!("{dir}/{}", name.display());
        FILES
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, bytes)| bytes.to_vec())
            .with_context(|| format!("cargo-pylon/recipes/{path} is not shipped"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_recipe_reads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("recipes");
        for (path, bytes) in shipped::FILES {
            let on_disk = std::fs::read(root.join(path)).unwrap();
            assert_eq!(&on_disk, bytes, "{path}");
        }
        for name in shipped_libraries() {
            crate::packages::compiled::clib::recipe(name).unwrap();
        }
        let recipes = Recipes::load(None).unwrap();
        let numpy = recipes.get("NumPy").expect("numpy's recipe");
        assert_eq!(numpy.constraint(), "numpy==2.5.5");
        assert_eq!(numpy.patches.len(), 1);
        assert!(numpy.smoke.is_some() && numpy.hostile.is_some());
        assert_eq!(
            recipes.get("markupsafe").unwrap().constraint(),
            "MarkupSafe>=3.0,<4"
        );
    }

    #[test]
    fn a_workspace_recipe_replaces_the_shipped_one_and_errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let numpy = dir.path().join("numpy");
        std::fs::create_dir_all(&numpy).unwrap();
        std::fs::write(
            numpy.join(FILE_NAME),
            "[upstream]\npypi = \"numpy\"\nversion = \"2.6.0\"\n[build]\ncflags = [\"-DX\"]\n",
        )
        .unwrap();
        let recipes = Recipes::load(Some(dir.path())).unwrap();
        let loaded = recipes.get("numpy").unwrap();
        assert_eq!(loaded.constraint(), "numpy==2.6.0");
        assert_eq!(loaded.origin, Origin::Workspace(numpy.clone()));
        assert!(loaded.patches.is_empty());

        std::fs::write(
            numpy.join(FILE_NAME),
            "[upstream]\npypi = \"numpy\"\nversion = \"2.6.0\"\n[build]\nflags = [\"-DX\"]\n",
        )
        .unwrap();
        let err = format!("{:#}", Recipes::load(Some(dir.path())).unwrap_err());
        assert!(err.contains("build.flags") && err.contains("fix:"), "{err}");

        std::fs::write(
            numpy.join(FILE_NAME),
            "[upstream]\npypi = \"numpy\"\nversion = \"2.6.0\"\n[build]\npatches = [\"gone.patch\"]\n",
        )
        .unwrap();
        let err = format!("{:#}", Recipes::load(Some(dir.path())).unwrap_err());
        assert!(err.contains("gone.patch"), "{err}");
    }
}
