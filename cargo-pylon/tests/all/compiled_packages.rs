//! Packages with compiled code, built from their sdists into the interpreter: numpy (a
//! recipe of pylon's) keeps every promise the interpreter makes; packages with no recipe,
//! one linking a C library and one compiled by Cython at build time come from `add` and
//! run in probe and serve; a package cap crate owns its release; a workspace without
//! compiled packages is lean.

use crate::common::server::{agent, call, Server};
use crate::common::{text, Scratch};

/// A scratch workspace (no caps) whose requirements are `requirements`, and `extra` keys.
fn with_requirements(requirements: &[&str], extra: &str) -> Scratch {
    let ws = Scratch::with_caps(&[]);
    let listed: Vec<String> = requirements.iter().map(|r| format!("{r:?}")).collect();
    ws.edit(
        "Cargo.toml",
        "output = \"out/pylon.wasm\"\n",
        &format!(
            "output = \"out/pylon.wasm\"\nrequirements = [{}]\n{extra}",
            listed.join(", ")
        ),
    );
    ws
}

/// The workspace's gate for fat packages, copied into a scratch workspace.
fn with_fat_gate(ws: &Scratch) {
    let gate = crate::common::workspace().join("tests/fat_smoke.py");
    std::fs::create_dir_all(ws.path("tests")).unwrap();
    std::fs::copy(gate, ws.path("tests/fat_smoke.py")).unwrap();
}

