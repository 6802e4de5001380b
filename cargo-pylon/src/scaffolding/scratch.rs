//! A throwaway copy of a workspace's caps, for measuring compose without touching the
//! user's files (and for tests).

use std::path::Path;

use anyhow::{Context, Result};

use crate::support::fs::copy_dir;

/// Write a workspace at `dest` with `root`'s workspace package and dependency tables,
/// its `Cargo.lock`, a copy of each cap in `caps`, and pylon's output in `dest/out/`.
pub fn copy_workspace(root: &Path, caps: &[&str], dest: &Path) -> Result<()> {
    let cargo_toml = std::fs::read_to_string(root.join("Cargo.toml"))
        .with_context(|| format!("cannot read {}/Cargo.toml", root.display()))?;
    // cargo refuses a members glob that matches nothing.
    let members = if caps.is_empty() {
        "[]"
    } else {
        "[\"caps/*\"]"
    };
    let mut text = format!("[workspace]\nresolver = \"2\"\nmembers = {members}\n\n");
    for header in ["[workspace.package]", "[workspace.dependencies]"] {
        text.push_str(&section(&cargo_toml, header));
        text.push('\n');
    }
    text.push_str("[workspace.metadata.pylon]\noutput = \"out/pylon.wasm\"\n\n");
    text.push_str(&section(&cargo_toml, "[workspace.metadata.pylon.licenses]"));
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    std::fs::write(dest.join("Cargo.toml"), text).context("cannot write the scratch Cargo.toml")?;
    if root.join("Cargo.lock").is_file() {
        std::fs::copy(root.join("Cargo.lock"), dest.join("Cargo.lock"))
            .context("cannot copy Cargo.lock")?;
    }
    for cap in caps {
        copy_dir(&root.join("caps").join(cap), &dest.join("caps").join(cap))?;
    }
    if root.join("LICENSES").is_dir() {
        copy_dir(&root.join("LICENSES"), &dest.join("LICENSES"))?;
    }
    Ok(())
}

fn section(text: &str, header: &str) -> String {
    let Some(start) = text.find(header) else {
        return String::new();
    };
    let rest = &text[start + header.len()..];
    let end = rest.find("\n[").map(|i| i + 1).unwrap_or(rest.len());
    format!("{header}{}", &rest[..end])
}
