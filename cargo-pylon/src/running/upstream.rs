//! Upstream test suites: a cap's PyPI project's own tests, run with pytest inside pylon.
//!
//! The release's source distribution (pinned by sha256 in the cap's manifest) and pytest
//! with its dependencies (pinned here) come from the package index once and are kept
//! unpacked in the pylon home. Each run works on a fresh copy of the source tree, so the
//! tests' own writes never touch the cache.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::launch::{Grant, Launch, Program};
use crate::composing::compose::Composed;
use crate::support::stamp::Fingerprint;
use crate::workspace::discover::Cap;

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
/// every pytest run inside pylon so far; pylon's plugin applies the manifest's skips.
const DRIVER: &str = "import os, sys\n\
sys.path[:0] = ['/pylon/pytest', '/pylon/plugin']\n\
root = os.environ['PYLON_UPSTREAM_ROOT']\n\
os.chdir(root)\n\
import pytest\n\
sys.exit(pytest.main(['-p', 'pylon_upstream', '-p', 'no:cacheprovider', '-p', 'no:logging', '-rs', '--rootdir=' + root, *sys.argv[1:]]))\n";

/// A cap's suite can run for this long at most, unless its manifest says otherwise.
const TIMEOUT: Duration = Duration::from_secs(900);

/// Where to fetch from, and whether the index may be asked at all.
pub struct Source {
    pub index: Option<String>,
    pub cache: PathBuf,
    pub offline: bool,
}

impl Source {
    /// The workspace's package index (else pip's configuration) and the pylon home's cache.
    pub fn of(
        ws: &crate::workspace::discover::Workspace,
        home: &pylon_sys::Home,
        offline: bool,
    ) -> Result<Self> {
        Ok(Self {
            index: crate::packages::index::index_url(ws.settings.pypi_index.as_deref()).ok(),
            cache: crate::packages::index::cache_dir(home)?,
            offline,
        })
    }

