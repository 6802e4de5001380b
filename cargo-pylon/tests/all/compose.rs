//! `cargo pylon compose` on scratch workspaces: fresh, no-op, incremental, and errors.

use std::time::Instant;

use crate::common::{text, Scratch};

#[test]
fn fresh_then_noop_then_one_cap_changed() {
    let ws = Scratch::with_blake3();
    let out = ws.pylon(&["compose"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 cap: blake3 composed in"),
        "{}",
        text(&out.stdout)
    );
    let wasm = ws.path("out/pylon.wasm");
    assert!(wasm.is_file());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path("out/pylon.json")).unwrap()).unwrap();
    assert_eq!(manifest["cpython"]["version"], "3.13.5");
    assert_eq!(manifest["caps"][0]["package"], "blake3-cap");
    assert_eq!(
        manifest["caps"][0]["component_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(
        manifest["inputs"]["caps/blake3/wit/blake3.wit"].is_string(),
        "{manifest}"
    );
    assert!(
        manifest["outputs"]["out/pylon.wasm"].is_string(),
        "{manifest}"
    );

    // The composed interpreter runs the cap.
    let run = ws.pylon(&[
        "probe",
        "-c",
        "import blake3; print(blake3.blake3(b'').hexdigest()[:8])",
    ]);
    assert_eq!(text(&run.stdout), "af1349b9\n", "{}", text(&run.stderr));

    // Nothing changed: no work, well under two seconds.
    let started = Instant::now();
    let out = ws.pylon(&["compose"]);
    let took = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(took.as_secs_f64() < 2.0, "no-op compose took {took:?}");
    assert!(
        !text(&out.stderr).contains("done"),
        "a no-op compose did work: {}",
        text(&out.stderr)
    );

    // The component changed: cap rebuilt and re-plugged; nothing recompiled or relinked.
    ws.edit(
        "caps/blake3/src/lib.rs",
        "struct Cap;",
        "/// The exported component.\nstruct Cap;",
    );
    let out = ws.pylon(&["compose"]);
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("build cap components") && log.contains("compose pylon.wasm"),
        "{log}"
    );
    assert!(
        !log.contains("link interpreter") && !log.contains("CPython"),
        "{log}"
    );

    // The WIT changed (a doc comment): the extension is regenerated, recompiled and
    // relinked; CPython is untouched.
    ws.edit(
        "caps/blake3/wit/blake3.wit",
        "/// Feed more input.",
        "/// Feed more input (edited).",
    );
    let out = ws.pylon(&["compose"]);
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("compile _blake3_cap.c") && log.contains("link interpreter"),
        "{log}"
    );
    assert!(!log.contains("building CPython"), "{log}");
    let run = ws.pylon(&["smoke"]);
    assert!(
        run.status.success(),
        "{}{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    assert!(
        text(&run.stdout).contains("2 passed, 0 failed"),
        "{}",
        text(&run.stdout)
    );
}

