//! Building CPython for WASI once, and what the build exposes to cargo-pylon.
//!
//! A build lives in `<PYLON_HOME>/cpython/<version>-<key>/`, where the key hashes
//! everything that changes its output: the profile, the toolchain's identity, the
//! configure arguments and pylon's own build recipe. It is made under a file lock, marked
//! complete last, and removed again if any step fails (its log is kept under `logs/`).

mod link;
mod patches;
mod prefix;

pub use link::LinkRecipe;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::home::Home;
use crate::profile::Profile;
use crate::progress::Step;
use crate::source;
use crate::toolchain::Toolchain;

/// Bump when the recipe below changes in a way that changes the build's output.
const RECIPE: u32 = 2;
const COMPLETE: &str = ".pylon-complete";
const HOST_TRIPLE: &str = "wasm32-wasip1";
/// Optional modules the runtime never needs; leaving them out keeps the build small.
const CONFIGURE_COMMON: &[&str] = &["--disable-test-modules", "--without-ensurepip"];

/// Code generation for the WASI host beyond clang 19's generic wasm32 target: tail calls
/// (`return_call`, which wasmtime and stock engines run by default), for the interpreter
/// and the modules compiled with its flags (caps' C, setuptools builds through its
/// sysconfig; meson builds keep their own cross file). 2-3 % at compute over two
/// interleaved runs (docs/PERFORMANCE.md); lime1's other features made no difference.
const WASI_CFLAGS: &str = "-mtail-call";

/// A finished CPython build: the native build-Python and the WASI interpreter.
#[derive(Debug, Clone)]
pub struct Cpython {
    pub profile: &'static Profile,
    pub root: PathBuf,
    pub key: String,
}

impl Cpython {
    /// The cached build for `profile` and `toolchain`, building it first if needed.
    pub fn ensure(home: &Home, profile: &'static Profile, toolchain: &Toolchain) -> Result<Self> {
        let key = cache_key(profile, toolchain);
        let root = home
            .dir("cpython")?
            .join(format!("{}-{}", profile.version, &key[..16]));
        let build = Self { profile, root, key };
        if !build.is_complete() {
            build.build_locked(home, toolchain)?;
        }
        prefix::ensure(home, &build)?;
        Ok(build)
    }

    fn build_locked(&self, home: &Home, toolchain: &Toolchain) -> Result<()> {
        let (build, profile) = (self, self.profile);
        let lock_path = crate::home::lock_path(&build.root);
        let lock = File::create(&lock_path)
            .with_context(|| format!("cannot create {}", lock_path.display()))?;
        if lock.try_lock().is_err() {
            eprintln!(
                "pylon: another pylon is building CPython {}; waiting for it",
                profile.version
            );
            lock.lock()
                .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        }
        if build.is_complete() {
            return Ok(());
        }
        let log = home.logs()?.join(format!(
            "cpython-{}-{}.log",
            profile.version,
            &build.key[..16]
        ));
        let _ = std::fs::remove_file(&log);
        eprintln!(
            "pylon: building CPython {} for WASI once (log: {})",
            profile.version,
            log.display()
        );
        match build.build(home, toolchain, &log) {
            Ok(()) => Ok(()),
            Err(err) => {
                let _ = std::fs::remove_dir_all(&build.root);
                Err(err.context(format!(
                    "building CPython {} failed; the partial build was removed",
                    profile.version
                )))
            }
        }
    }

    /// The cached build if it exists, without building anything.
    pub fn find(home: &Home, profile: &'static Profile, toolchain: &Toolchain) -> Option<Self> {
        let key = cache_key(profile, toolchain);
        let root = home
            .root()
            .join("cpython")
            .join(format!("{}-{}", profile.version, &key[..16]));
        let build = Self { profile, root, key };
        (build.is_complete() && crate::home::is_published(&build.prefix())).then_some(build)
    }

    fn is_complete(&self) -> bool {
        self.root.join(COMPLETE).is_file()
    }

    pub fn source_dir(&self) -> PathBuf {
        self.root.join("src")
    }

    pub fn native_dir(&self) -> PathBuf {
        self.root.join("native")
    }

    pub fn wasi_dir(&self) -> PathBuf {
        self.root.join("wasi")
    }

    /// The native build-Python of the same version (also the benchmark baseline).
    pub fn native_python(&self) -> PathBuf {
        self.native_dir().join("python")
    }

    /// The WASI interpreter: a wasm32-wasip1 core module.
    pub fn interpreter(&self) -> PathBuf {
        self.wasi_dir().join("python.wasm")
    }

    /// Step durations of the build, recorded when it ran (for `cargo pylon bench`).
    pub fn build_times_file(&self) -> PathBuf {
        self.root.join("build-times.json")
    }

    /// The runtime prefix, mounted read-only at [`GUEST_PREFIX`] in the guest. Staged
    /// apart from the build (keyed by its own recipe), so a staging change never
    /// rebuilds CPython.
    pub fn prefix(&self) -> PathBuf {
        self.root.join(format!("runtime-{}", prefix::key()))
    }

    /// How to compile builtin modules and relink the interpreter (read once from the
    /// build's Makefile, then cached).
    pub fn link_recipe(&self) -> Result<LinkRecipe> {
        let cached = self.root.join("link.json");
        if let Ok(bytes) = std::fs::read(&cached) {
            if let Ok(recipe) = serde_json::from_slice(&bytes) {
                return Ok(recipe);
            }
        }
        let recipe = LinkRecipe::from_build(&self.wasi_dir())?;
        std::fs::write(&cached, serde_json::to_vec_pretty(&recipe)?)
            .with_context(|| format!("cannot write {}", cached.display()))?;
        Ok(recipe)
    }

