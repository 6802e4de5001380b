//! C libraries that packages link (libyaml for PyYAML, libxml2 for lxml, ...), built for
//! WASI from their released sources once per version and shared by every package that
//! links them.
//!
//! A library's recipe (`cargo-pylon/recipes/<name>/library.toml`, or a workspace's) names
//! its source, Debian's source package carrying the pristine upstream tarball behind a
//! signed index (as pylon fetches CPython), pinned by sha256, and its CMake options. CMake
//! and Ninja come from their wheels on the package index. The result is an install prefix
//! (`include/`, `lib/*.a`, `lib/pkgconfig/`) in the pylon home; a package's link takes
//! the archives' members it needs into each of its modules, kept to that module.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;
use serde::{Deserialize, Serialize};

use super::{wrapper, Guest};
use crate::support::stamp::Fingerprint;

/// The file a recipe folder holds a C library's recipe in.
pub const FILE_NAME: &str = "library.toml";

/// CMake and Ninja, from the package index: (project, version).
const TOOLS: &[(&str, &str)] = &[("cmake", "4.4.5"), ("ninja", "1.13.2")];

/// Bumped when the way libraries are built changes.
const RECIPE: &str = "clib-2";

/// A C library's recipe.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Library {
    pub name: String,
    pub version: String,
    /// An SPDX expression, for `check-licenses`.
    pub license: String,
    pub source: DebianSource,
    #[serde(default)]
    pub cmake: Vec<String>,
    /// Other C libraries it builds against.
    #[serde(default)]
    pub libraries: Vec<String>,
}

/// A pristine upstream tarball in a Debian source package, taken from whichever of the
/// suite's versions of the package carries it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DebianSource {
    pub suite: String,
    pub package: String,
    /// The upstream tarball's file name and sha256.
    pub file: String,
    pub sha256: String,
}

/// A built library's install prefix.
#[derive(Debug, Clone)]
pub struct Prefix {
    pub name: String,
    pub dir: PathBuf,
}

impl Prefix {
    pub fn include(&self) -> PathBuf {
        self.dir.join("include")
    }
    pub fn lib(&self) -> PathBuf {
        self.dir.join("lib")
    }
    pub fn pkg_config(&self) -> PathBuf {
        self.dir.join("lib/pkgconfig")
    }
}

/// The recipe of C library `name`.
pub fn recipe(name: &str) -> Result<Library> {
    let text = crate::packages::recipe::shipped_library(name).with_context(|| {
        format!(
            "no C library named {name:?} has a recipe\n  fix: name one of pylon's ({})",
            crate::packages::recipe::shipped_libraries().join(", ")
        )
    })?;
    let library: Library = toml::from_str(text)
        .with_context(|| format!("cargo-pylon/recipes/{name}/{FILE_NAME} does not parse"))?;
    if library.name != name {
        bail!(
            "cargo-pylon/recipes/{name}/{FILE_NAME} names {:?}",
            library.name
        );
    }
    Ok(library)
}

/// What identifies `name`'s build: its recipe, those of the libraries it builds against,
/// the toolchain and the build tools.
pub fn key(guest: &Guest, name: &str) -> Result<String> {
    let library = recipe(name)?;
    let mut fp = Fingerprint::new("clib");
    fp.text(RECIPE)
        .text(&toml::to_string(&library)?)
        .text(&guest.toolchain.identity)
        .text(&wrapper::CFLAGS.join(" "));
    for (tool, version) in TOOLS {
        fp.text(&format!("{tool}=={version}"));
    }
    for dep in &library.libraries {
        fp.text(&key(guest, dep)?);
    }
    Ok(fp.finish())
}

