//! Every example of `examples/` does what the README's "Getting started" says it does
//! (the WSGI application's test is with the other serve tests, in `serve.rs`).

use std::process::Command;

use crate::common::{self, text, Scratch};

#[test]
fn hello_runs_in_the_workspace_interpreter() {
    let run = common::probe(&["examples/hello.py"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stdout().contains("Hello from CPython"),
        "{}",
        run.stdout()
    );
    run.assert_staging_removed();
}

/// The embedding host, built by `cargo test` as pylon-runtime's example.
#[test]
fn a_rust_host_runs_one_sandbox_per_argument_from_the_composed_layout() {
    common::ready();
    let exe = std::env::current_exe().unwrap();
    let examples = exe.parent().unwrap().parent().unwrap().join("examples");
    let embed = examples.join("embed");
    assert!(embed.is_file(), "cargo test builds {}", embed.display());
    let out = Command::new(&embed)
        .arg(common::workspace().join("target/pylon"))
        .args([
            "print(6 * 7)",
            "import blake3, sys; print(blake3.blake3(b'').hexdigest()[:8]); sys.exit(3)",
            "import os; print(sorted(os.listdir('/')) == ['home', 'usr'] or os.listdir('/'))",
        ])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("[0] exit 0: 42\n"), "{stdout}");
    assert!(stdout.contains("[1] exit 3: af1349b9\n"), "{stdout}");
    assert!(stdout.contains("[2] exit 0: True\n"), "{stdout}");
}

#[test]
fn the_greeting_cap_composes_and_passes_its_smoke_and_hostile_tests() {
    let ws = Scratch::with_blake3();
    cargo_pylon::support::fs::copy_dir(
        &common::workspace().join("examples/greeting"),
        &ws.path("caps/greeting"),
    )
    .unwrap();
    let out = ws.pylon(&["smoke"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("greeting_smoke.py"), "{stdout}");
    assert!(stdout.contains("greeting_hostile.py"), "{stdout}");
}