    fn index(&self) -> Result<&str> {
        match &self.index {
            Some(index) => Ok(index.as_str()),
            None if self.offline => Ok(""),
            None => bail!("no package index is configured: set PYLON_PYPI_INDEX, [workspace.metadata.pylon] pypi-index, or pip's index-url"),
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

/// The cap's upstream source distribution, unpacked (fetched once): its top folder.
pub fn sdist(cap: &Cap, home: &pylon_sys::Home, source: &Source) -> Result<PathBuf> {
    let upstream = cap.meta.upstream.as_ref().with_context(|| {
        format!(
            "{}: the cap names no [package.metadata.pylon.upstream]",
            cap.manifest_path.display()
        )
    })?;
    let Some(sha) = upstream.sdist_sha256.as_deref() else {
        bail!(
            "{}: [package.metadata.pylon.upstream] has tests but no `sdist-sha256`\n  fix: pin the sha256 of {} {}'s source distribution (the index lists it)",
            cap.manifest_path.display(), upstream.pypi, upstream.version
        );
    };
    unpacked(&upstream.pypi, &upstream.version, sha, home, source)
}

/// `project`'s `version` source distribution (pinned by its `sha256`), unpacked once into
/// the pylon home: its top folder.
pub fn unpacked(
    project: &str,
    version: &str,
    sha256: &str,
    home: &pylon_sys::Home,
    source: &Source,
) -> Result<PathBuf> {
    let dir = home.dir("upstream")?.join(format!(
        "{project}-{version}-{}",
        &sha256[..16.min(sha256.len())]
    ));
    if !pylon_sys::home::is_published(&dir) {
        let archive = crate::packages::index::download(
            project,
            version,
            &|name| name.ends_with(".tar.gz"),
            Some(sha256),
            source.index()?,
            &source.cache,
            source.offline,
        )?;
        let scratch = tempfile::Builder::new()
            .prefix(".sdist-")
            .tempdir_in(dir.parent().expect("in the pylon home"))
            .context("cannot make a folder for the source distribution")?;
        let file = std::fs::File::open(&archive)
            .with_context(|| format!("cannot open {}", archive.display()))?;
        tar::Archive::new(flate2::read::GzDecoder::new(file))
            .unpack(scratch.path())
            .with_context(|| format!("cannot unpack {}", archive.display()))?;
        pylon_sys::home::publish(scratch, &dir)?;
    }
    // An sdist holds one top folder, `<name>-<version>`.
    let mut tops = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir());
    match (tops.next(), tops.next()) {
        (Some(top), None) => Ok(top.path()),
        _ => bail!(
            "{}: a source distribution must hold exactly one top folder",
            dir.display()
        ),
    }
}

fn upstream_of(cap: &Cap) -> Result<&crate::workspace::manifest::Upstream> {
    cap.meta
        .upstream
        .as_ref()
        .context("the cap names no upstream")
}

/// Run the cap's upstream tests (and `extra` pytest arguments) inside `composed`; returns
/// pytest's exit code. Output streams to the terminal. The tests are the `sdist`'s, or
/// without one those the cap's wheel installed into the site folder, run there.
pub fn run(
    composed: &Composed,
    cap: &Cap,
    harness: &Path,
    sdist: Option<&Path>,
    extra: &[String],
    cache_dir: &Path,
) -> Result<u8> {
    let upstream = upstream_of(cap)?;
    if upstream.tests.is_empty() {
        bail!(
            "{}: [package.metadata.pylon.upstream] lists no `tests`",
            cap.manifest_path.display()
        );
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
    let (tests_in, root, holder) = match sdist {
        Some(sdist) => {
            crate::support::fs::copy_dir(sdist, &tree)?;
            (tree.clone(), "/upstream".to_string(), "source distribution")
        }
        None => (site.host.clone(), site.guest.clone(), "installed files"),
    };
    for test in &upstream.tests {
        if !tests_in.join(test).exists() {
            bail!(
                "{}: upstream test {test:?} is not in {} {}'s {holder}\n  \
                 fix: name a test file or folder by its path inside the {holder}",
                cap.manifest_path.display(),
                upstream.pypi,
                upstream.version,
            );
        }
    }
    let plugin = work.path().join("plugin");
    std::fs::create_dir_all(&plugin).context("cannot make the plugin folder")?;
    std::fs::write(plugin.join("pylon_upstream.py"), PLUGIN)
        .context("cannot write the pytest plugin")?;
    let skips: Vec<(&str, &str)> = upstream
        .skip
        .iter()
        .map(|s| (s.test.as_str(), s.why.as_str()))
        .collect();
    let args: Vec<String> = upstream
        .tests
        .iter()
        .cloned()
        .chain(extra.iter().cloned())
        .collect();
    let mut launch = Launch::new(
        composed,
        Program::Code {
            code: DRIVER.to_string(),
            args,
        },
        cache_dir.to_path_buf(),
    );
    launch.sandbox.timeout = Some(upstream.timeout.map_or(TIMEOUT, Duration::from_secs));
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
    if sdist.is_some() {
        launch.sandbox.grants.push(Grant::new(tree, "/upstream"));
    }
    launch.run()
}

/// Run the cap's upstream tests natively, on the native build of the same CPython, with
/// the release's own wheel and the same pytest: the baseline a run inside pylon is read
/// against. No skips are applied. Returns pytest's exit code; output streams.
pub fn run_native(
    cpython: &pylon_sys::Cpython,
    cap: &Cap,
    home: &pylon_sys::Home,
    source: &Source,
    sdist: Option<&Path>,
    extra: &[String],
) -> Result<u8> {
    let upstream = upstream_of(cap)?;
    let mut key = Fingerprint::new("native-tests");
    key.text(&cpython.key)
        .text(&format!("{} {}", upstream.pypi, upstream.version));
    let pins: Vec<String> = std::iter::once(format!("{}=={}", upstream.pypi, upstream.version))
        .chain(PYTEST.iter().map(|(p, v, _)| format!("{p}=={v}")))
        .collect();
    key.text(&pins.join(" "));
    let env = home.dir("upstream")?.join(format!(
        "native-{}-{}-{}",
        upstream.pypi,
        upstream.version,
        &key.finish()[..16]
    ));
    let native = cpython.native_python();
    let uv =
        crate::packages::uv::Uv::ensure(home, &native, source.index.as_deref(), source.offline)?;
    pylon_sys::home::fill_once(&env, |scratch| {
        let step = pylon_sys::progress::Step::start(format!(
            "install {} {} natively (once)",
            upstream.pypi, upstream.version
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
    let root = match sdist {
        Some(sdist) => {
            let tree = work.path().join("src");
            crate::support::fs::copy_dir(sdist, &tree)?;
            tree
        }
        None => {
            let minor = cpython.profile.minor();
            env.join(format!("venv/lib/python{minor}/site-packages"))
        }
    };
    let status = std::process::Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:logging",
            "-rs",
        ])
        .arg(format!("--rootdir={}", root.display()))
        .args(&upstream.tests)
        .args(extra)
        .current_dir(&root)
        .env("TMPDIR", work.path())
        .status()
        .with_context(|| format!("cannot run {}", python.display()))?;
    Ok(status.code().map_or(1, |c| c.clamp(0, 255) as u8))
}

/// A wheel of the cap's upstream release, unpacked (fetched once): its public API is read
/// from it. Any wheel of the release will do; the Python API is the same on every platform.
pub fn wheel(cap: &Cap, home: &pylon_sys::Home, source: &Source) -> Result<PathBuf> {
    let upstream = upstream_of(cap)?;
    let dir = home
        .dir("upstream")?
        .join(format!("{}-{}-wheel", upstream.pypi, upstream.version));
    if !pylon_sys::home::is_published(&dir) {
        let wheel = crate::packages::index::download(
            &upstream.pypi,
            &upstream.version,
            &|name| name.ends_with(".whl"),
            None,
            source.index()?,
            &source.cache,
            source.offline,
        )?;
        let scratch = tempfile::Builder::new()
            .prefix(".wheel-")
            .tempdir_in(dir.parent().expect("in the pylon home"))
            .context("cannot make a folder for the wheel")?;
        crate::support::archive::unzip(&wheel, scratch.path())?;
        pylon_sys::home::publish(scratch, &dir)?;
    }
    Ok(dir)
}
