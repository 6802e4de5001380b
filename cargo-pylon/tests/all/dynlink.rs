//! Runtime dynlink: caps kept as provider components, linked by the launcher from a plan.

use std::path::Path;

use crate::common;
use crate::common::{text, Scratch};
use serde_json::Value;
use wasm_encoder::ComponentSection;

fn dynlink_workspace() -> Scratch {
    Scratch::with_caps(&["crc32c", "snappy"])
}

fn compose(ws: &Scratch) {
    let out = ws.pylon(&["compose"]);
    assert!(
        out.status.success(),
        "compose failed:\n{}",
        text(&out.stderr)
    );
}

fn foreign_imports(wasm: &Path) -> Vec<String> {
    let bytes = std::fs::read(wasm).unwrap();
    cargo_pylon::composing::inspect::interfaces(&bytes)
        .unwrap()
        .imports
        .into_iter()
        .filter(|i| !i.starts_with("wasi:"))
        .collect()
}

fn read_plan(ws: &Scratch) -> Value {
    serde_json::from_slice(&std::fs::read(ws.path("out/pylon.plan.json")).unwrap()).unwrap()
}

fn sha256(path: &Path) -> String {
    pylon_runtime::plan::digest(path, &tempfile::tempdir().unwrap().path().join("memo")).unwrap()
}

/// A provider whose bytes differ but whose code is the same: a custom section appended.
fn rebuilt_copy(from: &Path, to: &Path) {
    let mut bytes = std::fs::read(from).unwrap();
    wasm_encoder::CustomSection {
        name: "pylon-test".into(),
        data: b"another build".as_slice().into(),
    }
    .append_to_component(&mut bytes);
    std::fs::write(to, bytes).unwrap();
}

const CHECK: &str = "import crc32c, snappy; print(hex(crc32c.crc32c(b'123456789')), snappy.decompress(snappy.compress(b'ab' * 100)) == b'ab' * 100)";

#[test]
fn the_same_smoke_files_pass_linked_at_launch_and_composed_statically() {
    let ws = dynlink_workspace();
    compose(&ws);
    // Linked at launch: the providers sit beside pylon.wasm, which still imports them.
    let plan = read_plan(&ws);
    assert_eq!(plan["schema"], 1);
    let providers = plan["providers"].as_array().unwrap();
    let satisfied: Vec<&str> = providers
        .iter()
        .flat_map(|p| p["satisfies"].as_array().unwrap())
        .map(|s| s["interface"].as_str().unwrap())
        .collect();
    assert_eq!(satisfied, ["pylon:crc32c/checksum", "pylon:snappy/codec"]);
    for provider in providers {
        let file = ws.path("out").join(provider["path"].as_str().unwrap());
        assert_eq!(sha256(&file), provider["sha256"].as_str().unwrap());
    }
    // The providers' interfaces, and the launcher's isolation interface (crash reports).
    assert_eq!(
        foreign_imports(&ws.path("out/pylon.wasm")),
        [
            "pylon:crc32c/checksum@0.1.0",
            "pylon:runtime/isolation@0.1.0",
            "pylon:snappy/codec@0.1.0"
        ]
    );
    let out = ws
        .command(&["smoke"])
        .env("PYLON_TRACE_LINK", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dynlink smoke failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("4 passed, 0 failed"),
        "{}",
        text(&out.stdout)
    );
    // Every function of these caps goes through the typed (one-copy) path.
    let trace = text(&out.stderr);
    assert!(
        trace.contains("pylon:snappy/codec@0.1.0.frame-decompress forwarded Typed"),
        "{trace}"
    );
    assert!(!trace.contains("Dynamic"), "{trace}");

    // Composed statically: one self-contained pylon.wasm, and no plan or providers left.
    for cap in ["crc32c", "snappy"] {
        ws.edit(
            &format!("caps/{cap}/Cargo.toml"),
            "linkage = \"dynlink\"",
            "linkage = \"static\"",
        );
    }
    compose(&ws);
    assert!(!ws.path("out/pylon.plan.json").exists() && !ws.path("out/providers").exists());
    assert!(foreign_imports(&ws.path("out/pylon.wasm")).is_empty());
    let out = ws.pylon(&["smoke"]);
    assert!(
        out.status.success(),
        "static smoke failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("4 passed, 0 failed"),
        "{}",
        text(&out.stdout)
    );
    let out = ws.pylon(&["probe", "-c", CHECK]);
    assert_eq!(
        text(&out.stdout).trim(),
        "0xe3069283 True",
        "{}",
        text(&out.stderr)
    );
}

