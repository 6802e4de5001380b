//! A distribution's build requirements, resolved for the host (the native build of the
//! guest's CPython runs the backend) and pinned, so the same lock builds with the same
//! tools everywhere.

use std::path::Path;

use anyhow::{Context, Result};
use pylon_sys::progress::Step;

use crate::packages::uv::Uv;

/// `requirements` resolved by uv for `uv`'s interpreter, within `constraints` (the guest
/// lock's versions, so a build requirement the guest also runs, numpy for pandas, is the
/// same release on both sides): `name==version` for each package, sorted.
pub fn pin(
    uv: &Uv,
    requirements: &[String],
    constraints: &[String],
    dir: &Path,
    step: &Step,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let input = dir.join("build-requires.in");
    let constraint_file = dir.join("build-constraints.txt");
    let output = dir.join("build-requires.txt");
    std::fs::write(&input, requirements.join("\n"))
        .with_context(|| format!("cannot write {}", input.display()))?;
    std::fs::write(&constraint_file, constraints.join("\n"))
        .with_context(|| format!("cannot write {}", constraint_file.display()))?;
    step.run(
        uv.command("pip compile", dir)
            .arg(&input)
            .arg("--constraint")
            .arg(&constraint_file)
            .args(["--no-header", "--no-annotate", "--quiet", "--output-file"])
            .arg(&output),
    )
    .context("cannot resolve the build requirements (uv's account is in the log)")?;
    let text = std::fs::read_to_string(&output)
        .with_context(|| format!("cannot read {}", output.display()))?;
    Ok(pins(&text))
}

/// The `name==version` lines of uv's output.
fn pins(text: &str) -> Vec<String> {
    let mut pins: Vec<String> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| l.contains("=="))
        .map(str::to_string)
        .collect();
    pins.sort();
    pins
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_uvs_pins() {
        let text = "cython==3.2.9\n    # via -r build-requires.in\nmeson==1.12.1\n\nsetuptools==84.2.1 ; python_version >= '3.9'\n";
        assert_eq!(
            super::pins(text),
            [
                "cython==3.2.9",
                "meson==1.12.1",
                "setuptools==84.2.1 ; python_version >= '3.9'"
            ]
        );
    }
}
