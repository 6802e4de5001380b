//! Resolution for the guest: a scratch project whose dependencies are the workspace's
//! requirements, limited to the guest's environment (`tool.uv.environments`: markers as
//! the guest evaluates them) and to the releases recipes were made for, locked by uv and
//! exported as PEP 751. Every locked package must have a form that runs in the guest: a
//! pure wheel, an sdist that builds into one without a compiler, or an sdist that builds
//! for the guest with its compiled code, whose build requirements the lock then pins.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;
use serde::{Deserialize, Serialize};

use super::builds::{self, Wanted};
use super::form::{self, Form};
use super::lock::{self, BuiltPackage, Inputs, Package, Pylock, PylonTool};
use super::store::Store;
use super::uv::Uv;
use super::{build, index, Env};

/// The guest's environment markers (PEP 508) that vary by platform: what CPython for
/// WASI answers in `sys.platform`, `os.uname()` and `platform.system()`.
pub const GUEST_MARKERS: &str = "sys_platform == 'wasi' and platform_machine == 'wasm32' and platform_system == 'wasi' and os_name == 'posix' and implementation_name == 'cpython' and platform_python_implementation == 'CPython'";

/// The scratch project's name, which uv's lock gives the requirements' root.
const ROOT: &str = "pylon-guest";

#[derive(Serialize)]
struct Scratch<'a> {
    project: Project<'a>,
    tool: BTreeMap<&'static str, UvSettings<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Project<'a> {
    name: &'static str,
    version: &'static str,
    requires_python: String,
    dependencies: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct UvSettings<'a> {
    package: bool,
    environments: [&'static str; 1],
    constraint_dependencies: &'a [String],
}

/// Everything a resolution reads and keeps.
pub struct Resolver<'a> {
    pub env: &'a Env,
    pub uv: &'a Uv,
    pub store: &'a Store,
    /// Where build logs go.
    pub logs: &'a Path,
    /// A folder for the scratch project (a fresh one inside it each time).
    pub scratch: &'a Path,
    /// The lock before, whose compiled releases keep their pinned build requirements.
    pub before: Option<&'a Pylock>,
}

impl Resolver<'_> {
    /// The lock for `inputs`, as text (uv's export and pylon's `[tool.pylon]`) and read. `preferred`
    /// (`name==version` pins of the lock before) are kept where the requirements allow.
    pub fn resolve(&self, inputs: &Inputs, preferred: &[String]) -> Result<(String, Pylock)> {
        std::fs::create_dir_all(self.scratch)
            .with_context(|| format!("cannot create {}", self.scratch.display()))?;
        let dir = tempfile::tempdir_in(self.scratch)
            .with_context(|| format!("cannot make a folder in {}", self.scratch.display()))?;
        let count = inputs.requirements.len();
        let step = Step::start(format!(
            "resolve {count} requirement{} for the guest (CPython {}, wasm32-wasi)",
            if count == 1 { "" } else { "s" },
            inputs.python
        ))
        .log_to(&dir.path().join("uv.log"))?;
        let locked = self
            .lock(dir.path(), inputs, preferred, &step)
            .or_else(|first| {
                if preferred.is_empty() {
                    return Err(first);
                }
                step.message("the versions locked before do not fit; resolving afresh");
                self.lock(dir.path(), inputs, &[], &step)
            });
        locked.context("cannot resolve [workspace.metadata.pylon] requirements for the guest (uv's account is above)\n  fix: loosen or correct the requirement uv names")?;
        let out = dir.path().join(lock::FILE_NAME);
        step.run(
            self.uv
                .command("export", dir.path())
                .args([
                    "--format",
                    "pylock.toml",
                    "--no-header",
                    "--frozen",
                    "--output-file",
                ])
                .arg(&out),
        )?;
        let exported = std::fs::read_to_string(&out)
            .with_context(|| format!("cannot read {}", out.display()))?;
        step.finish();
        let pylock: Pylock =
            toml::from_str(&exported).context("uv exported a lock pylon cannot read")?;
        let built = self.runnable(&pylock, &dir.path().join("uv.lock"))?;
        let tool = PylonTool {
            inputs: inputs.clone(),
            built,
        };
        let text = lock::with_tool(&exported, &tool)?;
        let pylock: Pylock = toml::from_str(&text).context("pylon wrote a lock it cannot read")?;
        Ok((text, pylock))
    }

    fn lock(&self, dir: &Path, inputs: &Inputs, preferred: &[String], step: &Step) -> Result<()> {
        let mut constraints = preferred.to_vec();
        constraints.extend(self.env.recipes.constraints());
        let scratch = Scratch {
            project: Project {
                name: ROOT,
                version: "0",
                requires_python: format!("=={}", inputs.python),
                dependencies: &inputs.requirements,
            },
            tool: BTreeMap::from([(
                "uv",
                UvSettings {
                    package: false,
                    environments: [GUEST_MARKERS],
                    constraint_dependencies: &constraints,
                },
            )]),
        };
        let path = dir.join("pyproject.toml");
        std::fs::write(&path, toml::to_string(&scratch)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let _ = std::fs::remove_file(dir.join("uv.lock"));
        step.run(&mut self.uv.command("lock", dir))
    }

    /// The build requirements the lock before pinned for this very release.
    fn pinned_before(&self, package: &Package) -> Option<Vec<String>> {
        let before = self.before?;
        let same = before
            .packages
            .iter()
            .any(|p| p.name == package.name && p.version == package.version);
        same.then(|| before.built(&package.name).map(<[String]>::to_vec))
            .flatten()
    }

    /// Every package has a form the guest can run, building sdists that need it (compiled
    /// ones for the guest, which pins their build requirements); the error names each
    /// package that has none, what pulled it in, why, and what to do.
    fn runnable(&self, pylock: &Pylock, uv_lock: &Path) -> Result<Vec<BuiltPackage>> {
        let env = self.env;
        let index_url = index::index_url(env.guest.index.as_deref())?;
        let cache = index::cache_dir(&env.guest.home)?;
        let mut refused: Vec<(&Package, String)> = Vec::new();
        let mut wanted = Vec::new();
        for package in &pylock.packages {
            if let Some(why) = env
                .recipes
                .get(&package.name)
                .and_then(|r| r.recipe.refuse.clone())
            {
                refused.push((package, why));
                continue;
            }
            let form = form::choose(package, env.keeps_pure(&package.name), || {
                index::has_compiled_wheels(
                    &package.name,
                    &package.version,
                    &index_url,
                    &cache,
                    env.guest.offline,
                )
            })?;
            match form {
                Some(Form::Wheel(_)) => {}
                Some(Form::PureSdist(sdist)) => {
                    let built = build::from_sdist(
                        self.uv,
                        self.store,
                        self.logs,
                        &package.name,
                        sdist,
                        env.python(),
                    );
                    if let Err(e) = built {
                        refused.push((package, format!("it is kept pure, and {e:#}")));
                    }
                }
                Some(Form::Compiled(sdist)) => wanted.push(Wanted {
                    package,
                    sdist,
                    pins: self.pinned_before(package),
                }),
                None => refused.push((
                    package,
                    "it has neither a pure-Python wheel nor an sdist".to_string(),
                )),
            }
        }
        let mut built = Vec::new();
        for outcome in builds::build_all(env, self.store, wanted, &pylock.pins())? {
            match outcome.built {
                Ok(b) => built.push(BuiltPackage {
                    name: outcome.package.name.clone(),
                    build_requires: b.record.pins,
                }),
                Err(e) => refused.push((
                    outcome.package,
                    format!("its sdist does not build for the guest: {e:#}"),
                )),
            }
        }
        if refused.is_empty() {
            return Ok(built);
        }
        let paths = dependency_paths(uv_lock).unwrap_or_default();
        let mut message = String::new();
        for (package, why) in refused {
            let pulled = paths
                .get(&package.name)
                .map(|path| path.join(" -> "))
                .unwrap_or_else(|| package.name.clone());
            message.push_str(&format!(
                "{} {} cannot run in pylon: {why}\n  pulled in by: {pulled}\n",
                package.name, package.version
            ));
        }
        bail!("{message}  fix: leave it out (`cargo pylon remove NAME` for a requirement of the workspace's own), require a release that builds, keep a package whose C is optional pure (`[workspace.metadata.pylon] pure = [\"NAME\"]`), or give it a recipe (docs/PACKAGES.md)");
    }
}

