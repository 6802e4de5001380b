//! `cargo pylon new`: a complete cap that composes and passes its smoke test as written.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::templates::{
    cargo_toml, facade, hostile, names_smoke, readme, reexport_facade, rust, smoke, stub_rust, wit,
    worlds,
};
use crate::workspace::manifest::Linkage;

pub struct Spec {
    /// The cap's name (`blake3`, `my-hash`).
    pub name: String,
    /// The user-facing module (default: the name with `-` as `_`).
    pub facade: Option<String>,
    pub linkage: Linkage,
    /// `ns:pkg/iface@version` (default `pylon:<name>/api@0.1.0`).
    pub interface: Option<String>,
    /// An existing WIT file or folder to build the cap around.
    pub from_wit: Option<PathBuf>,
    /// Lay the facade out as a package (`python/<module>/__init__.py`), as upstream
    /// projects with submodules are.
    pub package: bool,
}

/// Where the facade is written, what the manifest's `facade` and `dest` name.
pub(super) struct Facade {
    pub(super) file: String,
    pub(super) facade: String,
    pub(super) dest: String,
}

impl Facade {
    pub(super) fn of(spec: &Spec, module: &str) -> Self {
        if spec.package {
            Self {
                file: format!("python/{module}/__init__.py"),
                facade: format!("python/{module}"),
                dest: module.to_string(),
            }
        } else {
            Self {
                file: format!("python/{module}.py"),
                facade: format!("python/{module}.py"),
                dest: format!("{module}.py"),
            }
        }
    }
}

/// The interface a `--from-wit` cap is built around, and the WIT files to copy.
struct Imported {
    ns: String,
    pkg: String,
    iface: String,
    version: String,
    files: Vec<(String, String)>,
    /// Python-visible names of the interface, for the smoke test.
    names: Vec<String>,
    /// WIT names of the interface's resources.
    resources: Vec<String>,
}

fn import_wit(path: &Path, wanted: Option<&str>) -> Result<Imported> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_path(path)
        .with_context(|| format!("cannot parse the WIT at {}", path.display()))?;
    let name = resolve.packages[package].name.clone();
    let version = name
        .version
        .as_ref()
        .map(|v| v.to_string())
        .with_context(|| {
            format!(
                "{} declares package {name} without a version; write `package {name}@0.1.0;`",
                path.display()
            )
        })?;
    let interfaces: Vec<(&String, &wit_parser::InterfaceId)> =
        resolve.packages[package].interfaces.iter().collect();
    let (iface_name, iface_id) = match wanted {
        Some(text) => {
            let (ns, pkg, iface, v) = parse_interface(text)?;
            if ns != name.namespace || pkg != name.name || v != version {
                bail!("--interface {text} is not in {} (package {name})", path.display());
            }
            interfaces.into_iter().find(|(n, _)| **n == iface).with_context(|| format!("{} has no interface `{iface}`", path.display()))?
        }
        None => match interfaces.as_slice() {
            [one] => *one,
            [] => bail!("{} defines no interface for the cap to export", path.display()),
            many => bail!(
                "{} defines several interfaces ({}); choose one with --interface {}:{}/<name>@{version}",
                path.display(),
                many.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
                name.namespace,
                name.name
            ),
        },
    };
    let mut names: Vec<String> = resolve.interfaces[*iface_id]
        .functions
        .values()
        .filter(|f| matches!(f.kind, wit_parser::FunctionKind::Freestanding))
        .map(|f| f.name.replace('-', "_"))
        .collect();
    let resources: Vec<String> = resolve.interfaces[*iface_id]
        .types
        .iter()
        .filter(|(_, id)| matches!(resolve.types[**id].kind, wit_parser::TypeDefKind::Resource))
        .map(|(n, _)| n.clone())
        .collect();
    names.extend(resources.iter().map(|n| crate::generation::cgen::camel(n)));
    let mut files = Vec::new();
    let sources: Vec<PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wit"))
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    for source in sources {
        let text = std::fs::read_to_string(&source)
            .with_context(|| format!("cannot read {}", source.display()))?;
        files.push((
            format!(
                "wit/{}",
                source.file_name().expect("a file").to_string_lossy()
            ),
            text,
        ));
    }
    if path.is_dir() && path.join("deps").is_dir() {
        bail!("{}: WIT with deps/ is not supported by --from-wit yet; copy the folder into the cap by hand", path.display());
    }
    Ok(Imported {
        ns: name.namespace,
        pkg: name.name,
        iface: iface_name.clone(),
        version,
        files,
        names,
        resources,
    })
}

