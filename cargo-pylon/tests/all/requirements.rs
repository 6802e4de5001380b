//! `cargo pylon add`, `remove` and `lock`: real packages from the index, resolved by uv
//! for the guest's environment, locked in pylock.toml and staged by compose.

use crate::common::{text, Scratch};

/// A proxy and an index on a closed port: any attempt to reach the network fails.
const NO_NETWORK: &[(&str, &str)] = &[
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("ALL_PROXY", "http://127.0.0.1:9"),
    ("PYLON_PYPI_INDEX", "http://127.0.0.1:9/simple"),
];

#[test]
fn a_package_with_only_compiled_code_is_refused_and_the_workspace_stays_as_it_was() {
    let ws = Scratch::with_caps(&[]);
    let manifest = std::fs::read_to_string(ws.path("Cargo.toml")).unwrap();
    let out = ws.pylon(&["add", "numpy"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("numpy 2.") && err.contains("cannot run in pylon"),
        "{err}"
    );
    assert!(err.contains("it has no pure-Python wheel"), "{err}");
    assert!(err.contains("pulled in by: numpy"), "{err}");
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
