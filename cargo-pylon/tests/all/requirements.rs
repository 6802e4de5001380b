//! `cargo pylon add`, `remove` and `lock`: real packages from the index, resolved by uv
//! for the guest's environment, locked in pylock.toml and staged by compose.

use crate::common::{text, Scratch};

/// Popular pure-Python packages (web frameworks, templating, parsing, dates, CLIs, rich
/// text, maths, data formats, test runners), each as a user would add it; pins only where
/// the newest release needs compiled code (typer 0.17 pulls in pydantic-core; cbor2 6 and
/// hypothesis's newest are built with Rust).
const POPULAR: &[&str] = &[
    "flask",
    "bottle",
    "falcon",
    "starlette",
    "django",
    "webob",
    "mako",
    "pyparsing",
    "lark",
    "parso",
    "sqlparse",
    "beautifulsoup4",
    "html5lib",
    "markdown",
    "mistune",
    "docutils",
    "tomlkit",
    "pyyaml",
    "toml",
    "xmltodict",
    "python-dateutil",
    "pytz",
    "arrow",
    "humanize",
    "babel",
    "click",
    "typer==0.16.0",
    "colorama",
    "tabulate",
    "rich",
    "sympy",
    "networkx",
    "attrs",
    "cattrs",
    "marshmallow",
    "simplejson",
    "msgpack",
    "cbor2<6",
    "pyjwt",
    "packaging",
    "more-itertools",
    "toolz",
    "boltons",
    "cachetools",
    "six",
    "idna",
    "charset-normalizer",
    "chardet",
    "pygments",
    "emoji",
    "faker",
    "semver",
    "python-slugify",
    "unidecode",
    "tqdm",
    "structlog",
    "pytest",
    "hypothesis==6.135.0",
    "sortedcontainers",
    "wcwidth",
    "requests",
];

/// Where pylon's answer differs from native CPython's, and why (each is a known gap).
const KNOWN_GAPS: &[(&str, &str)] = &[
    // sympy.external.gmpy does `from ctypes import c_long, sizeof`: no ctypes in pylon.
    (
        "sympy",
        "FAIL ImportError: ctypes is not available in pylon",
    ),
];

/// A proxy and an index on a closed port: any attempt to reach the network fails.
const NO_NETWORK: &[(&str, &str)] = &[
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("ALL_PROXY", "http://127.0.0.1:9"),
    ("PYLON_PYPI_INDEX", "http://127.0.0.1:9/simple"),
];

