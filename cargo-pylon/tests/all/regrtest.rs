//! CPython's own regression tests, from the pinned source, inside the composed
//! interpreter: the standard for compatibility is tests nobody here wrote.

use crate::common::{probe, pylon, ready, text};

#[test]
fn cpythons_file_system_tests_run_to_their_summary_and_pass() {
    // test_mmap: CPython's mmap module, which its WASI build leaves out, over pylon's
    // mappings (guest/pylon_mman.c).
    ready();
    let out = pylon(&[
        "regrtest",
        "test_os",
        "test_posix",
        "test_shutil",
        "test_pathlib",
        "test_tempfile",
        "test_glob",
        "test_mmap",
    ])
    .output()
    .unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(
        report.contains("All 7 tests OK.") && report.contains("Result: SUCCESS"),
        "{report}"
    );
}

#[test]
fn cpythons_compression_tests_pass_with_the_library_caps() {
    ready();
    let out = pylon(&[
        "regrtest",
        "test_zlib",
        "test_gzip",
        "test_bz2",
        "test_lzma",
        "test_zipfile",
    ])
    .output()
    .unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(
        report.contains("All 5 tests OK.") && report.contains("Result: SUCCESS"),
        "{report}"
    );
    // Nothing was skipped for want of the modules.
    assert!(!report.contains("No module named"), "{report}");
}

#[test]
fn cpythons_sqlite3_tests_pass_whole() {
    // Two connections of one interpreter to one file included: a reader goes on while a
    // writer holds its transaction (pylon's default VFS; SQLite's own WASI choice,
    // unix-dotfile, fails seven of these with "database is locked").
    ready();
    let out = pylon(&["regrtest", "test_sqlite3"]).output().unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(
        report.contains("Result: SUCCESS") && !report.contains("No module named"),
        "{report}"
    );
}

#[test]
fn hashlibs_key_derivation_runs_cpythons_own_tests() {
    ready();
    let out = pylon(&["regrtest", "test_hashlib", "test_hmac", "--", "-v"])
        .output()
        .unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    // The KDF tests ran against OpenSSL's _hashlib instead of being skipped.
    for ran in ["test_pbkdf2_hmac_c", "test_scrypt"] {
        let line = report
            .lines()
            .find(|l| l.starts_with(ran))
            .unwrap_or_else(|| panic!("{ran} missing:\n{report}"));
        assert!(line.ends_with("ok"), "{line}");
    }
    assert!(!report.contains("requires OpenSSL bindings"), "{report}");
}

/// CPython's test_ssl against the ssl cap, run to its summary: contexts, certificates,
/// default verify paths and memory BIOs pass, and every test that errors does so making a
/// `socket.socket()`, which WASI preview 1 cannot (ENOTSUP); none fails an assertion.
#[test]
fn ssl_runs_cpythons_own_tests() {
    ready();
    let out = pylon(&["regrtest", "test_ssl", "--", "-v"])
        .output()
        .unwrap();
    let report = text(&out.stdout);
    assert!(report.contains("\nRan "), "{report}{}", text(&out.stderr));
    assert!(!report.contains("\nFAIL: "), "{report}");
    let separator = format!("\n{}\n", "=".repeat(70));
    for block in report
        .split(&separator)
        .filter(|b| b.starts_with("ERROR: "))
    {
        assert!(
            block.contains("_socket.socket.__init__") && block.contains("[Errno 58] Not supported"),
            "an error other than WASI's missing sockets:\n{block}"
        );
    }
    for ran in [
        "test_load_verify_cadata",
        "test_load_default_certs",
        "test_get_default_verify_paths",
        "test_read_write (test.test_ssl.MemoryBIOTests",
        "test_unwrap (test.test_ssl.SSLObjectTests",
    ] {
        let line = report
            .lines()
            .find(|l| l.starts_with(ran))
            .unwrap_or_else(|| panic!("{ran} missing:\n{report}"));
        assert!(line.ends_with("ok"), "{line}");
    }
}

#[test]
fn local_time_follows_tz_names_and_rules() {
    let script = "import time; t = time.localtime(1751328000); print(time.strftime('%H:%M %Z %z', t), time.tzname, int(time.mktime(t)))";
    for (tz, expected) in [
        (
            "Europe/Paris",
            "02:00 CEST +0200 ('CET', 'CEST') 1751328000",
        ),
        (
            ":America/New_York",
            "20:00 EDT -0400 ('EST', 'EDT') 1751328000",
        ),
        (
            "AEST-10AEDT,M10.1.0,M4.1.0/3",
            "10:00 AEST +1000 ('AEST', 'AEDT') 1751328000",
        ),
        (
            "<+0330>-3:30",
            "03:30 +0330 +0330 ('+0330', '+0330') 1751328000",
        ),
        ("No/Such_Zone", "00:00 UTC +0000 ('UTC', 'UTC') 1751328000"),
    ] {
        let env = format!("TZ={tz}");
        let run = probe(&["--env", &env, "-c", script]);
        assert_eq!(run.stdout().trim(), expected, "TZ={tz}: {}", run.stderr());
    }
}

#[test]
fn an_sqlite_database_in_a_granted_folder_survives_between_runs() {
    let data = tempfile::tempdir().unwrap();
    let grant = format!("{}:/data", data.path().display());
    let write = "import sqlite3; c = sqlite3.connect('/data/app.db'); c.execute('create table kv (k, v)'); c.execute(\"insert into kv values ('a', 1)\"); c.commit()";
    assert_eq!(probe(&["--dir", &grant, "-c", write]).code(), 0);
    let read = probe(&["--dir", &grant, "-c", "import sqlite3; print(sqlite3.connect('/data/app.db').execute('select * from kv').fetchall())"]);
    assert_eq!(read.stdout().trim(), "[('a', 1)]", "{}", read.stderr());
    // The host's own sqlite reads what the guest wrote: the file is a real SQLite database.
    let header = std::fs::read(data.path().join("app.db")).unwrap();
    assert!(header.starts_with(b"SQLite format 3\0"));
}

#[test]
fn a_failing_regression_test_fails_the_command() {
    // test_fileio expects EBADF when seeking a closed descriptor; WASI answers ESPIPE.
    let out = pylon(&["regrtest", "test_fileio"]).output().unwrap();
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{report}{}", text(&out.stderr));
    assert!(report.contains("Result: FAILURE"), "{report}");
}

#[test]
fn paths_that_are_not_utf8_fail_with_eilseq_and_the_interpreter_lives() {
    let script = r#"
import errno, os
calls = [
    lambda: os.stat(b"/x\xff"), lambda: open("/x\udcff", "w"), lambda: os.chdir("/x\udcff"),
    lambda: os.listdir(b"/\xff"), lambda: os.mkdir("/a\udcff"), lambda: os.rename("/hello.py", "/b\udcff"),
    lambda: os.symlink("/x\udcff", "/y"), lambda: os.utime("/\udcff"), lambda: os.readlink("/\udcff"),
    lambda: os.unlink(b"/\xc3\x28"), lambda: os.rmdir("/\udcc3"), lambda: os.link("/hello.py", b"/\xed\xa0\x80"),
]
for call in calls:
    try:
        call()
    except OSError as e:
        assert e.errno == errno.EILSEQ, e
    else:
        raise AssertionError("a path that is not UTF-8 must fail")
os.mkdir("/caf\u00e9")  # well-formed UTF-8 still works
print("alive", len(calls))
"#;
    let run = probe(&["-c", script]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(run.stdout().trim(), "alive 12");
}
