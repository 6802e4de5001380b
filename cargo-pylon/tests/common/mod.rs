//! Helpers for driving the real `cargo-pylon` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// `cargo-pylon pylon ARGS`, as cargo itself invokes the subcommand.
pub fn pylon(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-pylon"));
    cmd.arg("pylon").args(args).current_dir(workspace());
    cmd
}

/// Build CPython and compile the interpreter once, before tests run in parallel.
pub fn ready() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let out = pylon(&["probe", "-c", "pass"]).output().expect("run cargo-pylon");
        assert!(out.status.success(), "bootstrap failed:\n{}", String::from_utf8_lossy(&out.stderr));
    });
}

/// A run with its own temporary folder, so a test can see the staging folder is gone.
pub struct Run {
    pub out: Output,
    pub tmp: tempfile::TempDir,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    pub fn assert_staging_removed(&self) {
        let left: Vec<_> = std::fs::read_dir(self.tmp.path()).unwrap().map(|e| e.unwrap().path()).collect();
        assert!(left.is_empty(), "staging left behind: {left:?}");
    }
}

pub fn probe(args: &[&str]) -> Run {
    ready();
    let tmp = tempfile::tempdir().unwrap();
    let out = pylon(&[&["probe"], args].concat()).env("TMPDIR", tmp.path()).output().expect("run cargo-pylon");
    Run { out, tmp }
}
