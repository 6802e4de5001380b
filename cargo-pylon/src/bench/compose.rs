//! Compose times on a scratch copy of the workspace's caps: the first compose after
//! CPython is built (cap crates compiled from nothing), a no-op, and one cap's C changed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::Row;

/// A scratch copy of some of the workspace's caps, with its own cargo target folder.
pub struct Scratch {
    _dir: tempfile::TempDir,
    pub ws: PathBuf,
    target: PathBuf,
    exe: PathBuf,
}

impl Scratch {
    pub fn new(root: &Path, caps: &[&str]) -> Result<Self> {
        let dir = tempfile::tempdir().context("cannot make a scratch folder")?;
        let (ws, target) = (dir.path().join("ws"), dir.path().join("target"));
        crate::scaffolding::scratch::copy_workspace(root, caps, &ws)?;
        let exe = std::env::current_exe().context("cannot find the running cargo-pylon")?;
        Ok(Self {
            _dir: dir,
            ws,
            target,
            exe,
        })
    }

    /// `cargo-pylon ARGS` in the scratch workspace; its stdout.
    pub fn pylon(&self, args: &[&str]) -> Result<String> {
        let out = self
            .command(args)
            .output()
            .with_context(|| format!("cannot run cargo-pylon {}", args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "cargo-pylon {} failed during the benchmark: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The command [`Self::pylon`] runs.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.args(args)
            .current_dir(&self.ws)
            .env("CARGO_TARGET_DIR", &self.target);
        cmd
    }

    pub fn edit(&self, file: &str, from: &str, to: &str) -> Result<()> {
        let path = self.ws.join(file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        anyhow::ensure!(
            text.contains(from),
            "{} no longer contains {from:?}",
            path.display()
        );
        std::fs::write(&path, text.replacen(from, to, 1))
            .with_context(|| format!("cannot write {}", path.display()))
    }

    fn timed_compose(&self) -> Result<f64> {
        let started = Instant::now();
        self.pylon(&["compose"])?;
        Ok(started.elapsed().as_secs_f64())
    }
}

pub fn rows(root: &Path, cap: &str, edit: (&str, &str, &str)) -> Result<Vec<Row>> {
    let scratch = Scratch::new(root, &[cap])?;
    let first = scratch.timed_compose()?;
    let noop = scratch.timed_compose()?;
    let (file, from, to) = edit;
    scratch.edit(&format!("caps/{cap}/{file}"), from, to)?;
    let touched = scratch.timed_compose()?;
    let row = |what: String, secs: f64| Row {
        what,
        pylon: format!("{secs:.2} s"),
        baseline: "-".into(),
        ratio: "-".into(),
    };
    Ok(vec![
        row(
            format!("compose, first after CPython is built (cap `{cap}` compiled from scratch)"),
            first,
        ),
        row("compose, nothing changed".into(), noop),
        row(
            format!("compose, one cap's Rust source changed (`{cap}`: rebuild that cap, re-plug)"),
            touched,
        ),
    ])
}
