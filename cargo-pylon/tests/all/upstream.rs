//! Upstream projects' own test suites, fetched from the package index and run with pytest
//! inside pylon: the caps' (blake3-py, ICRAR/crc32c, python-snappy) and that of a package
//! the workspace builds from its sdist (MarkupSafe). numpy's suite (some 47,000 tests, ten
//! minutes) and the named set of compiled packages run behind their commands
//! (docs/PACKAGES.md).

use crate::common;
use crate::common::{pylon, ready, text};

#[test]
fn upstream_suites_pass_inside_pylon_except_what_wasi_cannot_run() {
    ready();
    let caps = ["blake3-cap", "crc32c-cap", "snappy-cap", "markupsafe"];
    let out = pylon(&["upstream-test"])
        .args(caps)
        .output()
        .expect("run cargo-pylon");
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    for cap in caps {
        assert!(
            report.contains(&format!("PASS {cap} (pytest exit 0)")),
            "{report}"
        );
    }
    assert!(report.contains("4 passed, 0 failed"), "{report}");
    // Only subprocess, thread and sub-interpreter cases are skipped, each with its reason,
    // and MarkupSafe's own check of which escaper is active.
    let skips: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("SKIPPED"))
        .collect();
    for line in &skips {
        assert!(
            [
                "subprocess",
                "threads",
                "No sub-interpreter support",
                "speedups not active"
            ]
            .iter()
            .any(|why| line.contains(why)),
            "unexpected skip: {line}\n{report}"
        );
    }
    // Every upstream test of python-snappy runs.
    assert!(report.contains("22 passed in"), "{report}");
}

#[test]
fn a_test_the_manifest_does_not_know_is_refused_with_the_fix() {
    let ws = common::Scratch::with_caps(&["snappy"]);
    ws.edit(
        "caps/snappy/Cargo.toml",
        "tests = [\"test_snappy.py\", \"test_formats.py\"]",
        "tests = [\"test_nothing.py\"]",
    );
    let out = ws.pylon(&["upstream-test", "snappy-cap"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "upstream test \"test_nothing.py\" is not in python-snappy 0.7.3's source distribution"
        ),
        "{err}"
    );
}
