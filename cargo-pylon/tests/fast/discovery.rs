//! Discovery on scratch workspaces (cargo metadata only, nothing built): every manifest
//! problem is found here, named by crate, key and fix.

use cargo_pylon::workspace::discover;

use crate::golden::workspace;

/// A workspace of one copy of the blake3 cap, its manifest edited by `edit` (the folder
/// lives as long as the workspace is used).
fn discover_in(
    dir: &tempfile::TempDir,
    edit: impl Fn(String) -> String,
) -> anyhow::Result<discover::Workspace> {
    discover_cap(dir, "blake3", edit)
}

/// A workspace of one copy of cap `name`, its manifest edited by `edit`.
fn discover_cap(
    dir: &tempfile::TempDir,
    name: &str,
    edit: impl Fn(String) -> String,
) -> anyhow::Result<discover::Workspace> {
    cargo_pylon::scaffolding::scratch::copy_workspace(workspace(), &[name], dir.path()).unwrap();
    let manifest = dir.path().join(format!("caps/{name}/Cargo.toml"));
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, edit(text)).unwrap();
    discover::workspace(Some(&dir.path().join("Cargo.toml")))
}

fn discover_with(edit: impl Fn(String) -> String) -> anyhow::Result<discover::Workspace> {
    discover_in(&tempfile::tempdir().unwrap(), edit)
}

fn error(edit: impl Fn(String) -> String) -> String {
    error_in("blake3", edit)
}

fn error_in(cap: &str, edit: impl Fn(String) -> String) -> String {
    match discover_cap(&tempfile::tempdir().unwrap(), cap, edit) {
        Ok(_) => panic!("discovery accepted the edited manifest"),
        Err(err) => format!("{err:#}"),
    }
}

/// A workspace of a copy of the package cap fixture, its manifest edited by `edit`.
fn discover_package_cap(edit: impl Fn(String) -> String) -> anyhow::Result<discover::Workspace> {
    let dir = tempfile::tempdir().unwrap();
    discover_cap(&dir, "blake3", |t| t).unwrap();
    let fixture = workspace().join("tests/fixtures/markupsafe-cap");
    let cap = dir.path().join("caps/markupsafe");
    cargo_pylon::support::fs::copy_dir(&fixture, &cap).unwrap();
    let manifest = cap.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, edit(text)).unwrap();
    discover::workspace(Some(&dir.path().join("Cargo.toml")))
}

fn package_cap_error(edit: impl Fn(String) -> String) -> String {
    match discover_package_cap(edit) {
        Ok(_) => panic!("discovery accepted the edited manifest"),
        Err(err) => format!("{err:#}"),
    }
}

#[test]
fn a_package_cap_is_discovered_without_an_extension() {
    let ws = discover_package_cap(|t| t).unwrap();
    let cap = ws
        .caps
        .iter()
        .find(|c| c.package == "markupsafe-cap")
        .unwrap();
    assert_eq!(cap.module(), None);
    let build = cap.meta.build.as_ref().unwrap();
    assert_eq!(build.requires, ["setuptools>=70"]);
}

#[test]
fn a_package_cap_pins_one_release_and_names_what_exists() {
    let err = package_cap_error(|t| t.replace("version = \"3.0.4\"", "version = \">=3\""));
    assert!(
        err.contains("key `upstream.version`") && err.contains("not one release"),
        "{err}"
    );
    let err = package_cap_error(|t| {
        t.replace(
            "[package.metadata.pylon.build]\n",
            "[package.metadata.pylon.build]\npatches = [\"patches/gone.patch\"]\n",
        )
    });
    assert!(
        err.contains("key `build.patches`") && err.contains("fix:"),
        "{err}"
    );
    let err = package_cap_error(|t| {
        t.replace(
            "[package.metadata.pylon.build]\n",
            "[package.metadata.pylon.build]\nlibraries = [\"libnothing\"]\n",
        )
    });
    assert!(
        err.contains("key `build.libraries[0]`") && err.contains("libyaml"),
        "{err}"
    );
    let err = package_cap_error(|t| {
        t + "\n[package.metadata.pylon.extension]\nmodule = \"_m\"\nsource = \"generated\"\n"
    });
    assert!(err.contains("remove `extension`"), "{err}");
    let err = package_cap_error(|t| t.replace("linkage = \"package\"\n", ""));
    assert!(err.contains("set linkage = \"package\""), "{err}");
}

#[test]
fn the_cap_as_shipped_is_discovered() {
    let ws = discover_with(|text| text).unwrap();
    assert_eq!(ws.caps.len(), 1);
    assert_eq!(ws.caps[0].package, "blake3-cap");
    assert_eq!(ws.caps[0].module(), Some("_blake3_cap"));
}

#[test]
fn an_unknown_key_names_the_crate_the_key_and_the_fix() {
    let err = error(|t| {
        t.replace(
            "module = \"_blake3_cap\"",
            "module = \"_blake3_cap\"\nmodul = \"x\"",
        )
    });
    assert!(err.contains("crate `blake3-cap`"), "{err}");
    assert!(err.contains("unknown field `modul`"), "{err}");
    assert!(err.contains("fix:"), "{err}");
}

#[test]
fn a_world_the_wit_does_not_have_is_found_before_any_build() {
    let err = error(|t| t.replace("world = \"blake3-ext\"", "world = \"blake3-extension\""));
    assert!(err.contains("key `extension.world`"), "{err}");
    assert!(err.contains("blake3-extension"), "{err}");
}

#[test]
fn a_required_version_the_world_does_not_import_is_named_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let ws = discover_in(&dir, |t| {
        t.replace("version = \"0.1.0\"", "version = \"0.3.0\"")
    })
    .unwrap();
    let err = format!(
        "{:#}",
        cargo_pylon::workspace::validate::requires_imported(&ws.caps[0]).unwrap_err()
    );
    assert!(err.contains("requires pylon:blake3/hasher@0.3.0"), "{err}");
    assert!(err.contains("imports pylon:blake3/hasher@0.1.0"), "{err}");
    assert!(
        err.contains("key `requires[0]`") && err.contains("fix:"),
        "{err}"
    );
    let err = error(|t| t.replace("version = \"0.1.0\"", "version = \"one\""));
    assert!(
        err.contains("requires[0].version") && err.contains("not a semver version"),
        "{err}"
    );
}

#[test]
fn a_private_module_name_and_missing_files_are_refused_with_the_fix() {
    let err = error(|t| t.replace("module = \"_blake3_cap\"", "module = \"blake3_cap\""));
    assert!(err.contains("not a private module name"), "{err}");
    let err = error(|t| t.replace("tests/blake3_smoke.py", "tests/nowhere.py"));
    assert!(err.contains("key `smoke`") && err.contains("fix:"), "{err}");
    let err = error(|t| t.replace("linkage = \"static\"", "linkage = \"dynamic\""));
    assert!(err.contains("unknown variant `dynamic`"), "{err}");
}