#[test]
fn bad_manifest_names_crate_key_and_fix() {
    let ws = Scratch::with_blake3();
    ws.edit(
        "caps/blake3/Cargo.toml",
        "module = \"_blake3_cap\"",
        "module = \"_blake3_cap\"\nmodul = \"typo\"",
    );
    let out = ws.pylon(&["compose"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("crate `blake3-cap`"), "{err}");
    assert!(
        err.contains("key `extension`") || err.contains("key `extension.modul`"),
        "{err}"
    );
    assert!(err.contains("unknown field `modul`"), "{err}");
    assert!(err.contains("fix:"), "{err}");

    let ws = Scratch::with_blake3();
    ws.edit(
        "caps/blake3/Cargo.toml",
        "version = \"0.1.0\"",
        "version = \"one\"",
    );
    let err = text(&ws.pylon(&["compose"]).stderr);
    assert!(
        err.contains("requires[0].version") && err.contains("not a semver version"),
        "{err}"
    );
}

#[test]
fn wit_version_mismatch_is_reported_before_anything_runs() {
    // The extension is built against 0.2.0 of the interface; the component exports 0.1.0.
    let ws = Scratch::with_extension_wit_version("0.2.0");
    ws.edit(
        "caps/blake3/Cargo.toml",
        "version = \"0.1.0\"",
        "version = \"0.2.0\"",
    );
    let out = ws.pylon(&["compose"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("imports pylon:blake3/hasher@0.2.0"), "{err}");
    assert!(err.contains("exports pylon:blake3/hasher@0.1.0"), "{err}");
    assert!(!ws.path("out/pylon.wasm").exists());

    // The manifest and the extension's WIT disagree.
    let ws = Scratch::with_blake3();
    ws.edit(
        "caps/blake3/Cargo.toml",
        "version = \"0.1.0\"",
        "version = \"0.3.0\"",
    );
    let err = text(&ws.pylon(&["compose"]).stderr);
    assert!(
        err.contains("requires pylon:blake3/hasher@0.3.0")
            && err.contains("imports pylon:blake3/hasher@0.1.0"),
        "{err}"
    );
}

#[test]
fn a_generated_extension_covers_its_kinds_inside_pylon() {
    let ws = Scratch::with_blake3();
    ws.add_fixture("kinds");
    let manifest = std::fs::read_to_string(ws.path("Cargo.toml")).unwrap();
    std::fs::write(
        ws.path("Cargo.toml"),
        format!("{manifest}\n[workspace.metadata.pylon.errors]\ngreen = \"KeyError\"\n"),
    )
    .unwrap();
    let out = ws.pylon(&["smoke"]);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(
        report.contains("PASS caps/kinds/tests/kinds_smoke.py"),
        "{report}"
    );
    assert!(report.contains("3 passed, 0 failed"), "{report}");
}

/// Custom section names of every core module nested in a component.
fn custom_sections(wasm: &std::path::Path) -> Vec<String> {
    let bytes = std::fs::read(wasm).unwrap();
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::CustomSection(section) = payload.unwrap() {
            names.push(section.name().to_string());
        }
    }
    names
}

#[test]
fn pylon_wasm_leaves_dwarf_out_unless_asked_and_keeps_function_names() {
    let ws = Scratch::with_blake3();
    let out = ws.pylon(&["compose"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let wasm = ws.path("out/pylon.wasm");
    let sections = custom_sections(&wasm);
    assert!(
        !sections.iter().any(|s| s.starts_with(".debug_")),
        "{sections:?}"
    );
    assert!(
        sections.iter().any(|s| s == "name"),
        "traps must still name functions: {sections:?}"
    );
    let lean = std::fs::metadata(&wasm).unwrap().len();
    assert!(lean < 10 << 20, "pylon.wasm is {lean} bytes");

    let out = ws.pylon(&["compose", "--debug"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(custom_sections(&wasm).iter().any(|s| s == ".debug_info"));
    assert!(std::fs::metadata(&wasm).unwrap().len() > lean * 2);
    // Both run the same Python.
    let out = ws.pylon(&[
        "probe",
        "-c",
        "import blake3; print(blake3.blake3(b'abc').hexdigest()[:8])",
    ]);
    assert_eq!(
        text(&out.stdout).trim(),
        "6437b3ac",
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_library_cap_compiles_cpythons_own_module_into_the_interpreter() {
    let ws = Scratch::with_caps(&["zlib"]);
    let out = ws.pylon(&["compose"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path("out/pylon.json")).unwrap()).unwrap();
    let cap = &manifest["caps"][0];
    assert_eq!(
        (
            cap["package"].as_str(),
            cap["linkage"].as_str(),
            cap["module"].as_str()
        ),
        (Some("zlib-cap"), Some("interpreter"), Some("zlib"))
    );
    assert!(cap["component_sha256"].is_null(), "{cap}");
    // pylon.json hashes the C sources compiled in.
    let inputs = manifest["inputs"].as_object().unwrap();
    assert!(
        inputs.keys().any(|k| k.ends_with("src/zlib/inflate.c")),
        "{inputs:?}"
    );
    // No component, no import: the interpreter runs anywhere a WASI command runs.
    let out = ws.pylon(&["probe", "-c", "import zlib, gzip; print(gzip.decompress(gzip.compress(b'ok')).decode(), zlib.crc32(b'123456789'))"]);
    assert_eq!(
        text(&out.stdout).trim(),
        "ok 3421780262",
        "{}",
        text(&out.stderr)
    );

    // A library the cap does not depend on is refused with the fix.
    ws.edit(
        "caps/zlib/Cargo.toml",
        "crate = \"libz-sys\"",
        "crate = \"zlib-ng\"",
    );
    let out = ws.pylon(&["compose"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("crate \"zlib-ng\" is not a dependency of the cap")
            && err.contains("fix: add it under [dependencies]"),
        "{err}"
    );
}
