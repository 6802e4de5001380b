//! The named set of compiled packages (docs/PACKAGES.md), each added with `cargo pylon add`
//! and judged by its own test suite inside pylon, with the same suite run natively on the
//! index's wheels beside it. Their builds take minutes, so the test runs behind its
//! command:
//!
//! ```sh
//! cargo test --release --test all -- --ignored named_set --nocapture
//! ```

use crate::common::{text, Scratch};

/// The set, as `cargo pylon add` takes it.
const NAMED_SET: &[&str] = &[
    "pyyaml",
    "msgpack",
    "regex",
    "lz4",
    "backports.zstd",
    "zstandard",
    "frozenlist",
    "multidict",
    "propcache",
    "yarl",
    "wrapt",
];

/// The standard library's caps a user's workspace composes (hypothesis, which the suites
/// use, imports zlib).
const STDLIB_CAPS: &[&str] = &["zlib", "bz2", "lzma", "hashlib", "ssl", "sqlite3"];

#[test]
#[ignore = "builds the named set of compiled packages and runs their suites: minutes; see docs/PACKAGES.md"]
fn named_set() {
    let ws = Scratch::with_caps(STDLIB_CAPS);
    let added = ws.pylon(&[&["add"], NAMED_SET].concat());
    assert!(added.status.success(), "{}", text(&added.stderr));

    let native = ws.pylon(&[&["upstream-test", "--native"], NAMED_SET].concat());
    println!(
        "== natively, on the index's wheels ==\n{}",
        text(&native.stdout)
    );

    let inside = ws.pylon(&[&["upstream-test"], NAMED_SET].concat());
    let report = text(&inside.stdout);
    println!("== inside pylon ==\n{report}");
    for name in NAMED_SET {
        let shown = cargo_pylon::packages::index::normalize(name);
        assert!(
            report.contains(&format!("PASS {shown} (pytest exit 0)")),
            "{shown} does not pass its suite inside pylon:\n{report}{}",
            text(&inside.stderr)
        );
    }
    assert!(inside.status.success(), "{}", text(&inside.stderr));

    let smoke = ws.pylon(&["smoke"]);
    assert!(smoke.status.success(), "{}", text(&smoke.stdout));
}
