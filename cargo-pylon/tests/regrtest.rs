//! CPython's own regression tests, from the pinned source, inside the composed
//! interpreter: the standard for compatibility is tests nobody here wrote.

mod common;

use common::{pylon, probe, ready, text};

#[test]
fn cpythons_file_system_tests_run_to_their_summary_and_pass() {
    ready();
    let out = pylon(&["regrtest", "test_os", "test_posix", "test_shutil", "test_pathlib", "test_tempfile", "test_glob"]).output().unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(report.contains("All 6 tests OK.") && report.contains("Result: SUCCESS"), "{report}");
}

#[test]
fn cpythons_compression_tests_pass_with_the_library_caps() {
    ready();
    let out = pylon(&["regrtest", "test_zlib", "test_gzip", "test_bz2", "test_lzma", "test_zipfile"]).output().unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(report.contains("All 5 tests OK.") && report.contains("Result: SUCCESS"), "{report}");
    // Nothing was skipped for want of the modules.
    assert!(!report.contains("No module named"), "{report}");
}

/// Two connections to one database file in one process: SQLite's only locking under WASI
/// is dotfile locking, which is exclusive, so these see "database is locked" (docs/CAPS.md).
const SQLITE_DOTFILE_LOCKING: &[&str] = &[
    "test_delete_starts_transaction", "test_dml_does_not_auto_commit_before", "test_insert_starts_transaction",
    "test_multiple_cursors_and_iternext", "test_replace_starts_transaction", "test_toggle_auto_commit",
    "test_update_starts_transaction",
];

#[test]
fn cpythons_sqlite3_tests_pass_but_for_two_connections_to_one_file() {
    ready();
    let mut args = vec!["regrtest", "test_sqlite3", "--"];
    for name in SQLITE_DOTFILE_LOCKING {
        args.extend(["-i", name]);
    }
    let out = pylon(&args).output().unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(report.contains("Result: SUCCESS") && !report.contains("No module named"), "{report}");
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
