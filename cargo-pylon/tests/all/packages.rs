//! Popular pure-Python packages from PyPI, unmodified, mounted on the guest's path: each
//! once failed in pylon (a trap at exit, an ImportError for a missing POSIX call).

use std::path::Path;

use crate::common::probe;

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
];

/// The wheels unpacked into `site`.
fn install(site: &Path) {
    let home = pylon_sys::Home::from_env().unwrap();
    let index = cargo_pylon::support::pypi::index_url(None).unwrap();
    let cache = cargo_pylon::support::pypi::cache_dir(&home).unwrap();
    for (project, version, sha256) in WHEELS {
        let wheel = cargo_pylon::support::pypi::download(
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
