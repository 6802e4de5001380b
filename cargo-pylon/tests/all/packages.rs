//! Popular pure-Python packages from PyPI, unmodified, mounted on the guest's path: each
//! once failed in pylon (a trap at exit, an ImportError for a missing POSIX call).

use std::path::Path;

use crate::common::{probe, pylon, ready};

/// (project, version, sha256 of its universal wheel).
const WHEELS: &[(&str, &str, &str)] = &[
    (
        "html5lib",
        "1.1",
        "0d78f8fde1c230e99fe37986a60526d7049ed4bf8a9fadbad5f00e22e58e041d",
    ),
    (
        "six",
        "1.17.0",
        "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
    ),
    (
        "webencodings",
        "0.6.1",
        "7fab6269c8bf237c657876b52058ccb182e861518d1c695c1a9aaa8c1c105d5b",
    ),
    (
        "platformdirs",
        "4.3.8",
        "ff7059bb7eb1179e2685604f4aaf157cfd9535242bd23742eadc3c13542139b4",
    ),
    (
        "pytest",
        "8.4.1",
        "539c70ba6fcead8e78eebbf1115e8b589e7565830d7d006a8723f19ac8a0afb7",
    ),
    (
        "pluggy",
        "1.6.0",
        "e920276dd6813095e9377c0bc5566d94c932c33b27a3e3945d8389c374dd4746",
    ),
    (
        "iniconfig",
        "2.1.0",
        "9deba5723312380e77435581c6bf4935c94cbfab9b1ed33ef8d238ea168eb760",
    ),
    (
        "packaging",
        "25.0",
        "29572ef2b1f17581046b3a2227d5c611fb25ec70ca1ba8554b24b0e69331a484",
    ),
    (
        "pygments",
        "2.19.2",
        "86540386c03d588bb81d44bc3928634ff26449851e99741617ecb9037ee5ec0b",
    ),
    (
        "black",
        "25.1.0",
        "95e8176dae143ba9097f351d174fdaf0ccd29efb414b362ae3fd72bf0f710717",
    ),
    (
        "click",
        "8.2.1",
        "61a3265b914e850b85317d0b3109c7f8cd35a670f963866005d6ef1d5175a12b",
    ),
    (
        "mypy_extensions",
        "1.1.0",
        "1be4cccdb0f2482337c4743e60421de3a356cd97508abadd57d47403e94f5505",
    ),
    (
        "pathspec",
        "0.12.1",
        "a0d503e138a4c123b27490a4f7beda6a01c6f288df0e4a8b79c7eb0dc7b4cc08",
    ),
];

/// The wheels unpacked into `site`.
fn install(site: &Path) {
    let home = pylon_sys::Home::from_env().unwrap();
    let index = cargo_pylon::packages::index::index_url(None).unwrap();
    let cache = cargo_pylon::packages::index::cache_dir(&home).unwrap();
    for (project, version, sha256) in WHEELS {
        let wheel = cargo_pylon::packages::index::download(
            project,
            version,
            &|n| n.ends_with("-none-any.whl"),
            Some(sha256),
            &index,
            &cache,
            false,
        )
        .unwrap();
        zip::ZipArchive::new(std::fs::File::open(&wheel).unwrap())
            .unwrap()
            .extract(site)
            .unwrap();
    }
}

#[test]
fn html5lib_after_html_parser_and_platformdirs_run_and_exit_cleanly() {
    let site = tempfile::tempdir().unwrap();
    install(site.path());
    let grant = format!("{}:/site:ro", site.path().display());
    // html.parser first, then html5lib: the order that left a methodcaller in a cycle
    // for the collector at exit, which trapped (indirect call type mismatch).
    let code = "import html.parser, html5lib, platformdirs\ndoc = html5lib.parse('<p class=x>hi<b>there')\nprint(doc.find('.//{http://www.w3.org/1999/xhtml}b').text)\nprint(platformdirs.user_cache_dir('app'))";
    let run = probe(&["--dir", &grant, "--env", "PYTHONPATH=/site", "-c", code]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "there\n/home/.cache/app\n",
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("trap"), "{}", run.stderr());
}

/// `cargo pylon probe -m pytest` in a project folder, with no flags: pytest collects, runs
/// (fixtures such as tmp_path included), reports a failure with what it wrote to stdout at
/// the descriptor level (its default capture redirects descriptor 1 with `os.dup2`) and
/// exits with 1.
#[test]
fn pytest_runs_a_projects_tests() {
    let site = tempfile::tempdir().unwrap();
    install(site.path());
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("test_demo.py"),
        "import pytest\n\ndef test_add():\n    assert 2 + 3 == 5\n\n@pytest.mark.parametrize('x', [1, 2, 3])\ndef test_tmp_path(x, tmp_path):\n    (tmp_path / 'f').write_text(str(x))\n    assert (tmp_path / 'f').read_text() == str(x)\n\ndef test_fails_on_purpose():\n    import os\n    os.write(1, b'written to descriptor 1\\n')\n    print('printed')\n    assert 1 + 1 == 3\n",
    )
    .unwrap();
    ready();
    let grant = format!("{}:/site:ro", site.path().display());
    let out = pylon(&[
        "probe",
        "--dir",
        &grant,
        "--env",
        "PYTHONPATH=/site",
        "-m",
        "pytest",
    ])
    .current_dir(project.path())
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 failed, 4 passed"), "{stdout}");
    assert!(stdout.contains("assert (1 + 1) == 3"), "{stdout}");
    let captured = stdout
        .split("Captured stdout call")
        .nth(1)
        .unwrap_or_else(|| panic!("no captured output reported: {stdout}"));
    assert!(
        captured.contains("written to descriptor 1\nprinted\n"),
        "{stdout}"
    );
    // Nothing reached the real stdout while the test ran.
    let before_report = stdout.split("= FAILURES =").next().unwrap();
    assert!(!before_report.contains("written to"), "{stdout}");
}

/// black (its pure wheel) formats code and checks a project's file, as native black does.
/// Several files at once it formats on a process or thread pool, which WASI lacks.
#[test]
fn black_formats_code_and_checks_a_file() {
    let site = tempfile::tempdir().unwrap();
    install(site.path());
    let grant = format!("{}:/site:ro", site.path().display());
    let black = ["--dir", &grant, "--env", "PYTHONPATH=/site", "-m", "black"];
    let code = "x = {  'a':37,'b':42}\ndef f(a,):\n  return a\n";
    let run = probe(&[&black[..], &["--code", code]].concat());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "x = {\"a\": 37, \"b\": 42}\n\n\ndef f(\n    a,\n):\n    return a\n"
    );
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("demo.py"), "print( 'hi' )\n").unwrap();
    ready();
    let out = pylon(
        &[
            &["probe"],
            &black[..],
            &["--check", "--diff", "--no-color", "demo.py"],
        ]
        .concat(),
    )
    .current_dir(project.path())
    .output()
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("+print(\"hi\")"), "{stdout}");
    assert!(stderr.contains("1 file would be reformatted"), "{stderr}");
}
