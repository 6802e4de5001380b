//! Upstream test suites: a project's own tests (a cap's upstream project, or a package the
//! workspace locks), run with pytest inside pylon, and natively beside it.
//!
//! The release's source distribution and pytest with its dependencies (pinned here) come
//! from the package index once and are kept unpacked in the pylon home. Each run works on
//! a fresh copy of the source tree, so the tests' own writes never touch the cache.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::launch::{Grant, Launch, Program};
use crate::composing::compose::Composed;
use crate::packages::sdist::Source;
use crate::support::stamp::Fingerprint;
use crate::workspace::manifest::UpstreamSkip;

/// pytest and what it imports on CPython 3.13, and hypothesis, which many suites (numpy's)
/// use: (project, version, sha256 of its wheel).
const PYTEST: &[(&str, &str, &str)] = &[
    (
        "pytest",
        "8.3.5",
        "c69214aa47deac29fad6c2a4f590b9c4a9fdb16a403176fe154b79c0b4d4d820",
    ),
    (
        "pluggy",
        "1.5.0",
        "44e1ad92c8ca002de6377e165f3e0f1be63266ab4d554740532335b9d75ea669",
    ),
    (
        "iniconfig",
        "2.0.0",
        "b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374",
    ),
    (
        "packaging",
        "24.2",
        "09abb1bccd265c01f4a3aa3f7a7db064b36514d2cba19a2f694fe6150451a759",
    ),
    (
        "hypothesis",
        "6.155.7",
        "9f634bdb1f9e9b8ab6ba09431cf2deedb750c96978125a6fb3c5a0f6c6db4131",
    ),
    (
        "sortedcontainers",
        "2.4.0",
        "a163dcaede0f1c021485e957a39245190e74249897e2ae4b2aa38595db237ee0",
    ),
];

const PLUGIN: &str = include_str!("../../guest/upstream_plugin.py");

/// Runs pytest on the arguments after `-c`, in and rooted at `PYLON_UPSTREAM_ROOT` (the
/// source tree's top folder, or the site folder when the tests are the installed
/// package's), with its default capture and plugins but the logging plugin, off as in
/// every pytest run inside pylon so far; pylon's plugin applies the manifest's skips. The
/// working folder is not imported from (as `python -P`): the tree's own copy of the
/// package would hide the built one.
const DRIVER: &str = "import os, sys\n\
sys.path[:] = ['/pylon/pytest', '/pylon/requires', '/pylon/plugin'] + [p for p in sys.path if p not in ('', '.')]\n\
root = os.environ['PYLON_UPSTREAM_ROOT']\n\
os.chdir(root)\n\
import pytest\n\
sys.exit(pytest.main(['-p', 'pylon_upstream', '-p', 'no:cacheprovider', '-p', 'no:logging', '-rs', '--rootdir=' + root, *sys.argv[1:]]))\n";

/// A cap's suite can run for this long at most, unless its manifest says otherwise.
const TIMEOUT: Duration = Duration::from_secs(900);

/// One project's suite, as a cap's manifest or a recipe names it.
pub struct Suite {
    /// What reports call it (a cap's crate, a package's name).
    pub name: String,
    pub project: String,
    pub version: String,
    /// Test files or folders, relative to `tree` (or to the site folder without one).
    pub tests: Vec<String>,
    pub skip: Vec<UpstreamSkip>,
    pub timeout: Option<u64>,
    /// Pure-Python packages the tests import beyond pytest and hypothesis.
    pub requires: Vec<String>,
    /// Extra pytest arguments the suite always takes.
    pub args: Vec<String>,
    /// The release's unpacked sdist, when the tests are its; none when they are the
    /// installed package's.
    pub tree: Option<PathBuf>,
    /// Where the suite is named, for messages (a manifest, a recipe).
    pub origin: String,
}

impl Suite {
    fn holder(&self) -> &'static str {
        match self.tree {
            Some(_) => "source distribution",
            None => "installed files",
        }
    }
}

/// pytest and its dependencies, unpacked into one folder (fetched once).
pub fn harness(home: &pylon_sys::Home, source: &Source) -> Result<PathBuf> {
    let mut key = Fingerprint::new("pytest-site");
    for (project, version, sha) in PYTEST {
        key.text(&format!("{project} {version} {sha}"));
    }
    let dir = home
        .dir("upstream")?
        .join(format!("pytest-{}", &key.finish()[..16]));
    if pylon_sys::home::is_published(&dir) {
        return Ok(dir);
    }
    let scratch = tempfile::Builder::new()
        .prefix(".pytest-")
        .tempdir_in(dir.parent().expect("in the pylon home"))
        .context("cannot make a folder for pytest")?;
    for (project, version, sha) in PYTEST {
        let wheel = crate::packages::index::download(
            project,
            version,
            &|name| name.ends_with("-none-any.whl"),
            Some(sha),
            source.index()?,
            &source.cache,
            source.offline,
        )?;
        crate::support::archive::unzip(&wheel, scratch.path())?;
    }
    pylon_sys::home::publish(scratch, &dir)?;
    Ok(dir)
}

