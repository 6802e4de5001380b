//! pylon-runtime as a library: one interpreter loaded, many sandboxes run from it, each
//! with its own folders, environment, limits and captured output.

use crate::common;
use std::time::Duration;

use pylon_runtime::{Captured, Error, Grant, Interpreter, Layout, Options, Program, Sandbox};

fn interpreter() -> Interpreter {
    common::ready();
    let home = pylon_sys::Home::from_env().unwrap();
    // The workspace's composition, found as `cargo pylon` finds it.
    let composed =
        cargo_pylon::composing::interpreter::prepare_in(&home, &common::workspace(), false)
            .unwrap();
    // What a host outside cargo-pylon reads beside pylon.wasm is what compose wrote.
    let layout = Layout::read(composed.layout.component.parent().unwrap()).unwrap();
    assert_eq!(layout, composed.layout);
    Interpreter::load(layout, home.dir("precompiled").unwrap(), Options::default()).unwrap()
}

fn code(text: &str) -> Sandbox {
    Sandbox::new(Program::Code {
        code: text.into(),
        args: Vec::new(),
    })
}

#[test]
fn one_interpreter_runs_many_sandboxes_each_with_its_own_state() {
    let interpreter = interpreter();
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("in.txt"), "from the host").unwrap();

    for n in 0..4 {
        let mut sandbox = code("import os, sys, blake3\nprint(os.environ.get('N'), sorted(os.listdir('/data')) if os.path.isdir('/data') else None, blake3.blake3(b'x').hexdigest()[:8])");
        sandbox.env = vec![("N".into(), n.to_string())];
        if n % 2 == 0 {
            sandbox.grants = vec![Grant::read_only(data.path(), "/data")];
        }
        let out = Captured::new(1 << 16);
        sandbox.capture = Some(out.clone());
        assert_eq!(
            interpreter.run(&sandbox).unwrap(),
            0,
            "{}",
            out.stderr_text()
        );
        let listing = if n % 2 == 0 { "['in.txt']" } else { "None" };
        assert_eq!(out.stdout_text(), format!("{n} {listing} 3ae7d805\n"));
    }

    // A sandbox that outgrows its memory or its time ends alone; the next one runs.
    let mut hungry = code("b = bytearray(512 << 20)");
    hungry.max_memory = Some(64 << 20);
    let out = Captured::new(1 << 16);
    hungry.capture = Some(out.clone());
    assert_eq!(interpreter.run(&hungry).unwrap(), 1);
    assert!(
        out.stderr_text().contains("MemoryError"),
        "{}",
        out.stderr_text()
    );

    let mut slow = code("while True: pass");
    slow.timeout = Some(Duration::from_millis(300));
    let err = interpreter.run(&slow).unwrap_err();
    assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");

    let mut exit = code("import sys; print('still here'); sys.exit(7)");
    let out = Captured::new(1 << 16);
    exit.capture = Some(out.clone());
    assert_eq!(interpreter.run(&exit).unwrap(), 7);
    assert_eq!(out.stdout_text(), "still here\n");
}

#[test]
fn a_sandbox_that_sets_pythonhashseed_runs_cold_from_the_same_interpreter() {
    let interpreter = interpreter();
    let mut warm = code("import sys; print(sys.flags.hash_randomization)");
    let out = Captured::new(1 << 10);
    warm.capture = Some(out.clone());
    assert!(interpreter.starts_preinitialized(&warm));
    assert_eq!(interpreter.run(&warm).unwrap(), 0);
    assert_eq!(out.stdout_text(), "1\n");

    let mut seeded = code("import sys; print(sys.flags.hash_randomization)");
    seeded.env = vec![("PYTHONHASHSEED".into(), "0".into())];
    let out = Captured::new(1 << 10);
    seeded.capture = Some(out.clone());
    assert!(!interpreter.starts_preinitialized(&seeded));
    assert_eq!(interpreter.run(&seeded).unwrap(), 0);
    assert_eq!(out.stdout_text(), "0\n");
}
