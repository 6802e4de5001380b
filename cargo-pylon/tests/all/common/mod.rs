//! Helpers for driving the real `cargo-pylon` binary.

#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
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
        let out = pylon(&["probe", "-c", "pass"])
            .output()
            .expect("run cargo-pylon");
        assert!(
            out.status.success(),
            "bootstrap failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
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
        let left: Vec<_> = std::fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "staging left behind: {left:?}");
    }
}

pub fn probe(args: &[&str]) -> Run {
    ready();
    let tmp = tempfile::tempdir().unwrap();
    let out = pylon(&[&["probe"], args].concat())
        .env("TMPDIR", tmp.path())
        .output()
        .expect("run cargo-pylon");
    Run { out, tmp }
}

/// A scratch workspace holding a copy of the blake3 cap, with its own output folder and a
/// cargo target folder shared by all tests (so the cap's crates compile once).
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn with_blake3() -> Self {
        Self::with_caps(&["blake3"])
    }

    /// Copies of the workspace's `caps`.
    pub fn with_caps(caps: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        cargo_pylon::scaffolding::scratch::copy_workspace(&workspace(), caps, dir.path()).unwrap();
        Self { dir }
    }

    /// The extension is built against `version` of the interface (its own WIT folder);
    /// the component keeps exporting 0.1.0.
    pub fn with_extension_wit_version(version: &str) -> Self {
        let ws = Self::with_blake3();
        std::fs::create_dir_all(ws.path("caps/blake3/wit-ext")).unwrap();
        let wit = std::fs::read_to_string(ws.path("caps/blake3/wit/blake3.wit")).unwrap();
        std::fs::write(
            ws.path("caps/blake3/wit-ext/blake3.wit"),
            wit.replace("pylon:blake3@0.1.0", &format!("pylon:blake3@{version}")),
        )
        .unwrap();
        ws.edit(
            "caps/blake3/Cargo.toml",
            "wit = \"wit\"",
            "wit = \"wit-ext\"",
        );
        ws
    }

    /// Add a test cap from `tests/fixtures/NAME` as `caps/NAME`.
    pub fn add_fixture(&self, name: &str) {
        cargo_pylon::support::fs::copy_dir(
            &workspace().join("tests/fixtures").join(name),
            &self.path("caps").join(name),
        )
        .unwrap();
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn pylon(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run cargo-pylon")
    }

    /// The command [`Self::pylon`] runs, to add environment variables.
    pub fn command(&self, args: &[&str]) -> Command {
        ready();
        let mut cmd = pylon(args);
        cmd.current_dir(self.dir.path()).env(
            "CARGO_TARGET_DIR",
            workspace().join("target/pylon-test-target"),
        );
        cmd
    }

    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