/// The pure-Python packages `suite`'s tests import beyond pytest, installed once into a
/// folder for the guest: none when it names none.
pub fn requirements(
    suite: &Suite,
    cpython: &pylon_sys::Cpython,
    home: &pylon_sys::Home,
    source: &Source,
) -> Result<Option<PathBuf>> {
    if suite.requires.is_empty() {
        return Ok(None);
    }
    let mut key = Fingerprint::new("test-requires");
    key.text(&suite.requires.join(" "));
    let dir = home
        .dir("upstream")?
        .join(format!("requires-{}", &key.finish()[..16]));
    let uv = crate::packages::uv::Uv::ensure(
        home,
        &cpython.native_python(),
        source.index.as_deref(),
        source.offline,
    )?;
    pylon_sys::home::fill_once(&dir, |scratch| {
        let step = pylon_sys::progress::Step::start(format!(
            "install {} for the tests (once)",
            suite.requires.join(" ")
        ));
        step.run(
            uv.command("pip install", scratch)
                .args(["--only-binary", ":all:", "--target"])
                .arg(scratch)
                .args(&suite.requires),
        )?;
        let compiled: Vec<String> = walkdir::WalkDir::new(scratch)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "so"))
            .map(|e| {
                e.path()
                    .strip_prefix(scratch)
                    .unwrap_or(e.path())
                    .display()
                    .to_string()
            })
            .collect();
        if !compiled.is_empty() {
            bail!(
                "{}: the tests' requirements {} bring compiled code ({}), which the guest cannot load\n  fix: require only pure-Python packages for the tests, or skip the tests that need them",
                suite.origin,
                suite.requires.join(" "),
                compiled.join(", ")
            );
        }
        step.finish();
        Ok(())
    })?;
    Ok(Some(dir))
}

/// Run `suite` (and `extra` pytest arguments) inside `composed`; returns pytest's exit
/// code. Output streams to the terminal. The tests are the suite's sdist's, or without one
/// those the package installed into the site folder, run there.
pub fn run(
    composed: &Composed,
    suite: &Suite,
    harness: &Path,
    requires: Option<&Path>,
    extra: &[String],
    cache_dir: &Path,
) -> Result<u8> {
    if suite.tests.is_empty() {
        bail!("{}: the suite lists no `tests`", suite.origin);
    }
    let work = tempfile::Builder::new()
        .prefix("pylon-upstream-")
        .tempdir()
        .context("cannot make a folder for the upstream tests")?;
    let tree = work.path().join("src");
    let site = composed
        .layout
        .site_packages
        .as_ref()
        .context("a layout without a site folder")?;
    let (tests_in, root) = match &suite.tree {
        Some(sdist) => {
            crate::support::fs::copy_dir(sdist, &tree)?;
            hide_sources(&tree, &site.host, &suite.tests)?;
            (tree.clone(), "/upstream".to_string())
        }
        None => (site.host.clone(), site.guest.clone()),
    };
    for test in &suite.tests {
        if !tests_in.join(test).exists() {
            bail!(
                "{}: upstream test {test:?} is not in {} {}'s {holder}\n  \
                 fix: name a test file or folder by its path inside the {holder}",
                suite.origin,
                suite.project,
                suite.version,
                holder = suite.holder(),
            );
        }
    }
    let plugin = work.path().join("plugin");
    std::fs::create_dir_all(&plugin).context("cannot make the plugin folder")?;
    std::fs::write(plugin.join("pylon_upstream.py"), PLUGIN)
        .context("cannot write the pytest plugin")?;
    let skips: Vec<(&str, &str)> = suite
        .skip
        .iter()
        .map(|s| (s.test.as_str(), s.why.as_str()))
        .collect();
    let args: Vec<String> = suite
        .tests
        .iter()
        .chain(&suite.args)
        .chain(extra)
        .cloned()
        .collect();
    let mut launch = Launch::new(
        composed,
        Program::Code {
            code: DRIVER.to_string(),
            args,
        },
        cache_dir.to_path_buf(),
    );
    launch.sandbox.timeout = Some(suite.timeout.map_or(TIMEOUT, Duration::from_secs));
    launch.sandbox.env = vec![
        ("PYLON_UPSTREAM_SKIP".into(), serde_json::to_string(&skips)?),
        ("PYLON_UPSTREAM_ROOT".into(), root),
    ];
    // The tests' temporary files (pytest's capture and tmp_path among them).
    let tmp = work.path().join("tmp");
    std::fs::create_dir_all(&tmp).context("cannot make the tests' temporary folder")?;
    launch.sandbox.grants = vec![
        Grant::new(tmp, "/tmp"),
        Grant::new(harness, "/pylon/pytest"),
        Grant::read_only(plugin, "/pylon/plugin"),
    ];
    if let Some(requires) = requires {
        launch
            .sandbox
            .grants
            .push(Grant::read_only(requires, "/pylon/requires"));
    }
    if suite.tree.is_some() {
        launch.sandbox.grants.push(Grant::new(tree, "/upstream"));
    }
    launch.run()
}