/// C library `name` for the guest, from the pylon home or built into it.
pub fn ensure(guest: &Guest, name: &str) -> Result<Prefix> {
    let library = recipe(name)?;
    let deps = library
        .libraries
        .iter()
        .map(|dep| ensure(guest, dep))
        .collect::<Result<Vec<_>>>()?;
    let key = key(guest, name)?;
    let dir = guest
        .builds()
        .join(format!("clib-{name}-{}-{}", library.version, &key[..16]));
    if !pylon_sys::home::is_published(&dir) {
        let log = guest
            .home
            .logs()?
            .join(format!("build-{name}-{}.log", library.version));
        let step = Step::start(format!("build {name} {} for WASI (once)", library.version))
            .log_to(&log)?;
        pylon_sys::home::fill_once(&dir, |into| {
            build(guest, &library, &deps, &dir, into, &step)
        })
        .with_context(|| format!("building C library {name} failed (log: {})", log.display()))?;
        step.finish();
    }
    Ok(Prefix {
        name: name.to_string(),
        dir,
    })
}

/// Build `library` for the prefix `prefix` (which its configuration files name, such as
/// `xml2-config`), installed into `into` (the scratch folder published there after).
fn build(
    guest: &Guest,
    library: &Library,
    deps: &[Prefix],
    prefix: &Path,
    into: &Path,
    step: &Step,
) -> Result<()> {
    let tarball = fetch(guest, &library.source, step)?;
    let work = tempfile::tempdir_in(guest.builds()).context("cannot make a folder to build in")?;
    step.message(&format!("unpack {}", library.source.file));
    let source = super::source::Tree::unpack(&tarball, &work.path().join("src"))?.root;
    let tools = tools(guest, step)?;
    let toolchain_file = work.path().join("wasi.cmake");
    std::fs::write(&toolchain_file, toolchain_text(guest, deps))
        .with_context(|| format!("cannot write {}", toolchain_file.display()))?;
    let platform = work.path().join("cmake/Platform");
    std::fs::create_dir_all(&platform).context("cannot make the CMake platform folder")?;
    std::fs::write(platform.join("WASI.cmake"), PLATFORM).context("cannot write WASI.cmake")?;
    let build_dir = work.path().join("build");
    let cmake = &tools.cmake;
    step.message("configure (CMake)");
    step.run(
        std::process::Command::new(cmake)
            .arg("-S")
            .arg(&source)
            .arg("-B")
            .arg(&build_dir)
            .args([
                "-G",
                "Ninja",
                "-DCMAKE_BUILD_TYPE=Release",
                "-DBUILD_SHARED_LIBS=OFF",
            ])
            .arg(format!("-DCMAKE_MAKE_PROGRAM={}", tools.ninja.display()))
            .arg(format!(
                "-DCMAKE_TOOLCHAIN_FILE={}",
                toolchain_file.display()
            ))
            .arg(format!(
                "-DCMAKE_MODULE_PATH={}",
                work.path().join("cmake").display()
            ))
            .arg(format!("-DCMAKE_INSTALL_PREFIX={}", prefix.display()))
            .arg("-DCMAKE_INSTALL_LIBDIR=lib")
            // Released sources that predate CMake 4 name older policy versions.
            .arg("-DCMAKE_POLICY_VERSION_MINIMUM=3.5")
            .args(&library.cmake),
    )?;
    step.message("compile");
    step.run(
        std::process::Command::new(cmake)
            .arg("--build")
            .arg(&build_dir),
    )?;
    step.message("install");
    step.run(
        std::process::Command::new(cmake)
            .arg("--install")
            .arg(&build_dir)
            .arg("--prefix")
            .arg(into),
    )?;
    Ok(())
}

/// The upstream tarball, from the download cache or Debian's source package.
fn fetch(guest: &Guest, source: &DebianSource, step: &Step) -> Result<PathBuf> {
    let cached = guest.home.downloads()?.join(&source.file);
    if cached.is_file() && pylon_sys::source::sha256_file(&cached)? == source.sha256 {
        return Ok(cached);
    }
    if guest.offline {
        bail!(
            "{} is not in the pylon home and --offline forbids fetching it",
            source.file
        );
    }
    step.message(&format!(
        "fetch {} from Debian {}",
        source.file, source.suite
    ));
    let suite = pylon_sys::debian::Suite::open(&source.suite, &guest.home.dir("apt")?, step)?;
    let scratch = tempfile::Builder::new()
        .prefix(".source-")
        .tempdir_in(guest.home.downloads()?)
        .context("cannot make a scratch folder in the download cache")?;
    let fetched = suite.download_orig(&source.package, &source.file, scratch.path(), step)?;
    let sha = pylon_sys::source::sha256_file(&fetched)?;
    if sha != source.sha256 {
        bail!(
            "{}: sha256 {sha}, but the recipe pins {}",
            source.file,
            source.sha256
        );
    }
    std::fs::rename(&fetched, &cached)
        .with_context(|| format!("cannot keep {}", cached.display()))?;
    Ok(cached)
}

