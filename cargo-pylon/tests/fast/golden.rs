//! Comparing text against a checked-in golden file.

use std::path::Path;

/// Assert that `actual` is the content of `path`; with `PYLON_BLESS=1`, write it instead.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var_os("PYLON_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|err| {
        panic!(
            "cannot read golden file {}: {err}\n  fix: PYLON_BLESS=1 writes it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from what was generated, first at line {}:\n  golden:    {:?}\n  generated: {:?}\n  fix: if the change is meant, PYLON_BLESS=1 rewrites the golden file",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end of file>"),
            actual.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

/// The workspace root.
pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}
