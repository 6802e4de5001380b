//! Assembling a wasi-sdk-shaped folder from Debian's LLVM 19 and wasi-libc.
//!
//! CPython's WASI build and pylon's extension builds both expect wasi-sdk's layout. The
//! folder is made in a scratch sibling and renamed into place, so a failed or
//! interrupted assembly never leaves a half-made toolchain behind.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{llvm_root, llvm_tool, wasm_component_ld, LLVM_MAJOR, WASI_LIBC};
use crate::debian::{self, Suite};
use crate::home::Home;
use crate::progress::Step;

pub(super) fn location(home: &Home) -> PathBuf {
    let version = WASI_LIBC.version.replace(['~', '+', ':'], "_");
    home.root()
        .join("toolchain")
        .join(format!("wasi-sdk-llvm{LLVM_MAJOR}-wasi-libc-{version}"))
}

/// Marked complete, and every tool still resolves (a package may have been removed since).
pub(super) fn is_complete(sdk: &Path) -> bool {
    crate::home::is_published(sdk) && TOOLS.iter().all(|tool| sdk.join("bin").join(tool).exists())
}

const TOOLS: &[&str] = &[
    "clang",
    "clang++",
    "clang-cpp",
    "llvm-ar",
    "ranlib",
    "llvm-nm",
    "wasm-ld",
    "wasm-component-ld",
];

pub(super) fn assemble(home: &Home, step: &Step) -> Result<PathBuf> {
    let sdk = location(home);
    if is_complete(&sdk) {
        return Ok(sdk);
    }
    let parent = sdk.parent().expect("has a parent");
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix(".wasi-sdk-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot make a scratch folder in {}", parent.display()))?;

    step.message("fetching wasi-libc");
    let suite = Suite::open(WASI_LIBC.suite, &home.dir("apt")?, step)?;
    let debs = home.downloads()?.join("debs");
    let deb = suite.download(
        &format!("{}={}", WASI_LIBC.package, WASI_LIBC.version),
        &debs,
        step,
    )?;
    let unpacked = scratch.path().join("unpacked");
    debian::unpack(&deb, &unpacked, step)?;

    step.message("laying out the wasi-sdk folder");
    lay_out(scratch.path(), &unpacked)?;
    std::fs::remove_dir_all(&unpacked).context("cannot clean the unpacked wasi-libc")?;
    crate::home::publish(scratch, &sdk)?;
    Ok(sdk)
}

fn lay_out(sdk: &Path, unpacked: &Path) -> Result<()> {
    let bin = sdk.join("bin");
    let sysroot = sdk.join("share/wasi-sysroot");
    let resource = sdk.join("lib/clang").join(LLVM_MAJOR);
    for dir in [&bin, &sysroot, &resource] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }

    // The sysroot: wasi-libc's include/ and lib/, reachable by every triple clang may ask for.
    for part in ["include", "lib"] {
        let to = sysroot.join(part);
        std::fs::rename(unpacked.join("usr").join(part), &to)
            .with_context(|| format!("wasi-libc's package has no usr/{part}"))?;
        // Newer wasi-libc packages ship this link themselves.
        if !to.join("wasm32-wasip1").exists() {
            symlink("wasm32-wasi", to.join("wasm32-wasip1"))
                .context("cannot link the wasm32-wasip1 sysroot")?;
        }
    }

    // Compiler-rt builtins where clang 19 looks for each wasm target.
    link(
        &llvm_root()
            .join("lib/clang")
            .join(LLVM_MAJOR)
            .join("include"),
        &resource.join("include"),
    )?;
    let builtins = llvm_root()
        .join("lib/clang")
        .join(LLVM_MAJOR)
        .join("lib/wasi/libclang_rt.builtins-wasm32.a");
    for triple in [
        "wasm32-unknown-wasip1",
        "wasm32-unknown-wasip2",
        "wasm32-unknown-wasi",
    ] {
        let dir = resource.join("lib").join(triple);
        std::fs::create_dir_all(&dir)?;
        std::fs::copy(&builtins, dir.join("libclang_rt.builtins.a")).with_context(|| {
            format!(
                "cannot copy {}; is libclang-rt-{LLVM_MAJOR}-dev-wasm32 installed?",
                builtins.display()
            )
        })?;
    }

    // Tools: clang wrappers that default to WASI and this folder, plus links.
    write_script(&bin.join("clang"), &clang_wrapper("clang"))?;
    write_script(&bin.join("clang++"), &clang_wrapper("clang++"))?;
    write_script(
        &bin.join("clang-cpp"),
        "#!/bin/sh\nexec \"$(dirname \"$0\")/clang\" -E \"$@\"\n",
    )?;
    link(&llvm_tool("llvm-ar"), &bin.join("llvm-ar"))?;
    link(&llvm_tool("llvm-ranlib"), &bin.join("ranlib"))?;
    link(&llvm_tool("llvm-nm"), &bin.join("llvm-nm"))?;
    link(&llvm_tool("wasm-ld"), &bin.join("wasm-ld"))?;
    link(&wasm_component_ld()?, &bin.join("wasm-component-ld"))?;
    Ok(())
}

/// clang with this folder's resource dir and sysroot; `--target=wasm32-wasip1` unless
/// the caller names a target (configure's "compiler works" check names none).
fn clang_wrapper(driver: &str) -> String {
    let real = llvm_tool(driver);
    format!(
        r#"#!/bin/sh
# Generated by pylon: {driver} for WASI with this folder's sysroot and compiler runtime.
sdk="$(cd "$(dirname "$0")/.." && pwd)"
target=--target=wasm32-wasip1
for arg in "$@"; do
  case "$arg" in --target=*|-target|--target) target= ;; esac
done
exec {real} $target -resource-dir "$sdk/lib/clang/{LLVM_MAJOR}" --sysroot="$sdk/share/wasi-sysroot" -B "$sdk/bin" "$@"
"#,
        real = real.display()
    )
}

fn write_script(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

fn link(target: &Path, at: &Path) -> Result<()> {
    anyhow::ensure!(
        target.exists(),
        "{} is missing; install the Debian package that ships it",
        target.display()
    );
    symlink(target, at)
        .with_context(|| format!("cannot link {} -> {}", at.display(), target.display()))
}
