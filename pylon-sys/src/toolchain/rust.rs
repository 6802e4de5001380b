//! The Rust side of the toolchain: rustup targets and rustup's `wasm-component-ld`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::{Check, State};

pub const RUST_TARGETS: &[&str] = &["wasm32-wasip1", "wasm32-wasip2"];

fn output(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program).args(args).output().with_context(|| {
        format!(
            "cannot run `{program} {}`; is the Rust toolchain (rustup) installed?",
            args.join(" ")
        )
    })?;
    if !out.status.success() {
        bail!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn installed_targets() -> Result<Vec<String>> {
    Ok(output("rustup", &["target", "list", "--installed"])?
        .lines()
        .map(str::to_string)
        .collect())
}

/// Add the wasm targets pylon builds for when they are missing.
pub fn ensure_targets() -> Result<()> {
    let installed = installed_targets()?;
    let missing: Vec<&str> = RUST_TARGETS
        .iter()
        .copied()
        .filter(|t| !installed.iter().any(|i| i == t))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("pylon: adding Rust targets {}", missing.join(" "));
    let status = Command::new("rustup")
        .args(["target", "add"])
        .args(&missing)
        .status()
        .context("cannot run rustup")?;
    if !status.success() {
        bail!(
            "`rustup target add {}` failed; run it yourself and retry",
            missing.join(" ")
        );
    }
    Ok(())
}

pub(super) fn wasm_component_ld() -> Result<PathBuf> {
    let sysroot = output("rustc", &["--print", "sysroot"])?;
    let host = output("rustc", &["-vV"])?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .context("`rustc -vV` printed no host line")?;
    let path = PathBuf::from(sysroot.trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin/wasm-component-ld");
    if !path.is_file() {
        bail!(
            "{} is missing; update Rust with `rustup update` (1.82 or later ships it)",
            path.display()
        );
    }
    Ok(path)
}

pub(super) fn inspect() -> Vec<Check> {
    let mut checks = Vec::new();
    let installed = installed_targets();
    for target in RUST_TARGETS {
        let state = match &installed {
            Ok(list) if list.iter().any(|t| t == target) => State::Found {
                at: "rustup".into(),
                version: target.to_string(),
            },
            Ok(_) => State::Missing {
                fix: format!("rustup target add {target} (pylon does this itself)"),
            },
            Err(e) => State::Missing { fix: e.to_string() },
        };
        checks.push(Check {
            part: format!("rust target {target}"),
            state,
        });
    }
    let state = match wasm_component_ld() {
        Ok(path) => State::Found {
            version: super::command_line(&path, "--version").unwrap_or_default(),
            at: path.display().to_string(),
        },
        Err(e) => State::Missing { fix: e.to_string() },
    };
    checks.push(Check {
        part: "wasm-component-ld".into(),
        state,
    });
    checks
}
