//! The pre-initialized interpreter: runs start from compose's snapshot, yet everything
//! that belongs to one run is that run's own.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::common;
use crate::common::{pylon, ready, text, Scratch};

/// What a run reports of its own state, one `key=value` a line.
const REPORT: &str = r#"
import os, random, sys, time
print("argv=" + repr(sys.argv))
print("orig_argv=" + repr(sys.orig_argv[1:]))
print("path0=" + sys.path[0])
print("env=" + repr(os.environ.get("PYLON_T")))
print("envb=" + repr(os.environb.get(b"PYLON_T")))
print("getenv=" + repr(os.getenv("PYLON_T")))
print("root=" + repr(sorted(n for n in os.listdir("/") if n.endswith(".py"))))
print("granted=" + repr(os.path.isdir("/granted") and os.listdir("/granted")))
print("random=" + repr(random.random()))
print("urandom=" + os.urandom(8).hex())
print("time=" + repr(time.time()))
print("hash=" + repr(hash("pylon")))
print("randomized=" + repr(sys.flags.hash_randomization))
print("path=" + repr(sys.path))
print("modules=" + repr(sorted(sys.modules)))
print("zone=" + repr((time.tzname, time.timezone, time.altzone, time.daylight, time.strftime("%H:%M %Z", time.localtime(1751328000)))))
"#;

struct Report(String);

impl Report {
    fn get(&self, key: &str) -> &str {
        let prefix = format!("{key}=");
        self.0
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {key} in {}", self.0))
    }
}

