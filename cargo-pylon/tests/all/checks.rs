//! `check-licenses`, `check-drift` and `audit`: each fails with the right message on a
//! fixture that breaks it, and the real workspace passes all three.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use crate::common;
use crate::common::{pylon, ready, text, Scratch};

#[test]
fn the_real_workspace_passes_every_check() {
    ready();
    for args in [
        &["check-licenses"][..],
        &["check-drift", "--offline"],
        &["audit"],
    ] {
        let out = pylon(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    let out = pylon(&["check-licenses", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["violations"], 0);
    let components = report["components"].as_array().unwrap();
    assert!(components.iter().any(|c| c["parts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "CPython" && p["license"] == "PSF-2.0")));
    let cap = components
        .iter()
        .find(|c| c["component"].as_str().unwrap().starts_with("blake3-cap"))
        .unwrap();
    let names: Vec<&str> = cap["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"blake3") && names.contains(&"wit-bindgen"),
        "{names:?}"
    );
    // Proc-macro crates run on the host and ship nothing.
    assert!(
        !names.contains(&"wit-bindgen-rust-macro") && !names.contains(&"syn"),
        "{names:?}"
    );
}

#[test]
fn a_disallowed_licence_names_the_package_and_the_fix() {
    let ws = Scratch::with_blake3();
    ws.edit(
        "caps/blake3/Cargo.toml",
        "license.workspace = true",
        "license = \"GPL-3.0-only\"",
    );
    let out = ws.pylon(&["check-licenses"]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}{}", text(&out.stderr));
    assert!(
        report.contains("FAIL  blake3-cap 0.1.0") && report.contains("\"GPL-3.0-only\""),
        "{report}"
    );
    assert!(
        report.contains("add an acceptable licence to [workspace.metadata.pylon.licenses] allow"),
        "{report}"
    );
}

#[test]
fn a_missing_licence_text_is_a_violation() {
    let ws = Scratch::with_blake3();
    std::fs::remove_file(ws.path("LICENSES/ISC.txt")).unwrap();
    let out = ws.pylon(&["check-licenses"]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("missing text: LICENSES/ISC.txt"),
        "{report}"
    );
    assert!(report.contains("1 violation"), "{report}");
}

#[test]
fn a_wit_version_mismatch_is_drift() {
    let ws = Scratch::with_extension_wit_version("0.2.0");
    let out = ws.pylon(&["check-drift", "--offline"]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}{}", text(&out.stderr));
    assert!(
        report.lines().any(|l| l.starts_with("drift")
            && l.contains("extension imports 0.2.0")
            && l.contains("component exports 0.1.0")),
        "{report}"
    );
}

#[test]
fn a_library_version_other_than_its_sources_state_is_drift() {
    let ws = Scratch::with_caps(&["zlib"]);
    ws.edit(
        "caps/zlib/Cargo.toml",
        "version = \"1.3.2\"",
        "version = \"1.3.1\"",
    );
    let out = ws.pylon(&["check-drift", "--offline"]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}{}", text(&out.stderr));
    assert!(
        report.lines().any(|l| l.starts_with("drift")
            && l.contains("zlib-cap: zlib")
            && l.contains("1.3.1 (bundled entry)")
            && l.contains("1.3.2 (src/zlib/zlib.h)")),
        "{report}"
    );
}

#[test]
fn a_facade_missing_an_upstream_name_or_module_is_drift() {
    let ws = Scratch::with_caps(&["snappy"]);
    // The upstream API comes from python-snappy 0.7.3's own wheel (fetched once, cached).
    std::fs::remove_file(ws.path("caps/snappy/python/snappy/__main__.py")).unwrap();
    ws.edit(
        "caps/snappy/python/snappy/snappy_formats.py",
        "def uvarint(fin):",
        "def _uvarint(fin):",
    );
    let out = ws.pylon(&["check-drift"]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}{}", text(&out.stderr));
    let row = report
        .lines()
        .find(|l| l.starts_with("drift") && l.contains("snappy-cap: python-snappy public API"))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        row.contains("module snappy.__main__") && row.contains("snappy.snappy_formats.uvarint"),
        "{row}"
    );
}

/// A PEP 691 index on loopback that knows one project, answering a bounded number of requests.
fn serve_index(versions: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // A fresh path per run: the answer cache is keyed by the index address, and a port
    // comes back across runs, so a fixed address would answer from an earlier run's cache.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let url = format!("http://{}/run-{run}/simple", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut request = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            while reader.read_line(&mut request).is_ok_and(|n| n > 2) {}
            let body = format!("{{\"meta\": {{\"api-version\": \"1.1\"}}, \"name\": \"blake3\", \"files\": [], \"versions\": {versions}}}");
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.pypi.simple.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn a_stale_pypi_version_is_reported_behind() {
    let ws = Scratch::with_blake3();
    let index = serve_index(r#"["1.0.10", "1.0.11", "1.0.12", "2.0.0rc1"]"#);
    ready();
    let out = common::pylon(&["check-drift"])
        .current_dir(ws.dir.path())
        .env(
            "CARGO_TARGET_DIR",
            common::workspace().join("target/pylon-test-target"),
        )
        .env("PYLON_PYPI_INDEX", &index)
        .output()
        .unwrap();
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}{}", text(&out.stderr));
    assert!(
        report.lines().any(|l| l.starts_with("behind")
            && l.contains("1.0.11")
            && l.contains("1.0.12 (latest, from index)")),
        "{report}"
    );
}

#[test]
fn audit_catches_dynlink_leaks_and_removed_modules() {
    let ws = Scratch::with_blake3();
    ws.edit(
        "caps/blake3/python/blake3/blake3.py",
        "import _blake3_cap as _cap",
        "import _blake3_cap as _cap\nimport _compression\n_blake3_dynlink = _cap",
    );
    let out = ws.pylon(&["audit"]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}{}", text(&out.stderr));
    assert!(
        report.contains(
            "FAIL blake3-cap       target-cpython  uses `_compression`, gone in CPython 3.14"
        ),
        "{report}"
    );
    assert!(
        report.contains("FAIL blake3-cap       hygiene         mentions `_blake3_dynlink`"),
        "{report}"
    );
    // The facade still imports on 3.13, so that check passes.
    assert!(
        report.contains("ok   blake3-cap       imports         `blake3` imports inside pylon"),
        "{report}"
    );
}
