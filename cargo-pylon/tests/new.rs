//! `cargo pylon new`: a cap that composes and passes its smoke test with no edits.

mod common;

use common::{text, Scratch};

#[test]
fn a_new_cap_composes_and_passes_its_smoke_at_once() {
    let ws = Scratch::with_blake3();
    let out = ws.pylon(&["new", "adler-demo", "--facade", "adler"]);
    let listing = text(&out.stdout);
    assert!(out.status.success(), "{listing}{}", text(&out.stderr));
    for file in ["Cargo.toml", "wit/adler-demo.wit", "src/lib.rs", "python/adler.py", "tests/adler_demo_smoke.py", "README.md"] {
        assert!(ws.path("caps/adler-demo").join(file).is_file(), "missing {file}");
        assert!(listing.contains(&format!("caps/adler-demo/{file}")), "{listing}");
    }
    assert!(listing.contains("next: cargo pylon compose && cargo pylon smoke"), "{listing}");

    let out = ws.pylon(&["smoke"]);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(report.contains("PASS caps/adler-demo/tests/adler_demo_smoke.py"), "{report}");
    assert!(report.contains("2 passed, 0 failed"), "{report}");
    let out = ws.pylon(&["audit"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
}

#[test]
fn new_refuses_bad_names_and_existing_caps() {
    let ws = Scratch::with_blake3();
    let out = ws.pylon(&["new", "blake3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("already exists") && text(&out.stderr).contains("never overwrites"), "{}", text(&out.stderr));
    for bad in ["Bad_Name", "import", "9lives"] {
        let out = ws.pylon(&["new", bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(text(&out.stderr).contains("is not a cap name") || text(&out.stderr).contains("keyword"), "{}", text(&out.stderr));
    }
    let out = ws.pylon(&["new", "fine", "--interface", "not-an-interface"]);
    assert!(text(&out.stderr).contains("is not `namespace:package/interface@version`"), "{}", text(&out.stderr));
    assert!(!ws.path("caps/fine").exists(), "a refused cap leaves nothing behind");
}

#[test]
fn new_adds_a_workspace_member_when_no_glob_covers_it() {
    let ws = Scratch::with_blake3();
    ws.edit("Cargo.toml", "members = [\"caps/*\"]", "members = [\"caps/blake3\"]");
    let out = ws.pylon(&["new", "tiny"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest = std::fs::read_to_string(ws.path("Cargo.toml")).unwrap();
    assert!(manifest.contains("\"caps/blake3\", \"caps/tiny\""), "{manifest}");
    let out = ws.pylon(&["compose"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 caps: blake3, tiny"), "{}", text(&out.stdout));
}