#[derive(Deserialize)]
struct UvLock {
    #[serde(default)]
    package: Vec<UvPackage>,
}

#[derive(Deserialize)]
struct UvPackage {
    name: String,
    #[serde(default)]
    dependencies: Vec<UvDependency>,
    #[serde(default, rename = "optional-dependencies")]
    optional: BTreeMap<String, Vec<UvDependency>>,
}

#[derive(Deserialize)]
struct UvDependency {
    name: String,
}

/// For each package uv locked, the shortest path from a requirement to it
/// (`["pandas", "numpy"]`), read from the dependency edges of uv's own lock.
fn dependency_paths(uv_lock: &Path) -> Result<HashMap<String, Vec<String>>> {
    let lock: UvLock = toml::from_str(&std::fs::read_to_string(uv_lock)?)?;
    let edges: HashMap<&str, Vec<&str>> = lock
        .package
        .iter()
        .map(|p| {
            let deps = p
                .dependencies
                .iter()
                .chain(p.optional.values().flatten())
                .map(|d| d.name.as_str())
                .collect();
            (p.name.as_str(), deps)
        })
        .collect();
    let mut paths: HashMap<String, Vec<String>> = HashMap::new();
    let mut queue = VecDeque::new();
    for first in edges.get(ROOT).into_iter().flatten() {
        if !paths.contains_key(*first) {
            paths.insert(first.to_string(), vec![first.to_string()]);
            queue.push_back(*first);
        }
    }
    while let Some(name) = queue.pop_front() {
        let path = paths[name].clone();
        for next in edges.get(name).into_iter().flatten() {
            if !paths.contains_key(*next) {
                let mut longer = path.clone();
                longer.push(next.to_string());
                paths.insert(next.to_string(), longer);
                queue.push_back(next);
            }
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_pulled_each_package_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("uv.lock");
        std::fs::write(
            &path,
            r#"version = 1
[[package]]
name = "pylon-guest"
version = "0"
source = { virtual = "." }
dependencies = [{ name = "pandas" }, { name = "rich" }]
[[package]]
name = "pandas"
version = "2"
dependencies = [{ name = "numpy" }, { name = "tzdata" }]
[[package]]
name = "rich"
version = "14"
[package.optional-dependencies]
jupyter = [{ name = "ipywidgets" }]
"#,
        )
        .unwrap();
        let paths = dependency_paths(&path).unwrap();
        assert_eq!(paths["numpy"], ["pandas", "numpy"]);
        assert_eq!(paths["rich"], ["rich"]);
        assert_eq!(paths["ipywidgets"], ["rich", "ipywidgets"]);
    }
}
