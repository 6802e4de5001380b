//! `cargo pylon new` writes the cap in `examples/greeting` (its golden copy), file for file.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::golden::{assert_golden, workspace};

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(root).unwrap().to_path_buf())
        .collect();
    out.sort();
    out
}

/// `cargo pylon new ARGS` in a scratch workspace holding the blake3 cap.
fn new(args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    cargo_pylon::scaffolding::scratch::copy_workspace(workspace(), &["blake3"], dir.path())
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-pylon"))
        .args(["pylon", "new"])
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    dir
}

#[test]
fn new_writes_the_example_cap() {
    let dir = new(&["greeting"]);
    let (written, golden) = (
        dir.path().join("caps/greeting"),
        workspace().join("examples/greeting"),
    );
    let names = files(&written);
    if std::env::var_os("PYLON_BLESS").is_none_or(|v| v != "1") {
        assert_eq!(names, files(&golden), "the files `new` writes");
    }
    for name in names {
        let text = std::fs::read_to_string(written.join(&name)).unwrap();
        assert_golden(&golden.join(&name), &text);
    }
}

#[test]
fn new_with_package_lays_the_facade_out_as_a_package_discovery_accepts() {
    let dir = new(&["geo-tools", "--package"]);
    let cap = dir.path().join("caps/geo-tools");
    assert!(cap.join("python/geo_tools/__init__.py").is_file());
    assert!(!cap.join("python/geo_tools.py").exists());
    let ws =
        cargo_pylon::workspace::discover::workspace(Some(&dir.path().join("Cargo.toml"))).unwrap();
    let geo = ws
        .caps
        .iter()
        .find(|c| c.package == "geo-tools-cap")
        .unwrap();
    let provides = geo.meta.provides.as_ref().unwrap();
    assert_eq!(provides.dest, Path::new("geo_tools"));
    let files = geo.facade_files().unwrap();
    assert!(
        files
            .iter()
            .any(|(_, dest)| dest == Path::new("geo_tools/__init__.py")),
        "{files:?}"
    );
}
