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