#[test]
fn a_package_whose_compiled_code_pylon_cannot_build_is_refused_and_the_workspace_stays_as_it_was() {
    let ws = Scratch::with_caps(&[]);
    let manifest = std::fs::read_to_string(ws.path("Cargo.toml")).unwrap();
    let out = ws.pylon(&["add", "orjson==3.11.5"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("orjson 3.11.5 cannot run in pylon")
            && err.contains("Rust built with maturin"),
        "{err}"
    );
    assert!(err.contains("pulled in by: orjson"), "{err}");
    assert!(err.contains("fix: leave it out"), "{err}");
    assert_eq!(
        std::fs::read_to_string(ws.path("Cargo.toml")).unwrap(),
        manifest
    );
    assert!(!ws.path("pylock.toml").exists());
}

#[test]
fn the_lock_is_the_same_resolved_twice_follows_removals_and_composes_with_the_network_cut_off() {
    let ws = Scratch::with_caps(&[]);
    let added = ws.pylon(&["add", "attrs==25.3.0", "rich==14.0.0"]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    let said = text(&added.stdout);
    assert!(
        said.contains("+ pygments ") && said.contains("+ attrs 25.3.0"),
        "{said}"
    );
    let manifest = std::fs::read_to_string(ws.path("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("requirements = [\"attrs==25.3.0\", \"rich==14.0.0\"]"),
        "{manifest}"
    );

    let first = std::fs::read(ws.path("pylock.toml")).unwrap();
    let again = ws.pylon(&["lock", "--upgrade"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(
        std::fs::read(ws.path("pylock.toml")).unwrap(),
        first,
        "a second resolution changed the lock"
    );
    let lock = String::from_utf8(first).unwrap();
    assert!(lock.starts_with("lock-version = \"1.0\""), "{lock}");
    assert!(
        lock.contains("name = \"markdown-it-py\"") && lock.contains("sha256 = "),
        "{lock}"
    );

    // Offline from here: the wheels are in the pylon home, and the site folder is staged
    // again from there.
    let site = ws.path("out/site-packages");
    if site.exists() {
        std::fs::remove_dir_all(&site).unwrap();
    }
    let code = "import attrs, rich.text; print(attrs.__version__, rich.text.Text('hi').plain)";
    let mut probe = ws.command(&["probe", "-c", code]);
    probe.envs(NO_NETWORK.iter().copied());
    let out = probe.output().unwrap();
    assert_eq!(text(&out.stdout), "25.3.0 hi\n", "{}", text(&out.stderr));

    let removed = ws.pylon(&["remove", "rich"]);
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    let said = text(&removed.stdout);
    assert!(
        said.contains("- rich 14.0.0") && said.contains("- pygments "),
        "{said}"
    );
    assert!(said.contains("1 package locked"), "{said}");
    let gone = ws.pylon(&["probe", "-c", "import rich"]);
    assert!(
        text(&gone.stderr).contains("No module named 'rich'"),
        "{}",
        text(&gone.stderr)
    );

    let unknown = ws.pylon(&["remove", "flask"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("flask is not among the workspace's requirements"),
        "{}",
        text(&unknown.stderr)
    );
}

/// Each popular package, added with `cargo pylon add` and used for real, answers in
/// pylon as in native CPython over the same site folder, but for the known gaps.
#[test]
fn popular_packages_added_from_the_index_behave_as_under_native_cpython() {
    // hashlib and ssl: pyjwt's import reaches urllib.request's HTTPS handler.
    let ws = Scratch::with_caps(&["zlib", "bz2", "sqlite3", "hashlib", "ssl"]);
    let added = ws.pylon(&[&["add"], POPULAR].concat());
    assert!(added.status.success(), "{}", text(&added.stderr));
    let sweep = crate::common::workspace().join("tests/fixtures/packages/sweep.py");
    let pylon = ws.pylon(&["probe", sweep.to_str().unwrap()]);
    assert!(pylon.status.success(), "{}", text(&pylon.stderr));

    let home = pylon_sys::Home::from_env().unwrap();
    let (_, cpython) = cargo_pylon::composing::compose::base(&home, None).unwrap();
    let native = std::process::Command::new(cpython.native_python())
        .arg(&sweep)
        .env("PYTHONPATH", ws.path("out/site-packages"))
        .current_dir(ws.path("."))
        .output()
        .unwrap();
    assert!(native.status.success(), "{}", text(&native.stderr));

    let (ours, theirs) = (text(&pylon.stdout), text(&native.stdout));
    assert_eq!(ours.lines().count(), theirs.lines().count(), "{ours}");
    assert!(ours.lines().count() >= 50, "{ours}");
    let mut gaps = Vec::new();
    for (mine, native) in ours.lines().zip(theirs.lines()) {
        if mine == native {
            continue;
        }
        let name = mine.split(':').next().unwrap();
        match KNOWN_GAPS.iter().find(|(n, _)| *n == name) {
            Some((_, why)) if mine.contains(why) => gaps.push(name),
            _ => panic!("pylon:  {mine}\nnative: {native}"),
        }
    }
    assert!(!theirs.contains("FAIL"), "natively: {theirs}");
    assert_eq!(
        gaps,
        KNOWN_GAPS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "a known gap closed: update KNOWN_GAPS"
    );
}