/// Run `suite` natively, on the native build of the same CPython, with the release's own
/// wheel from the index and the same pytest: the baseline a run inside pylon is read
/// against. No skips are applied. Returns pytest's exit code; output streams.
pub fn run_native(
    cpython: &pylon_sys::Cpython,
    suite: &Suite,
    home: &pylon_sys::Home,
    source: &Source,
    extra: &[String],
) -> Result<u8> {
    let mut key = Fingerprint::new("native-tests");
    key.text(&cpython.key)
        .text(&format!("{} {}", suite.project, suite.version));
    let pins: Vec<String> = std::iter::once(format!("{}=={}", suite.project, suite.version))
        .chain(PYTEST.iter().map(|(p, v, _)| format!("{p}=={v}")))
        .chain(suite.requires.iter().cloned())
        .collect();
    key.text(&pins.join(" "));
    let env = home.dir("upstream")?.join(format!(
        "native-{}-{}-{}",
        suite.project,
        suite.version,
        &key.finish()[..16]
    ));
    let native = cpython.native_python();
    let uv =
        crate::packages::uv::Uv::ensure(home, &native, source.index.as_deref(), source.offline)?;
    pylon_sys::home::fill_once(&env, |scratch| {
        let step = pylon_sys::progress::Step::start(format!(
            "install {} {} natively (once)",
            suite.project, suite.version
        ));
        let in_venv = uv.venv(&scratch.join("venv"), &step)?;
        step.run(
            in_venv
                .command("pip install", scratch)
                .arg("--only-binary")
                .arg(":all:")
                .args(&pins),
        )?;
        step.finish();
        Ok(())
    })?;
    let python = env.join("venv/bin/python");
    let work = tempfile::Builder::new()
        .prefix("pylon-native-")
        .tempdir()
        .context("cannot make a folder for the native tests")?;
    let site = env.join(format!(
        "venv/lib/python{}/site-packages",
        cpython.profile.minor()
    ));
    let root = match &suite.tree {
        Some(sdist) => {
            let tree = work.path().join("src");
            crate::support::fs::copy_dir(sdist, &tree)?;
            hide_sources(&tree, &site, &suite.tests)?;
            tree
        }
        None => site,
    };
    // pylon's plugin, so that what pylon does not collect is left out here too.
    let plugin = work.path().join("plugin");
    std::fs::create_dir_all(&plugin).context("cannot make the plugin folder")?;
    std::fs::write(plugin.join("pylon_upstream.py"), PLUGIN)
        .context("cannot write the pytest plugin")?;
    let skips: Vec<(&str, &str)> = suite
        .skip
        .iter()
        .map(|s| (s.test.as_str(), s.why.as_str()))
        .collect();
    // `-P`: as inside pylon, the working folder is not imported from.
    let status = std::process::Command::new(&python)
        .args([
            "-P",
            "-m",
            "pytest",
            "-p",
            "pylon_upstream",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:logging",
            "-rs",
        ])
        .env("PYTHONPATH", &plugin)
        .env("PYLON_UPSTREAM_NATIVE", "1")
        .env("PYLON_UPSTREAM_SKIP", serde_json::to_string(&skips)?)
        .arg(format!("--rootdir={}", root.display()))
        .args(&suite.tests)
        .args(&suite.args)
        .args(extra)
        .current_dir(&root)
        .env("TMPDIR", work.path())
        .status()
        .with_context(|| format!("cannot run {}", python.display()))?;
    Ok(status.code().map_or(1, |c| c.clamp(0, 255) as u8))
}

