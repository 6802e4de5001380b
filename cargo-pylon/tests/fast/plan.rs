//! The dynlink plan as the launcher reads it: files pinned by sha256, relative paths,
//! one provider per import, and errors that name the plan, the key and the fix.

use std::path::Path;

use pylon_runtime::plan::{Import, Part, Plan, Provider, SCHEMA};
use sha2::{Digest, Sha256};

fn pinned(dir: &Path, name: &str, bytes: &[u8]) -> Part {
    std::fs::write(dir.join(name), bytes).unwrap();
    Part {
        path: name.into(),
        sha256: hex(&Sha256::digest(bytes)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn plan(dir: &Path) -> Plan {
    let provider = pinned(dir, "crc.wasm", b"provider");
    Plan {
        schema: SCHEMA,
        interpreter: pinned(dir, "pylon.wasm", b"interpreter"),
        preinit: None,
        providers: vec![Provider {
            cap: "crc32c-cap".into(),
            path: provider.path,
            sha256: provider.sha256,
            satisfies: vec![Import::parse("pylon:crc32c/checksum@0.1.0")],
        }],
    }
}

fn check(dir: &Path, plan: &Plan) -> anyhow::Result<pylon_runtime::plan::Checked> {
    let path = dir.join("pylon.plan.json");
    plan.write(&path).unwrap();
    Ok(Plan::check(&path, &dir.join("digests"))?)
}

#[test]
fn a_plan_resolves_its_files_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let checked = check(dir.path(), &plan(dir.path())).unwrap();
    assert_eq!(checked.interpreter, dir.path().join("pylon.wasm"));
    assert_eq!(checked.providers[0].path, dir.path().join("crc.wasm"));
    assert!(checked.providers[0]
        .satisfies
        .contains("pylon:crc32c/checksum@0.1.0"));
}

#[test]
fn a_file_that_changed_since_compose_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path());
    std::fs::write(dir.path().join("crc.wasm"), b"tampered").unwrap();
    let err = format!("{:#}", check(dir.path(), &plan).unwrap_err());
    assert!(err.contains("crc32c-cap"), "{err}");
    assert!(
        err.contains("cargo pylon compose"),
        "the fix is named: {err}"
    );
}

#[test]
fn an_import_satisfied_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan(dir.path());
    let again = plan.providers[0].clone();
    plan.providers.push(Provider {
        cap: "other-cap".into(),
        ..again
    });
    let err = format!("{:#}", check(dir.path(), &plan).unwrap_err());
    assert!(err.contains("satisfied twice"), "{err}");
    assert!(err.contains("other-cap"), "{err}");
}

#[test]
fn another_schema_or_an_unknown_key_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let mut other = plan(dir.path());
    other.schema = SCHEMA + 1;
    let err = format!("{:#}", check(dir.path(), &other).unwrap_err());
    assert!(err.contains("schema"), "{err}");

    let path = dir.path().join("pylon.plan.json");
    plan(dir.path()).write(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("\"schema\"", "\"extra\": 1, \"schema\"", 1),
    )
    .unwrap();
    let err = format!(
        "{:#}",
        Plan::check(&path, &dir.path().join("d")).unwrap_err()
    );
    assert!(err.contains("extra"), "the key is named: {err}");
    assert!(err.contains("cargo pylon compose"), "{err}");
}

#[test]
fn a_missing_plan_says_how_to_write_one() {
    let dir = tempfile::tempdir().unwrap();
    let err = Plan::check(&dir.path().join("none.json"), dir.path()).unwrap_err();
    let err = format!("{:#}", anyhow::Error::from(err));
    assert!(err.contains("no dynlink plan"), "{err}");
}
