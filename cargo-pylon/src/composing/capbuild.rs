//! Building each cap's crate into its component, and checking what it exports.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use pylon_sys::progress::Step;
use pylon_sys::Profile;

use super::target::Target;
use crate::support::stamp::{Fingerprint, Stamp};
use crate::workspace::discover::Cap;

pub const TARGET: &str = "wasm32-wasip2";

/// The component file cargo writes for `cap` under `target_dir`.
pub fn component_path(target_dir: &Path, cap: &Cap) -> PathBuf {
    target_dir
        .join(TARGET)
        .join("release")
        .join(format!("{}.wasm", cap.lib_name))
}

/// `cargo build --release --target wasm32-wasip2` for all `caps` at once.
pub fn build(step: &Step, workspace_root: &Path, target_dir: &Path, caps: &[&Cap]) -> Result<()> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(["build", "--release", "--target", TARGET, "--manifest-path"])
        .arg(workspace_root.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir)
        // Do not inherit the flags of the cargo that runs pylon (for example a host
        // `RUSTFLAGS`); the caps are built for wasm.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    for cap in caps {
        cmd.args(["--package", &cap.package]);
    }
    step.run(&mut cmd)
        .context("building the cap components failed")
}

/// `ns:pkg/iface@version` of every interface the component exports.
pub fn exports(component: &Path) -> Result<BTreeSet<String>> {
    let bytes =
        std::fs::read(component).with_context(|| format!("cannot read {}", component.display()))?;
    Ok(super::inspect::interfaces(&bytes)
        .with_context(|| format!("cannot inspect {}", component.display()))?
        .exports)
}

/// Build the caps' components (skipped while no cap, nor the workspace's manifests, changed).
pub fn build_components(
    caps: &[&Cap],
    target: &Target,
    stamps: &Path,
    log: &Path,
) -> Result<Vec<PathBuf>> {
    if caps.is_empty() {
        return Ok(Vec::new());
    }
    let root = target
        .workspace_root
        .as_deref()
        .context("caps need a workspace")?;
    let mut fp = Fingerprint::new("components");
    for file in ["Cargo.toml", "Cargo.lock"] {
        if root.join(file).is_file() {
            fp.file(&root.join(file))?;
        }
    }
    for cap in caps {
        fp.tree(&cap.dir)?;
    }
    let components: Vec<PathBuf> = caps
        .iter()
        .map(|c| component_path(&target.cargo_target, c))
        .collect();
    let stamp = Stamp::new(stamps, "components", &fp);
    if !stamp.fresh(&components.iter().map(PathBuf::as_path).collect::<Vec<_>>()) {
        pylon_sys::toolchain::ensure_targets()?;
        let step = Step::start("build cap components").log_to(log)?;
        build(&step, root, &target.cargo_target, caps)?;
        step.finish();
        stamp.record()?;
    }
    Ok(components)
}

/// Whether `cap` is built on `profile` (its `profiles` key, when it has one).
pub fn gated_in(cap: &Cap, profile: &Profile) -> bool {
    cap.meta.profiles.as_ref().is_none_or(|list| {
        list.iter()
            .any(|p| p == profile.minor() || p == profile.version)
    })
}