    fn build(&self, home: &Home, toolchain: &Toolchain, log: &Path) -> Result<()> {
        if self.root.exists() {
            std::fs::remove_dir_all(&self.root)
                .with_context(|| format!("cannot remove the stale {}", self.root.display()))?;
        }
        for dir in [self.source_dir(), self.native_dir(), self.wasi_dir()] {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let jobs = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .to_string();
        let mut times = Vec::new();

        let step = Step::start("CPython source").log_to(log)?;
        let tarball = source::fetch(self.profile, home, &step)?;
        step.message("unpacking");
        source::extract(&tarball, &self.source_dir())?;
        patches::apply_to_source(&self.source_dir())?;
        times.push(("source", step.finish()));

        let step = Step::start("configure build-Python").log_to(log)?;
        step.run(
            Command::new("../src/configure")
                .args(CONFIGURE_COMMON)
                .current_dir(self.native_dir()),
        )?;
        times.push(("configure build-Python", step.finish()));
        let step = Step::start("make build-Python").log_to(log)?;
        step.run(
            Command::new("make")
                .args(["-j", &jobs, "all"])
                .current_dir(self.native_dir()),
        )?;
        times.push(("make build-Python", step.finish()));

        let step = Step::start("configure WASI host").log_to(log)?;
        let build_triple = config_guess(&self.source_dir())?;
        let mut configure = Command::new("../src/configure");
        configure
            .args([
                format!("--host={HOST_TRIPLE}"),
                format!("--build={build_triple}"),
            ])
            .arg(format!(
                "--with-build-python={}",
                self.native_python().display()
            ))
            .args(CONFIGURE_COMMON)
            .env("CONFIG_SITE", self.config_site()?)
            // At configure only: make would append the variable to the recorded flags again.
            .env("CFLAGS", WASI_CFLAGS)
            .envs(wasi_env(toolchain))
            .current_dir(self.wasi_dir());
        step.run(&mut configure)?;
        times.push(("configure WASI host", step.finish()));
        let step = Step::start("make WASI host").log_to(log)?;
        step.run(
            Command::new("make")
                .args(["-j", &jobs, "all"])
                .envs(wasi_env(toolchain))
                .current_dir(self.wasi_dir()),
        )?;
        times.push(("make WASI host", step.finish()));

        let record = serde_json::json!({
            "jobs": jobs,
            "steps": times.iter().map(|(name, secs)| serde_json::json!({"step": name, "seconds": secs})).collect::<Vec<_>>(),
        });
        std::fs::write(self.build_times_file(), serde_json::to_vec_pretty(&record)?)
            .context("cannot record the build times")?;

        std::fs::write(self.root.join(COMPLETE), &self.key)
            .context("cannot mark the CPython build complete")?;
        Ok(())
    }
}

/// The guest path the runtime prefix is mounted at; it is CPython's compiled-in prefix,
/// so `sys.prefix` resolves without warnings.
pub const GUEST_PREFIX: &str = "/usr/local";

impl Cpython {
    /// CPython's `config.site` for WASI: the profile's path, else the other place the file
    /// has lived (it moved to `Tools/wasm/wasi/` in 3.14).
    fn config_site(&self) -> Result<PathBuf> {
        let candidates = [
            self.profile.config_site,
            "Tools/wasm/wasi/config.site-wasm32-wasi",
            "Tools/wasm/config.site-wasm32-wasi",
        ];
        candidates
            .iter()
            .map(|rel| self.source_dir().join(rel))
            .find(|path| path.is_file())
            .with_context(|| {
                format!(
                    "the CPython {} source has no WASI config.site (looked for {})",
                    self.profile.version,
                    candidates.join(", ")
                )
            })
    }
}

fn cache_key(profile: &Profile, toolchain: &Toolchain) -> String {
    let mut hasher = Sha256::new();
    for part in [
        format!("recipe {RECIPE}"),
        format!("cpython {} {}", profile.version, profile.sha256),
        format!("toolchain {}", toolchain.identity),
        format!("host {HOST_TRIPLE} {}", CONFIGURE_COMMON.join(" ")),
        format!("cflags {WASI_CFLAGS}"),
        format!("config-site {}", profile.config_site),
        format!("source patches {}", patches::source_fingerprint()),
    ] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// The variables CPython's own `Tools/wasm` script sets for a wasi-sdk build.
fn wasi_env(toolchain: &Toolchain) -> Vec<(String, String)> {
    let sysroot = toolchain.sysroot().display().to_string();
    let tool = |name: &str| toolchain.bin(name).display().to_string();
    let path = format!(
        "{}:{}",
        toolchain.sdk.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    vec![
        (
            "CC".into(),
            format!("{} --sysroot={sysroot}", tool("clang")),
        ),
        (
            "CPP".into(),
            format!("{} --sysroot={sysroot}", tool("clang-cpp")),
        ),
        (
            "CXX".into(),
            format!("{} --sysroot={sysroot}", tool("clang++")),
        ),
        ("AR".into(), tool("llvm-ar")),
        ("RANLIB".into(), tool("ranlib")),
        ("PKG_CONFIG_PATH".into(), String::new()),
        (
            "PKG_CONFIG_LIBDIR".into(),
            format!("{sysroot}/lib/pkgconfig:{sysroot}/share/pkgconfig"),
        ),
        ("PKG_CONFIG_SYSROOT_DIR".into(), sysroot.clone()),
        ("WASI_SDK_PATH".into(), toolchain.sdk.display().to_string()),
        ("WASI_SYSROOT".into(), sysroot),
        ("PATH".into(), path),
    ]
}

fn config_guess(source: &Path) -> Result<String> {
    let out = Command::new(source.join("config.guess"))
        .output()
        .context("cannot run CPython's config.guess")?;
    anyhow::ensure!(
        out.status.success(),
        "config.guess failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