/// Take the package's own sources out of the copy of its sdist at `tree`: every package
/// or module the site folder `site` installs at its top (`zstandard/`, `yaml/`), found at
/// the top of the tree or under `src/`; a package that holds the tests gets the installed
/// files over its sources instead. A test folder that is itself a package puts the tree's
/// top on the path, where the sources (without their compiled modules) would hide the
/// built package.
fn hide_sources(tree: &Path, site: &Path, tests: &[String]) -> Result<()> {
    let installed =
        std::fs::read_dir(site).with_context(|| format!("cannot list {}", site.display()))?;
    for entry in installed.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let importable = (path.is_dir() && path.join("__init__.py").is_file())
            || (path.extension().is_some_and(|e| e == "py") && name != "__init__.py");
        if !importable {
            continue;
        }
        for copy in [tree.join(&name), tree.join("src").join(&name)] {
            let relative = copy.strip_prefix(tree).expect("below the tree");
            if !copy.exists() {
                continue;
            }
            // Tests inside the package (lxml's src/lxml/tests) stay, with the installed
            // package's files over its sources.
            if tests.iter().any(|t| Path::new(t).starts_with(relative)) {
                if path.is_dir() {
                    crate::support::fs::copy_dir(&path, &copy)?;
                }
                continue;
            }
            if copy.is_dir() {
                std::fs::remove_dir_all(&copy)
            } else {
                std::fs::remove_file(&copy)
            }
            .with_context(|| format!("cannot remove {}", copy.display()))?;
        }
    }
    Ok(())
}

impl Suite {
    /// The suite of `cap`'s upstream project, if its manifest names tests: installed ones
    /// (in `site`) when every test is there, else the pinned sdist's.
    pub fn of_cap(
        cap: &crate::workspace::discover::Cap,
        site: &Path,
        home: &pylon_sys::Home,
        source: &Source,
    ) -> Result<Option<Self>> {
        let Some(upstream) = cap.meta.upstream.as_ref().filter(|u| !u.tests.is_empty()) else {
            return Ok(None);
        };
        let origin = cap.manifest_path.display().to_string();
        let installed = upstream.tests.iter().all(|t| site.join(t).exists());
        let tree = match (installed, &upstream.sdist_sha256) {
            (true, _) => None,
            (false, Some(sha)) => Some(crate::packages::sdist::unpacked(
                &upstream.pypi,
                &upstream.version,
                sha,
                home,
                source,
            )?),
            (false, None) => bail!(
                "{origin}: [package.metadata.pylon.upstream] has tests but no `sdist-sha256`\n  fix: pin the sha256 of {} {}'s source distribution (the index lists it)",
                upstream.pypi, upstream.version
            ),
        };
        Ok(Some(Self {
            name: cap.package.clone(),
            project: upstream.pypi.clone(),
            version: upstream.version.clone(),
            tests: upstream.tests.clone(),
            skip: upstream.skip.clone(),
            timeout: upstream.timeout,
            requires: upstream.requires.clone(),
            args: upstream.args.clone(),
            tree,
            origin,
        }))
    }

    /// The suite of a locked package: its recipe's tests, else its sdist's `tests` (or
    /// `test`) folder; installed ones (in `site`) when every test is there.
    pub fn of_package(
        package: &crate::packages::lock::Package,
        recipe: Option<&crate::packages::recipe::Loaded>,
        sdist: &Path,
        site: &Path,
        home: &pylon_sys::Home,
    ) -> Result<Self> {
        let sha = package
            .sdist
            .as_ref()
            .and_then(|s| s.sha256())
            .context("a locked sdist has a sha256")?;
        let unpacked = crate::packages::sdist::unpacked_file(sdist, sha, home)?;
        let upstream = recipe.map(|r| &r.recipe.upstream);
        let origin = recipe.map_or_else(
            || format!("{} {} (no recipe)", package.name, package.version),
            |r| r.describe(),
        );
        let tests = match upstream.filter(|u| !u.tests.is_empty()) {
            Some(upstream) => upstream.tests.clone(),
            None => match ["tests", "test"].iter().find(|t| unpacked.join(t).is_dir()) {
                Some(folder) => vec![folder.to_string()],
                None => bail!(
                    "{origin}: {} {}'s sdist has no `tests` or `test` folder\n  fix: name its tests in a recipe's [upstream] tests (docs/PACKAGES.md)",
                    package.name,
                    package.version
                ),
            },
        };
        let installed = tests.iter().all(|t| site.join(t).exists());
        Ok(Self {
            name: package.name.clone(),
            project: package.name.clone(),
            version: package.version.clone(),
            skip: upstream.map(|u| u.skip.clone()).unwrap_or_default(),
            timeout: upstream.and_then(|u| u.timeout),
            requires: upstream.map(|u| u.requires.clone()).unwrap_or_default(),
            args: upstream.map(|u| u.args.clone()).unwrap_or_default(),
            tree: (!installed).then_some(unpacked),
            tests,
            origin,
        })
    }
}
