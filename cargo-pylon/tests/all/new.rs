//! `cargo pylon new`: a cap that composes and passes its smoke test with no edits.

use crate::common;
use crate::common::{text, Scratch};

#[test]
fn a_new_cap_composes_and_passes_its_smoke_at_once() {
    let ws = Scratch::with_blake3();
    let out = ws.pylon(&["new", "adler-demo", "--facade", "adler"]);
    let listing = text(&out.stdout);
    assert!(out.status.success(), "{listing}{}", text(&out.stderr));
    for file in [
        "Cargo.toml",
        "wit/adler-demo.wit",
        "src/lib.rs",
        "python/adler.py",
        "tests/adler_demo_smoke.py",
        "tests/adler_demo_hostile.py",
        "README.md",
    ] {
        assert!(
            ws.path("caps/adler-demo").join(file).is_file(),
            "missing {file}"
        );
        assert!(
            listing.contains(&format!("caps/adler-demo/{file}")),
            "{listing}"
        );
    }
    assert!(
        listing.contains("next: cargo pylon compose && cargo pylon smoke"),
        "{listing}"
    );

    let out = ws.pylon(&["smoke"]);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(
        report.contains("PASS caps/adler-demo/tests/adler_demo_smoke.py"),
        "{report}"
    );
    assert!(
        report.contains("PASS caps/adler-demo/tests/adler_demo_hostile.py"),
        "{report}"
    );
    assert!(report.contains("4 passed, 0 failed"), "{report}");
    let out = ws.pylon(&["audit"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
}

#[test]
fn a_new_dynlink_cap_is_linked_at_launch_and_passes_its_smoke() {
    let ws = Scratch::with_blake3();
    let out = ws.pylon(&["new", "greeter", "--linkage", "dynlink"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(ws.path("caps/greeter/Cargo.toml"))
        .unwrap()
        .contains("linkage = \"dynlink\""));
    let out = ws
        .command(&["smoke"])
        .env("PYLON_TRACE_LINK", "1")
        .output()
        .unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(report.contains("4 passed, 0 failed"), "{report}");
    assert!(ws.path("out/pylon.plan.json").is_file());
    // A string signature goes through dynamic values; a byte list through the typed path.
    let trace = text(&out.stderr);
    assert!(
        trace.contains("pylon:greeter/api@0.1.0.greet forwarded Dynamic"),
        "{trace}"
    );
    assert!(
        trace.contains("pylon:greeter/api@0.1.0.adler32 forwarded Typed"),
        "{trace}"
    );
}

#[test]
fn new_refuses_bad_names_and_existing_caps() {
    let ws = Scratch::with_blake3();
    let out = ws.pylon(&["new", "blake3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already exists")
            && text(&out.stderr).contains("never overwrites"),
        "{}",
        text(&out.stderr)
    );
    for bad in ["Bad_Name", "import", "9lives"] {
        let out = ws.pylon(&["new", bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(
            text(&out.stderr).contains("is not a cap name")
                || text(&out.stderr).contains("keyword"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = ws.pylon(&["new", "fine", "--interface", "not-an-interface"]);
    assert!(
        text(&out.stderr).contains("is not `namespace:package/interface@version`"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !ws.path("caps/fine").exists(),
        "a refused cap leaves nothing behind"
    );
}

#[test]
fn new_adds_a_workspace_member_when_no_glob_covers_it() {
    let ws = Scratch::with_blake3();
    ws.edit(
        "Cargo.toml",
        "members = [\"caps/*\"]",
        "members = [\"caps/blake3\"]",
    );
    let out = ws.pylon(&["new", "tiny"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest = std::fs::read_to_string(ws.path("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("\"caps/blake3\", \"caps/tiny\""),
        "{manifest}"
    );
    let out = ws.pylon(&["compose"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2 caps: blake3, tiny composed in"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn new_from_wit_builds_a_cap_around_an_existing_interface() {
    let ws = Scratch::with_blake3();
    let wit = common::workspace().join("tests/fixtures/kinds/wit/kinds.wit");
    let out = ws.pylon(&["new", "echoes", "--from-wit", wit.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest = std::fs::read_to_string(ws.path("caps/echoes/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("interface = \"pylon:kinds/echo\"")
            && manifest.contains("version = \"0.1.0\""),
        "{manifest}"
    );
    assert!(std::fs::read_to_string(ws.path("caps/echoes/src/lib.rs"))
        .unwrap()
        .contains("stubs"));
    let out = ws.pylon(&["smoke"]);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(
        report.contains("PASS caps/echoes/tests/echoes_smoke.py"),
        "{report}"
    );
    // A call reaches the stub component, which has no implementation yet: a trap, reported.
    let run = ws.pylon(&["probe", "-c", "import echoes; echoes.echo_u8(1)"]);
    assert_eq!(run.status.code(), Some(125), "{}", text(&run.stderr));
}

#[test]
fn a_trap_in_a_runtime_linked_provider_is_a_python_exception_and_the_next_call_gets_a_fresh_instance(
) {
    let ws = Scratch::with_blake3();
    assert!(ws
        .pylon(&["new", "crashy", "--linkage", "dynlink"])
        .status
        .success());
    // Make both forwarding paths trap on demand: greet (dynamic values), adler32 (typed).
    ws.edit(
        "caps/crashy/src/lib.rs",
        "let one = format!",
        "assert!(name != \"crash\", \"asked to crash\");\n        let one = format!",
    );
    ws.edit(
        "caps/crashy/src/lib.rs",
        "const MOD: u32 = 65521;",
        "const MOD: u32 = 65521;\n        assert!(data != b\"crash\", \"asked to crash\");",
    );
    let script = r#"
import crashy, pylon
for call in (lambda: crashy.greet("crash", 1), lambda: crashy.adler32(b"crash")):
    try:
        call()
    except pylon.CapCrashed as e:
        assert isinstance(e, RuntimeError) and "crashy-cap crashed in pylon:crashy/api@0.1.0." in str(e), e
    else:
        raise AssertionError("the trap must surface as pylon.CapCrashed")
    # The provider was instantiated afresh: it works, and so does the interpreter.
    assert crashy.greet("again", 2) == "Hello, again!Hello, again!"
    assert crashy.adler32(b"Wikipedia") == 0x11E60398
print("survived")
"#;
    let out = ws.pylon(&["probe", "-c", script]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout).trim(), "survived");

    // Composed statically, the cap shares the interpreter's instance: a trap ends the run
    // (exit 125), as docs/CAPS.md says.
    ws.edit(
        "caps/crashy/Cargo.toml",
        "linkage = \"dynlink\"",
        "linkage = \"static\"",
    );
    let out = ws.pylon(&["probe", "-c", "import crashy; crashy.greet('crash', 1)"]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
}
