//! Package caps (numpy built from its sdist into the interpreter): everything the
//! interpreter promises holds with numpy inside, and a workspace without the cap is lean.

use crate::common::{text, Scratch};

/// The workspace's gate for fat packages, copied into a scratch workspace.
fn with_fat_gate(ws: &Scratch) {
    let gate = crate::common::workspace().join("tests/fat_smoke.py");
    std::fs::create_dir_all(ws.path("tests")).unwrap();
    std::fs::copy(gate, ws.path("tests/fat_smoke.py")).unwrap();
}

#[test]
fn numpy_is_preloaded_into_the_snapshot_and_misuse_raises_instead_of_trapping() {
    let ws = Scratch::with_caps(&["numpy", "markupsafe"]);
    ws.edit(
        "Cargo.toml",
        "output = \"out/pylon.wasm\"\n",
        "output = \"out/pylon.wasm\"\npreload = [\"numpy\"]\n",
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
    let ws = Scratch::with_caps(&["numpy", "markupsafe"]);
    ws.edit(
        "Cargo.toml",
        "output = \"out/pylon.wasm\"\n",
        "output = \"out/pylon.wasm\"\npreload = [\"numpy.random\"]\n",
    );
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