#[test]
fn numpy_is_preloaded_into_the_snapshot_and_misuse_raises_instead_of_trapping() {
    let ws = with_requirements(
        &["numpy==2.5.5", "markupsafe==3.0.4"],
        "preload = [\"numpy\"]\n",
    );
    let script = "import sys\n\
        print('numpy' in sys.modules)\n\
        import numpy as np\n\
        print(np.random.default_rng().integers(0, 2**62))\n\
        for make in (lambda: np.empty(200_000_000), lambda: np.ones((10_000, 10_000))):\n\
        \x20   try:\n\
        \x20       make()\n\
        \x20   except MemoryError:\n\
        \x20       print('MemoryError')\n\
        for bad in (lambda: np.dtype('no-such'), lambda: np.frombuffer(b'abc', dtype='<i4'), lambda: np.ones(6).reshape(4, 2)):\n\
        \x20   try:\n\
        \x20       bad()\n\
        \x20   except (TypeError, ValueError) as e:\n\
        \x20       print(type(e).__name__)\n";
    let mut draws = Vec::new();
    for _ in 0..2 {
        let out = ws.pylon(&["probe", "--max-memory", "256", "-c", script]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
        assert_eq!(lines[0], "True", "numpy is not in the snapshot: {lines:?}");
        assert_eq!(
            lines[2..],
            [
                "MemoryError",
                "MemoryError",
                "TypeError",
                "ValueError",
                "ValueError"
            ],
            "{lines:?}"
        );
        draws.push(lines[1].clone());
    }
    assert_ne!(draws[0], draws[1], "two runs drew the same numbers");

    with_fat_gate(&ws);
    let smoke = ws
        .command(&["smoke"])
        .env("PYLON_REQUIRE_FAT", "1")
        .output()
        .unwrap();
    assert!(smoke.status.success(), "{}", text(&smoke.stdout));
    assert!(
        text(&smoke.stdout).contains("PASS tests/fat_smoke.py"),
        "{}",
        text(&smoke.stdout)
    );
}

#[test]
fn a_workspace_without_the_cap_is_lean_and_the_fat_gate_fails_only_when_required() {
    let ws = Scratch::with_blake3();
    with_fat_gate(&ws);
    let probe = ws.pylon(&["probe", "-c", "import numpy"]);
    assert!(!probe.status.success());
    assert!(
        text(&probe.stderr).contains("No module named 'numpy'"),
        "{}",
        text(&probe.stderr)
    );
    let lenient = ws.pylon(&["smoke"]);
    assert!(lenient.status.success(), "{}", text(&lenient.stdout));
    assert!(
        text(&lenient.stdout).contains("SKIP"),
        "{}",
        text(&lenient.stdout)
    );
    let strict = ws
        .command(&["smoke"])
        .env("PYLON_REQUIRE_FAT", "1")
        .output()
        .unwrap();
    assert!(!strict.status.success(), "{}", text(&strict.stdout));
}

/// numpy's global RandomState, made while the snapshot was prepared, draws anew in each
/// run; a generator seeded in the run keeps its stream.
#[test]
fn numpy_generators_in_the_snapshot_draw_anew_in_each_run() {
    let ws = with_requirements(&["numpy==2.5.5"], "preload = [\"numpy.random\"]\n");
    let draw = "import sys, numpy as np\n\
        print('numpy.random' in sys.modules, np.random.randint(0, 2**31), np.random.default_rng(7).integers(0, 2**31))";
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let out = ws.pylon(&["probe", "-c", draw]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let line = text(&out.stdout);
        assert!(
            line.starts_with("True "),
            "numpy.random is not preloaded: {line}"
        );
        seen.insert(line);
    }
    assert_eq!(seen.len(), 3, "the global RandomState repeated: {seen:?}");
    let seeded: std::collections::BTreeSet<&str> =
        seen.iter().map(|l| l.rsplit(' ').next().unwrap()).collect();
    assert_eq!(seeded.len(), 1, "default_rng(7) changed: {seen:?}");
}

/// What `add` builds with no recipe (ujson: C and C++), over a C library pylon builds
/// (PyYAML over libyaml) and with Cython at build time (frozenlist, whose backend asks for
/// it): each a builtin module, in probe and behind serve.
#[test]
fn compiled_packages_from_add_run_in_probe_and_serve() {
    let ws = Scratch::with_caps(&[]);
    let added = ws.pylon(&["add", "ujson==6.1.0", "pyyaml==6.0.4", "frozenlist==1.8.0"]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    let lock = std::fs::read_to_string(ws.path("pylock.toml")).unwrap();
    for name in ["ujson", "pyyaml", "frozenlist"] {
        assert!(
            lock.contains(&format!("[[tool.pylon.built]]\nname = \"{name}\"")),
            "{lock}"
        );
    }
    let script = "import sys, ujson, yaml, frozenlist\n\
        print(sorted(m for m in sys.builtin_module_names if m in ('ujson', 'yaml._yaml', 'frozenlist._frozenlist')))\n\
        print(yaml.__with_libyaml__, yaml.load('a: [1, {b: c}]', Loader=yaml.CSafeLoader))\n\
        print(ujson.dumps({'x': [1.5, 'é']}, ensure_ascii=False), ujson.loads('[1e300, -0.0]'))\n\
        fl = frozenlist.FrozenList([1, 2]); fl.freeze()\n\
        print(type(fl).__module__, hash(fl) == hash(tuple(fl)) or hash(fl))\n";
    let out = ws.pylon(&["probe", "-c", script]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(
        lines[0],
        "['frozenlist._frozenlist', 'ujson', 'yaml._yaml']"
    );
    assert_eq!(lines[1], "True {'a': [1, {'b': 'c'}]}");
    assert_eq!(lines[2], r#"{"x":[1.5,"é"]} [1e+300, -0.0]"#);
    assert!(lines[3].starts_with("frozenlist._frozenlist "), "{lines:?}");

    let app = ws.path("app.py");
    std::fs::write(
        &app,
        "import ujson, yaml\n\
         def application(environ, start_response):\n\
         \x20   doc = yaml.load(environ['wsgi.input'].read(), Loader=yaml.CSafeLoader)\n\
         \x20   body = ujson.dumps({'loaded': doc, 'c': yaml.__with_libyaml__}).encode()\n\
         \x20   start_response('200 OK', [('Content-Type', 'application/json')])\n\
         \x20   return [body]\n",
    )
    .unwrap();
    let server =
        Server::start(ws.command(&["serve", app.to_str().unwrap(), "--addr", "127.0.0.1:0"]));
    let (status, body) = call(
        &agent(),
        "POST",
        &format!("{}/", server.base),
        Some(b"k: [1, 2]\n"),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        String::from_utf8_lossy(&body),
        r#"{"loaded":{"k":[1,2]},"c":true}"#
    );
}

/// A package cap crate is a recipe the workspace owns: its release is the one locked and
/// built, with its flags, and its smoke test runs.
#[test]
fn a_package_cap_crate_pins_its_release_and_its_smoke_test_runs() {
    let ws = Scratch::with_caps(&[]);
    std::fs::create_dir_all(ws.path("caps")).unwrap();
    ws.edit("Cargo.toml", "members = []", "members = [\"caps/*\"]");
    ws.add_fixture("markupsafe-cap");
    let smoke = ws.pylon(&["smoke"]);
    assert!(
        smoke.status.success(),
        "{}{}",
        text(&smoke.stdout),
        text(&smoke.stderr)
    );
    assert!(
        text(&smoke.stdout).contains("PASS caps/markupsafe-cap/tests/markupsafe_cap_smoke.py"),
        "{}",
        text(&smoke.stdout)
    );
    let lock = std::fs::read_to_string(ws.path("pylock.toml")).unwrap();
    assert!(lock.contains("\"MarkupSafe==3.0.4\""), "{lock}");
}