/// The files written, relative to the workspace root.
pub fn create(workspace_root: &Path, spec: &Spec) -> Result<Vec<PathBuf>> {
    check_name(&spec.name)?;
    let snake = spec.name.replace('-', "_");
    let module = spec.facade.clone().unwrap_or_else(|| snake.clone());
    if !is_identifier(&module) || module.starts_with('_') {
        bail!("--facade {module:?} is not a public Python module name (letters, digits and _, not starting with _ or a digit)");
    }
    let imported = spec
        .from_wit
        .as_deref()
        .map(|path| import_wit(path, spec.interface.as_deref()))
        .transpose()?;
    if let Some(resource) = imported
        .as_ref()
        .and_then(|i| i.resources.first())
        .filter(|_| spec.linkage == Linkage::Dynlink)
    {
        bail!("the interface defines the resource `{resource}`: a cap linked at launch must be stateless; use --linkage static");
    }
    let (ns, pkg, iface, version) = match &imported {
        Some(i) => (
            i.ns.clone(),
            i.pkg.clone(),
            i.iface.clone(),
            i.version.clone(),
        ),
        None => parse_interface(
            spec.interface
                .as_deref()
                .unwrap_or(&format!("pylon:{}/api@0.1.0", spec.name)),
        )?,
    };
    let dir = workspace_root.join("caps").join(&spec.name);
    if dir.exists() {
        bail!("{} already exists; pick another name or remove it first (pylon never overwrites a cap)", dir.display());
    }
    let ext = format!("_{snake}_cap");
    let world = format!("{}-ext", spec.name);
    let mut files: Vec<(String, String)> = vec![
        // A --from-wit cap starts as stubs that trap when called: no hostile test until written.
        (
            "Cargo.toml".into(),
            cargo_toml(
                spec,
                &ext,
                &world,
                &module,
                &format!("{ns}:{pkg}/{iface}"),
                &version,
                imported.is_none(),
            ),
        ),
        ("README.md".into(), readme(spec, &module, &ext)),
    ];
    match &imported {
        None => files.extend([
            (
                format!("wit/{}.wit", spec.name),
                wit(spec, &ns, &pkg, &iface, &version),
            ),
            ("src/lib.rs".into(), rust(spec, &ns, &pkg, &iface)),
            (Facade::of(spec, &module).file, facade(&module, &ext)),
            (format!("tests/{snake}_smoke.py"), smoke(&module)),
            (format!("tests/{snake}_hostile.py"), hostile(&module, &ext)),
        ]),
        Some(imported) => {
            files.extend(imported.files.iter().cloned());
            files.extend([
                (
                    "wit/pylon-worlds.wit".into(),
                    worlds(spec, &ns, &pkg, &iface, &version),
                ),
                ("src/lib.rs".into(), stub_rust(spec)),
                (
                    Facade::of(spec, &module).file,
                    reexport_facade(&module, &ext),
                ),
                (
                    format!("tests/{snake}_smoke.py"),
                    names_smoke(&module, &imported.names),
                ),
            ]);
        }
    }
    // Written in a scratch folder and renamed, so a failure leaves no half-made cap.
    let caps = workspace_root.join("caps");
    std::fs::create_dir_all(&caps).with_context(|| format!("cannot create {}", caps.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix(".new-cap-")
        .tempdir_in(&caps)
        .context("cannot create a scratch folder under caps/")?;
    let mut written = Vec::new();
    for (rel, text) in &files {
        let path = scratch.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("in a folder"))
            .with_context(|| format!("cannot create the folder of {rel}"))?;
        std::fs::write(&path, text).with_context(|| format!("cannot write {rel}"))?;
        written.push(Path::new("caps").join(&spec.name).join(rel));
    }
    std::fs::rename(scratch.keep(), &dir)
        .with_context(|| format!("cannot move the new cap into {}", dir.display()))?;
    if let Some(edited) = add_member(workspace_root, &format!("caps/{}", spec.name))? {
        written.push(edited);
    }
    Ok(written)
}

fn check_name(name: &str) -> Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !ok {
        bail!("{name:?} is not a cap name: use lowercase letters, digits and single hyphens, starting with a letter (for example `blake3` or `fast-json`)");
    }
    const KEYWORDS: &[&str] = &[
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "false", "finally", "for", "from", "global", "if", "import",
        "in", "is", "lambda", "none", "nonlocal", "not", "or", "pass", "raise", "return", "true",
        "try", "while", "with", "yield",
    ];
    if KEYWORDS.contains(&name) {
        bail!("{name:?} is a Python keyword and cannot name a module; pick another name");
    }
    Ok(())
}

fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `ns:pkg/iface@1.2.3` -> its parts.
fn parse_interface(text: &str) -> Result<(String, String, String, String)> {
    let bad = || {
        anyhow::anyhow!("--interface {text:?} is not `namespace:package/interface@version` (for example pylon:blake3/hasher@0.1.0)")
    };
    let (path, version) = text.split_once('@').ok_or_else(bad)?;
    let (ns, rest) = path.split_once(':').ok_or_else(bad)?;
    let (pkg, iface) = rest.split_once('/').ok_or_else(bad)?;
    cargo_metadata::semver::Version::parse(version).map_err(|_| bad())?;
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if ![ns, pkg, iface].iter().all(|p| part_ok(p)) {
        return Err(bad());
    }
    Ok((ns.into(), pkg.into(), iface.into(), version.into()))
}

/// Add `member` to `[workspace] members` unless a glob there already covers it.
fn add_member(root: &Path, member: &str) -> Result<Option<PathBuf>> {
    let path = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let members = doc["workspace"]["members"]
        .as_array_mut()
        .with_context(|| {
            format!(
                "{} has no [workspace] members list; add one",
                path.display()
            )
        })?;
    let covered = members.iter().filter_map(|m| m.as_str()).any(|m| {
        m == member
            || m.strip_suffix("/*").is_some_and(|dir| {
                member
                    .rsplit_once('/')
                    .is_some_and(|(parent, _)| parent == dir)
            })
    });
    if covered {
        return Ok(None);
    }
    members.push(member);
    std::fs::write(&path, doc.to_string())
        .with_context(|| format!("cannot update {}", path.display()))?;
    Ok(Some(PathBuf::from("Cargo.toml")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_names_and_interfaces() {
        assert!(check_name("blake3").is_ok() && check_name("fast-json").is_ok());
        for bad in ["Blake3", "3d", "a_b", "x-", "a--b", "import", ""] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_interface("pylon:x/api@0.1.0").unwrap().2, "api");
        assert!(parse_interface("pylon:x/api").is_err() && parse_interface("x/api@1.0.0").is_err());
    }
}