/// Run the report as a script with `args`, `env` and `--dir` grants, from the workspace.
fn report(
    script_dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    extra: &[&str],
    cold: bool,
) -> Report {
    ready();
    let script = script_dir.join("report.py");
    std::fs::write(&script, REPORT).unwrap();
    let mut cmd = pylon(&["probe"]);
    for (k, v) in env {
        cmd.arg("--env").arg(format!("{k}={v}"));
    }
    cmd.args(extra).arg(&script).args(args);
    if cold {
        cmd.env("PYLON_COLD", "1");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    Report(text(&out.stdout))
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn each_preinitialized_run_has_its_own_argv_environment_folders_randomness_and_clock() {
    let tmp = tempfile::tempdir().unwrap();
    let granted = tempfile::tempdir().unwrap();
    std::fs::write(granted.path().join("only-in-run-one"), "").unwrap();
    let grant = format!("{}:/granted", granted.path().display());
    let before = now();
    let one = report(
        tmp.path(),
        &["a", "-x"],
        &[("PYLON_T", "one")],
        &["--dir", &grant],
        false,
    );
    let two = report(tmp.path(), &["b"], &[], &[], false);
    let after = now();

    // The script's folder is granted at its host path (outside the working folder here).
    let dir = tmp.path().canonicalize().unwrap();
    let dir = dir.display();
    assert_eq!(one.get("argv"), format!("['{dir}/report.py', 'a', '-x']"));
    assert_eq!(
        one.get("orig_argv"),
        format!("['{dir}/report.py', 'a', '-x']")
    );
    assert_eq!(two.get("argv"), format!("['{dir}/report.py', 'b']"));
    assert_eq!(one.get("path0"), dir.to_string());
    assert_eq!(
        (one.get("env"), one.get("envb"), one.get("getenv")),
        ("'one'", "b'one'", "'one'")
    );
    assert_eq!(
        (two.get("env"), two.get("envb"), two.get("getenv")),
        ("None", "None", "None")
    );
    // The script stays in its own folder, granted read-only; the root holds no copy.
    assert_eq!(one.get("root"), "[]");
    assert_eq!(one.get("granted"), "['only-in-run-one']");
    assert_eq!(two.get("granted"), "False");
    assert_ne!(
        one.get("random"),
        two.get("random"),
        "random's seed came from the snapshot"
    );
    assert_ne!(one.get("urandom"), two.get("urandom"));
    for run in [&one, &two] {
        let t: f64 = run.get("time").parse().unwrap();
        assert!(
            t >= before - 1.0 && t <= after + 1.0,
            "the clock is not the run's: {t} outside {before}..{after}"
        );
    }
    // Both started from the same snapshot: one hash secret, drawn at compose.
    assert_eq!(one.get("hash"), two.get("hash"));
    assert_eq!(one.get("randomized"), "1");
}

#[test]
fn a_run_the_snapshot_cannot_honour_starts_cold() {
    let tmp = tempfile::tempdir().unwrap();
    let warm = report(tmp.path(), &[], &[], &[], false);
    // PYTHONHASHSEED is read while CPython initializes: only a cold start honours it.
    let seeded = report(tmp.path(), &[], &[("PYTHONHASHSEED", "0")], &[], false);
    assert_eq!(
        seeded.get("randomized"),
        "0",
        "PYTHONHASHSEED=0 was not honoured"
    );
    assert_ne!(seeded.get("hash"), warm.get("hash"));
    // Cold starts draw a secret each.
    let cold = [
        report(tmp.path(), &[], &[], &[], true),
        report(tmp.path(), &[], &[], &[], true),
    ];
    assert_ne!(
        cold[0].get("hash"),
        cold[1].get("hash"),
        "PYLON_COLD=1 still started from the snapshot"
    );
    // Otherwise the two starts are the same interpreter: argv, sys.path and the modules
    // loaded when the program starts.
    for key in ["argv", "orig_argv", "path", "modules", "randomized"] {
        assert_eq!(
            cold[0].get(key),
            warm.get(key),
            "{key} differs between a cold and a pre-initialized start"
        );
    }
    // PYTHONPATH is honoured on both, at the same place in sys.path.
    let path = [("PYTHONPATH", "/granted:/elsewhere")];
    let (warm, cold) = (
        report(tmp.path(), &[], &path, &[], false),
        report(tmp.path(), &[], &path, &[], true),
    );
    assert_ne!(warm.get("hash"), cold.get("hash"));
    assert!(
        warm.get("path").starts_with(&format!(
            "['{}', '/granted', '/elsewhere', ",
            tmp.path().canonicalize().unwrap().display()
        )),
        "{}",
        warm.get("path")
    );
    assert_eq!(warm.get("path"), cold.get("path"));
    // So is TZ: `time`'s zone constants, computed at import in the snapshot's UTC, are the
    // zone's on both (north and south of the equator, and UTC when unset).
    for zone in ["Europe/Paris", "Australia/Sydney", "EST5EDT"] {
        let tz = [("TZ", zone)];
        let (warm, cold) = (
            report(tmp.path(), &[], &tz, &[], false),
            report(tmp.path(), &[], &tz, &[], true),
        );
        assert_ne!(
            warm.get("hash"),
            cold.get("hash"),
            "TZ={zone} did not start pre-initialized"
        );
        assert_eq!(warm.get("zone"), cold.get("zone"), "TZ={zone}");
        assert!(
            !warm.get("zone").contains("'UTC'"),
            "TZ={zone}: {}",
            warm.get("zone")
        );
    }
    assert!(report(tmp.path(), &[], &[], &[], false)
        .get("zone")
        .starts_with("(('UTC', 'UTC'), 0, 0, 0, "));
}

#[test]
fn preloaded_modules_are_in_the_snapshot_and_each_compose_draws_a_new_secret() {
    let ws = Scratch::with_blake3();
    ws.edit(
        "Cargo.toml",
        "output = \"out/pylon.wasm\"\n",
        "output = \"out/pylon.wasm\"\npreload = [\"json\"]\n",
    );
    let state = "import sys; print('json' in sys.modules, 'decimal' in sys.modules, hash('pylon'))";
    let first = ws.pylon(&["probe", "-c", state]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let first = text(&first.stdout);
    assert!(first.starts_with("True False "), "{first}");

    ws.edit(
        "Cargo.toml",
        "preload = [\"json\"]",
        "preload = [\"json\", \"decimal\"]",
    );
    let second = ws.pylon(&["probe", "-c", state]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let second = text(&second.stdout);
    assert!(second.starts_with("True True "), "{second}");
    assert_ne!(
        first.split(' ').nth(2),
        second.split(' ').nth(2),
        "two composes kept one hash secret"
    );

    ws.edit(
        "Cargo.toml",
        "preload = [\"json\", \"decimal\"]",
        "preload = [\"no_such_module\"]",
    );
    let broken = ws.pylon(&["compose"]);
    assert!(!broken.status.success());
    let stderr = text(&broken.stderr);
    assert!(
        stderr.contains("No module named 'no_such_module'") && stderr.contains("preload"),
        "{stderr}"
    );
}

#[test]
fn stdout_on_a_terminal_is_line_buffered_as_in_a_cold_start() {
    ready();
    // `script` (util-linux) gives the run a pseudo-terminal.
    let exe = env!("CARGO_BIN_EXE_cargo-pylon");
    let code = "import sys; print('out', flush=False); print('err', file=sys.stderr); print(sys.stdout.line_buffering)";
    let on_terminal = |cold: bool| {
        let command = format!("{exe} pylon probe -c \"{code}\"");
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &command, "/dev/null"])
            .current_dir(common::workspace())
            .stdin(std::process::Stdio::null());
        if cold {
            cmd.env("PYLON_COLD", "1");
        }
        let out = cmd.output().expect("run script (util-linux)");
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).replace('\r', "")
    };
    let warm = on_terminal(false);
    assert_eq!(
        warm, "out\nerr\nTrue\n",
        "stdout was not line-buffered on a terminal"
    );
    assert_eq!(warm, on_terminal(true));
    // Not on a terminal: block-buffered, as CPython does.
    let piped = pylon(&[
        "probe",
        "-c",
        "import sys; print(sys.stdout.line_buffering)",
    ])
    .output()
    .unwrap();
    assert_eq!(text(&piped.stdout), "False\n");
}

/// A generator made while the snapshot was taken (here, by a preloaded facade at import)
/// is reseeded for every run: no two runs draw the same numbers.
#[test]
fn every_generator_in_the_snapshot_draws_anew_in_each_run() {
    let ws = Scratch::with_blake3();
    ws.edit(
        "Cargo.toml",
        "output = \"out/pylon.wasm\"\n",
        "output = \"out/pylon.wasm\"\npreload = [\"blake3\"]\n",
    );
    let facade = ws.path("caps/blake3/python/blake3/__init__.py");
    let mut text_of = std::fs::read_to_string(&facade).unwrap();
    text_of.push_str(
        "\nimport random as _random\n_rng = _random.Random()\n_seeded = _random.Random(42)\n",
    );
    std::fs::write(&facade, text_of).unwrap();
    let draw = "import sys, blake3, random; print(blake3._rng.random(), random.random(), blake3._seeded.random(), 'blake3' in sys.modules)";
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let out = ws.pylon(&["probe", "-c", draw]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let line = text(&out.stdout);
        assert!(line.trim_end().ends_with("True"), "preloaded: {line}");
        // Seeded explicitly, it keeps its sequence, as in a cold start.
        assert!(
            line.contains(" 0.6394267984578837 "),
            "Random(42) changed: {line}"
        );
        seen.insert(line);
    }
    assert_eq!(
        seen.len(),
        10,
        "runs repeated a generator's numbers: {seen:?}"
    );
}
