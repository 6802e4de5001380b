//! The WASI C toolchain and the Rust targets pylon builds with.
//!
//! `WASI_SDK_PATH` wins when set. Otherwise pylon assembles a wasi-sdk-shaped folder
//! from Debian packages: clang/lld/compiler-rt of LLVM 19 from the machine's own suite
//! (installed system-wide, as root) and a recent wasi-libc unpacked from a newer suite
//! into the cache (nothing installed).

mod cxx;
mod rust;
mod sdk;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::debian;
use crate::home::Home;
use crate::progress::Step;

pub use cxx::CxxRuntime;
pub use rust::{ensure_targets, RUST_TARGETS};

pub const LLVM_MAJOR: &str = "19";
const LLVM_ROOT: &str = "/usr/lib/llvm-19";

/// Debian packages from the machine's own suite, with a file that proves each is there.
pub const SYSTEM_PACKAGES: &[(&str, &str)] = &[
    ("clang-19", "/usr/lib/llvm-19/bin/clang"),
    ("lld-19", "/usr/lib/llvm-19/bin/wasm-ld"),
    ("llvm-19", "/usr/lib/llvm-19/bin/llvm-ar"),
    (
        "libclang-rt-19-dev-wasm32",
        "/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a",
    ),
];

/// wasi-libc comes from a newer suite: the machine's own (bookworm) one is from 2022.
pub const WASI_LIBC: WasiLibc = WasiLibc {
    suite: "trixie",
    package: "wasi-libc",
    version: "0.0~git20241209.574b88d-2",
};

#[derive(Debug, Clone, Copy)]
pub struct WasiLibc {
    pub suite: &'static str,
    pub package: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The user's own wasi-sdk, from `WASI_SDK_PATH`.
    UserSdk,
    /// Assembled by pylon from Debian packages.
    Assembled,
}

/// A wasi-sdk-shaped folder: `bin/clang`, `share/wasi-sysroot`, ...
#[derive(Debug, Clone)]
pub struct Toolchain {
    pub sdk: PathBuf,
    pub origin: Origin,
    /// Everything about the toolchain that changes what it compiles, for cache keys.
    pub identity: String,
}

impl Toolchain {
    /// Find or assemble the toolchain, installing what is missing when allowed.
    pub fn ensure(home: &Home) -> Result<Self> {
        if let Some(sdk) = user_sdk() {
            return Self::from_user_sdk(sdk);
        }
        let missing: Vec<&str> = missing_system_packages();
        let mut sdk = sdk::location(home);
        if !missing.is_empty() || !sdk::is_complete(&sdk) {
            let step = Step::start("WASI toolchain");
            if !missing.is_empty() {
                debian::install(&missing, &step)?;
            }
            step.message("rust targets");
            ensure_targets()?;
            sdk = sdk::assemble(home, &step)?;
            step.finish();
        }
        Ok(Self {
            identity: assembled_identity(),
            sdk,
            origin: Origin::Assembled,
        })
    }

    /// The toolchain if it is already in place, without installing anything.
    pub fn ensure_found(home: &Home) -> Option<Self> {
        if let Some(sdk) = user_sdk() {
            return Self::from_user_sdk(sdk).ok();
        }
        let sdk = sdk::location(home);
        (missing_system_packages().is_empty() && sdk::is_complete(&sdk)).then(|| Self {
            identity: assembled_identity(),
            sdk,
            origin: Origin::Assembled,
        })
    }

    fn from_user_sdk(sdk: PathBuf) -> Result<Self> {
        let clang = sdk.join("bin/clang");
        anyhow::ensure!(
            clang.is_file(),
            "WASI_SDK_PATH={} has no bin/clang; point it at a wasi-sdk folder, or unset it to let pylon assemble one",
            sdk.display()
        );
        let version = std::fs::read_to_string(sdk.join("VERSION")).unwrap_or_default();
        let clang_version = command_line(&clang, "--version").unwrap_or_default();
        Ok(Self {
            identity: format!("wasi-sdk {} | {}", version.trim(), clang_version),
            sdk,
            origin: Origin::UserSdk,
        })
    }

    pub fn bin(&self, tool: &str) -> PathBuf {
        self.sdk.join("bin").join(tool)
    }

    pub fn sysroot(&self) -> PathBuf {
        self.sdk.join("share/wasi-sysroot")
    }
}

