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

#[test]
fn new_writes_the_example_cap() {
    let dir = tempfile::tempdir().unwrap();
    cargo_pylon::scaffolding::scratch::copy_workspace(workspace(), &["blake3"], dir.path())
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-pylon"))
        .args(["pylon", "new", "greeting"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
