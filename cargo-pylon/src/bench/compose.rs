//! Compose times on a scratch copy of the workspace's caps: the first compose after
//! CPython is built (cap crates compiled from nothing), a no-op, and one cap's C changed.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::Row;

fn timed(exe: &Path, dir: &Path, target: &Path) -> Result<f64> {
    let started = Instant::now();
    let out = Command::new(exe).arg("compose").current_dir(dir).env("CARGO_TARGET_DIR", target).output()
        .context("cannot run cargo-pylon compose")?;
    if !out.status.success() {
        bail!("compose failed during the benchmark: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(started.elapsed().as_secs_f64())
}

pub fn rows(root: &Path, cap: &str, edit: (&str, &str, &str)) -> Result<Vec<Row>> {
    let exe = std::env::current_exe().context("cannot find the running cargo-pylon")?;
    let scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
    let (ws, target) = (scratch.path().join("ws"), scratch.path().join("target"));
    crate::scratch::copy_workspace(root, &[cap], &ws)?;
    let first = timed(&exe, &ws, &target)?;
    let noop = timed(&exe, &ws, &target)?;
    let (file, from, to) = edit;
    let path = ws.join("caps").join(cap).join(file);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    std::fs::write(&path, text.replacen(from, to, 1)).with_context(|| format!("cannot write {}", path.display()))?;
    let touched = timed(&exe, &ws, &target)?;
    let row = |what: String, secs: f64| Row { what, pylon: format!("{secs:.2} s"), baseline: "-".into(), ratio: "-".into() };
    Ok(vec![
        row(format!("compose, first after CPython is built (cap `{cap}` compiled from scratch)"), first),
        row("compose, nothing changed".into(), noop),
        row(format!("compose, one cap's C source changed (`{cap}`: recompile, relink, re-plug)"), touched),
    ])
}