fn user_sdk() -> Option<PathBuf> {
    std::env::var_os("WASI_SDK_PATH")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn missing_system_packages() -> Vec<&'static str> {
    SYSTEM_PACKAGES
        .iter()
        .filter(|(_, proof)| !Path::new(proof).exists())
        .map(|(name, _)| *name)
        .collect()
}

/// dpkg keeps the packaged files' modification times, so an upgrade of LLVM changes the
/// identity without asking dpkg (which would cost every run a process).
fn assembled_identity() -> String {
    let files: Vec<String> = SYSTEM_PACKAGES
        .iter()
        .map(|(name, proof)| {
            let real = std::fs::canonicalize(proof).unwrap_or_else(|_| PathBuf::from(proof));
            let stamp = std::fs::metadata(&real)
                .map(|m| format!("{} {:?}", m.len(), m.modified().ok()))
                .unwrap_or_default();
            format!("{name} {} {stamp}", real.display())
        })
        .collect();
    format!(
        "{} | {} {}",
        files.join(" | "),
        WASI_LIBC.package,
        WASI_LIBC.version
    )
}

/// First line of `program arg`'s output.
pub(crate) fn command_line(program: &Path, arg: &str) -> Option<String> {
    let out = std::process::Command::new(program).arg(arg).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().next().map(|l| l.trim().to_string())
}

/// One part of the toolchain as `doctor` reports it.
#[derive(Debug, Clone)]
pub struct Check {
    pub part: String,
    pub state: State,
}

#[derive(Debug, Clone)]
pub enum State {
    Found {
        at: String,
        version: String,
    },
    /// Not there yet; pylon makes it on first use, or the fix says how.
    Missing {
        fix: String,
    },
}

/// What is there, without changing anything.
pub fn inspect(home: &Home) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    let found = |part: &str, at: &Path, version: String| Check {
        part: part.to_string(),
        state: State::Found {
            at: at.display().to_string(),
            version,
        },
    };
    let missing = |part: &str, fix: String| Check {
        part: part.to_string(),
        state: State::Missing { fix },
    };
    if let Some(sdk) = user_sdk() {
        checks.push(match Toolchain::from_user_sdk(sdk.clone()) {
            Ok(tc) => found("wasi-sdk (WASI_SDK_PATH)", &sdk, tc.identity),
            Err(e) => missing("wasi-sdk (WASI_SDK_PATH)", e.to_string()),
        });
    } else {
        for (name, proof) in SYSTEM_PACKAGES {
            checks.push(match debian::installed_version(name) {
                Some(v) if Path::new(proof).exists() => found(name, Path::new(proof), v),
                _ => missing(
                    name,
                    format!(
                        "{}apt-get install -y {name} (pylon does this itself when run as root)",
                        if debian::is_root() { "" } else { "sudo " }
                    ),
                ),
            });
        }
        let sdk = sdk::location(home);
        checks.push(if sdk::is_complete(&sdk) {
            found(
                "wasi-sdk folder (assembled)",
                &sdk,
                format!("{} {}", WASI_LIBC.package, WASI_LIBC.version),
            )
        } else {
            missing(
                "wasi-sdk folder (assembled)",
                "run `cargo pylon doctor --fix` (or any compose/probe) to assemble it".into(),
            )
        });
    }
    checks.extend(rust::inspect());
    for tool in ["make", "cc", "dpkg", "apt-get"] {
        checks.push(match which(tool) {
            Some(at) => found(
                tool,
                &at,
                command_line(&at, "--version").unwrap_or_default(),
            ),
            None => missing(
                tool,
                format!(
                    "install it (Debian: apt-get install -y {})",
                    debian_package_for(tool)
                ),
            ),
        });
    }
    Ok(checks)
}

fn debian_package_for(tool: &str) -> &str {
    match tool {
        "cc" => "gcc",
        "apt-get" | "dpkg" => "apt dpkg",
        other => other,
    }
}

pub(crate) fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

pub(crate) fn llvm_tool(name: &str) -> PathBuf {
    Path::new(LLVM_ROOT).join("bin").join(name)
}

pub(crate) fn llvm_root() -> &'static Path {
    Path::new(LLVM_ROOT)
}

/// The rustup toolchain's `wasm-component-ld`.
pub fn wasm_component_ld() -> Result<PathBuf> {
    rust::wasm_component_ld().context("cannot locate wasm-component-ld in the Rust toolchain")
}