/// The plan and its providers copied to their own folder (as when deployed), with the
/// interpreter named by its absolute path; compose never touches these copies.
fn deployed(ws: &Scratch) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    cargo_pylon::support::fs::copy_dir(&ws.path("out/providers"), &dir.path().join("providers"))
        .unwrap();
    let mut plan = read_plan(ws);
    plan["interpreter"]["path"] = ws.path("out/pylon.wasm").display().to_string().into();
    plan["preinit"]["path"] = ws
        .path("out/pylon-preinit.wasm")
        .display()
        .to_string()
        .into();
    (dir, plan)
}

fn write_deployed(dir: &tempfile::TempDir, name: &str, plan: &Value) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(plan).unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn the_launcher_refuses_a_plan_that_does_not_hold_before_python_starts() {
    let ws = dynlink_workspace();
    compose(&ws);
    let (dir, plan) = deployed(&ws);
    // Python never runs: the code would print and exit 3.
    let refused = |plan: &Value, name: &str, expect: &[&str]| {
        let path = write_deployed(&dir, name, plan);
        let out = ws.pylon(&[
            "probe",
            "--plan",
            &path,
            "-c",
            "print('ran'); raise SystemExit(3)",
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(
            text(&out.stdout).is_empty(),
            "Python ran: {}",
            text(&out.stdout)
        );
        for needle in expect {
            assert!(err.contains(needle), "{name}: no {needle:?} in\n{err}");
        }
    };
    // The copy as it is runs.
    let ok = write_deployed(&dir, "plan.json", &plan);
    let out = ws.pylon(&["probe", "--plan", &ok, "-c", CHECK]);
    assert_eq!(
        text(&out.stdout).trim(),
        "0xe3069283 True",
        "{}",
        text(&out.stderr)
    );

    let mut missing = plan.clone();
    missing["providers"][0]["path"] = "providers/gone.wasm".into();
    refused(
        &missing,
        "missing.json",
        &[
            "provider crc32c-cap's file",
            "gone.wasm is missing",
            "providers[0].path",
        ],
    );

    let mut unsatisfied = plan.clone();
    unsatisfied["providers"].as_array_mut().unwrap().remove(1);
    refused(
        &unsatisfied,
        "unsatisfied.json",
        &["imports pylon:snappy/codec@0.1.0, which no provider in the plan satisfies"],
    );

    let mut wrong = plan.clone();
    wrong["providers"][0]["path"] = plan["providers"][1]["path"].clone();
    wrong["providers"][0]["sha256"] = plan["providers"][1]["sha256"].clone();
    wrong["providers"].as_array_mut().unwrap().remove(1);
    refused(
        &wrong,
        "wrong.json",
        &[
            "satisfies pylon:crc32c/checksum@0.1.0, but it does not export it",
            "exports pylon:snappy/codec@0.1.0",
        ],
    );

    let mut schema = plan.clone();
    schema["schema"] = 99.into();
    refused(&schema, "schema.json", &["plan schema 99"]);

    // A provider swapped for a file with another hash is refused.
    let crc = dir
        .path()
        .join(plan["providers"][0]["path"].as_str().unwrap());
    rebuilt_copy(&crc, &crc);
    refused(
        &plan,
        "swapped.json",
        &[
            "has sha256",
            "but the plan pins",
            "replaced after the plan was written",
            "providers[0].sha256",
        ],
    );
}

#[test]
fn compose_puts_back_a_provider_replaced_in_its_output_folder() {
    let ws = dynlink_workspace();
    compose(&ws);
    let crc = ws.path("out/providers/crc32c-cap.wasm");
    let original = std::fs::read(&crc).unwrap();
    std::fs::copy(ws.path("out/providers/snappy-cap.wasm"), &crc).unwrap();
    let out = ws.pylon(&["probe", "-c", CHECK]);
    assert_eq!(
        text(&out.stdout).trim(),
        "0xe3069283 True",
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&crc).unwrap(), original);
}

#[test]
fn a_new_provider_is_swapped_in_by_its_plan_without_recomposing() {
    let ws = dynlink_workspace();
    compose(&ws);
    let wasm = ws.path("out/pylon.wasm");
    let before = std::fs::metadata(&wasm).unwrap().modified().unwrap();
    let (dir, mut plan) = deployed(&ws);
    let alt = dir.path().join("providers/crc32c-alt.wasm");
    rebuilt_copy(
        &dir.path()
            .join(plan["providers"][0]["path"].as_str().unwrap()),
        &alt,
    );
    plan["providers"][0]["path"] = "providers/crc32c-alt.wasm".into();
    plan["providers"][0]["sha256"] = sha256(&alt).into();
    let path = write_deployed(&dir, "swapped.json", &plan);
    // Through the launcher only: no compose runs, so pylon.wasm is untouched.
    let out = ws.pylon(&["probe", "--plan", &path, "-c", CHECK]);
    assert_eq!(
        text(&out.stdout).trim(),
        "0xe3069283 True",
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::metadata(&wasm).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn a_cap_with_a_resource_cannot_be_linked_at_launch() {
    let ws = Scratch::with_blake3();
    ws.edit(
        "caps/blake3/Cargo.toml",
        "linkage = \"static\"",
        "linkage = \"dynlink\"",
    );
    let out = ws.pylon(&["compose"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("exports the resource pylon:blake3/hasher@0.1.0/incremental")
            && err.contains("must be stateless"),
        "{err}"
    );
    assert!(err.contains("linkage = \"static\""), "{err}");
}

const CROSS: &str = r#"
import crc32c, snappy
data = open("/x/data.bin", "rb").read()
host = open("/x/host.txt").read().split()
assert crc32c.crc32c(data) == int(host[0]), ("crc32c", crc32c.crc32c(data), host[0])
assert snappy.decompress(open("/x/host.raw", "rb").read()) == data
assert snappy.StreamDecompressor().decompress(open("/x/host.sz", "rb").read()) == data
open("/x/pylon.raw", "wb").write(snappy.compress(data))
open("/x/pylon.sz", "wb").write(snappy.StreamCompressor().compress(data))
print("ok")
"#;

#[test]
fn python_inside_pylon_and_the_host_crates_read_each_others_output() {
    // 1 MiB that compresses partly: text, a counter, and noise from a fixed LCG.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let data: Vec<u8> = (0..1usize << 20)
        .map(|i| match (i >> 14) % 3 {
            0 => b"pylon dynlink "[i % 14],
            1 => (i / 7) as u8,
            _ => {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 56) as u8
            }
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let x = |name: &str| dir.path().join(name);
    std::fs::write(x("data.bin"), &data).unwrap();
    std::fs::write(x("host.txt"), crc32c::crc32c(&data).to_string()).unwrap();
    std::fs::write(
        x("host.raw"),
        snap::raw::Encoder::new().compress_vec(&data).unwrap(),
    )
    .unwrap();
    let mut framed = snap::write::FrameEncoder::new(Vec::new());
    std::io::Write::write_all(&mut framed, &data).unwrap();
    std::fs::write(x("host.sz"), framed.into_inner().unwrap()).unwrap();

    let grant = format!("{}:/x", dir.path().display());
    let run = common::probe(&["--dir", &grant, "-c", CROSS]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout(), "ok\n");
    let raw = std::fs::read(x("pylon.raw")).unwrap();
    assert_eq!(
        snap::raw::Decoder::new().decompress_vec(&raw).unwrap(),
        data
    );
    let mut back = Vec::new();
    std::io::Read::read_to_end(
        &mut snap::read::FrameDecoder::new(std::fs::File::open(x("pylon.sz")).unwrap()),
        &mut back,
    )
    .unwrap();
    assert_eq!(back, data);
}

#[test]
fn crc32c_and_snappy_smokes_pass_in_the_workspace() {
    for (file, expect) in [
        ("caps/crc32c/tests/crc32c_smoke.py", "crc32c ok\n"),
        (
            "caps/snappy/tests/snappy_smoke.py",
            "snappy ok\nsnappy cli ok\n",
        ),
    ] {
        let run = common::probe(&[file]);
        assert_eq!(run.code(), 0, "{file}: {}", run.stderr());
        assert_eq!(run.stdout(), expect);
    }
}

#[test]
fn a_buffer_above_wasmtimes_default_hostcall_limit_reaches_a_provider() {
    // wasmtime lets one guest-to-host call allocate 128 MiB by default; the launcher raises
    // that to the guest's memory limit, so dynlink takes any buffer static linking takes.
    let size = 130usize << 20;
    let expected = crc32c::crc32c(&vec![7u8; size]);
    let run = common::probe(&[
        "-c",
        &format!("import crc32c; print(crc32c.crc32c(b'\\x07' * {size}))"),
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout().trim(), expected.to_string());
}