/// CMake and Ninja, installed once from the package index.
struct Tools {
    cmake: PathBuf,
    ninja: PathBuf,
}

/// The tools' programs themselves, not the venv's launchers (whose first line names the
/// scratch folder the venv was made in before it was published).
fn tools(guest: &Guest, step: &Step) -> Result<Tools> {
    let pins: Vec<String> = TOOLS.iter().map(|(p, v)| format!("{p}=={v}")).collect();
    let dir = guest
        .home
        .dir("tools")?
        .join(format!("build-tools-{}", pins.join("-")));
    pylon_sys::home::fill_once(&dir, |scratch| {
        step.message(&format!("install {}", pins.join(" ")));
        let venv = guest.uv()?.venv(&scratch.join("venv"), step)?;
        step.run(venv.command("pip install", scratch).args(&pins))
    })?;
    let minor = guest.cpython.profile.minor();
    let tools = Tools {
        cmake: dir.join(format!(
            "venv/lib/python{minor}/site-packages/cmake/data/bin/cmake"
        )),
        ninja: dir.join("venv/bin/ninja"),
    };
    for tool in [&tools.cmake, &tools.ninja] {
        anyhow::ensure!(
            tool.is_file(),
            "{} is missing; remove {} to install the build tools again",
            tool.display(),
            dir.display()
        );
    }
    Ok(tools)
}

/// What CMake is told of WASI: a Unix without shared libraries, whose programs are
/// `.wasm` files.
const PLATFORM: &str = "set(WASI 1)\nset(UNIX 1)\n\
set(CMAKE_STATIC_LIBRARY_PREFIX \"lib\")\nset(CMAKE_STATIC_LIBRARY_SUFFIX \".a\")\n\
set(CMAKE_EXECUTABLE_SUFFIX \".wasm\")\n\
set(CMAKE_FIND_LIBRARY_PREFIXES \"lib\")\nset(CMAKE_FIND_LIBRARY_SUFFIXES \".a\")\n\
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)\n";

fn toolchain_text(guest: &Guest, deps: &[Prefix]) -> String {
    let tc = &guest.toolchain;
    let roots: Vec<String> = deps.iter().map(|d| d.dir.display().to_string()).collect();
    format!(
        "set(CMAKE_SYSTEM_NAME WASI)\nset(CMAKE_SYSTEM_PROCESSOR wasm32)\n\
         set(CMAKE_C_COMPILER \"{cc}\")\nset(CMAKE_CXX_COMPILER \"{cxx}\")\n\
         set(CMAKE_AR \"{ar}\")\nset(CMAKE_RANLIB \"{ranlib}\")\n\
         set(CMAKE_C_FLAGS_INIT \"{flags}\")\nset(CMAKE_CXX_FLAGS_INIT \"{flags}\")\n\
         set(CMAKE_FIND_ROOT_PATH {roots})\nset(CMAKE_PREFIX_PATH {roots})\n\
         set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)\n\
         set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)\n\
         set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)\n\
         set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)\n",
        cc = tc.bin("clang").display(),
        cxx = tc.bin("clang++").display(),
        ar = tc.bin("llvm-ar").display(),
        ranlib = tc.bin("ranlib").display(),
        flags = wrapper::CFLAGS.join(" "),
        roots = if roots.is_empty() {
            "\"\"".to_string()
        } else {
            roots.join(" ")
        },
    )
}
