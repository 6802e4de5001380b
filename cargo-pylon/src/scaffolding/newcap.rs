//! `cargo pylon new`: a complete cap that composes and passes its smoke test as written.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

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
struct Facade {
    file: String,
    facade: String,
    dest: String,
}

impl Facade {
    fn of(spec: &Spec, module: &str) -> Self {
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

fn cargo_toml(
    spec: &Spec,
    ext: &str,
    world: &str,
    module: &str,
    interface: &str,
    version: &str,
    hostile: bool,
) -> String {
    let hostile = if hostile {
        format!(
            "hostile = \"tests/{}_hostile.py\"\n",
            spec.name.replace('-', "_")
        )
    } else {
        String::new()
    };
    format!(
        r#"[package]
name = "{name}-cap"
description = "pylon cap: {name}"
version = "0.1.0"
edition = "2021"
license = "MIT"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
wit-bindgen = "0.63"

[package.metadata.pylon]
packages = ["{module}"]
linkage = "{linkage}"
smoke = "tests/{snake}_smoke.py"
{hostile}
[package.metadata.pylon.extension]
module = "{ext}"
# The CPython extension is generated from the WIT by `cargo pylon compose`.
source = "generated"
wit = "wit"
world = "{world}"

[[package.metadata.pylon.requires]]
interface = "{interface}"
version = "{version}"

[package.metadata.pylon.provides]
module = "{module}"
facade = "{facade}"
dest = "{dest}"
"#,
        facade = Facade::of(spec, module).facade,
        dest = Facade::of(spec, module).dest,
        name = spec.name,
        snake = spec.name.replace('-', "_"),
        linkage = match spec.linkage {
            Linkage::Static => "static",
            Linkage::Dynlink => "dynlink",
            Linkage::Interpreter => "interpreter",
        },
    )
}

fn wit(spec: &Spec, ns: &str, pkg: &str, iface: &str, version: &str) -> String {
    format!(
        r#"package {ns}:{pkg}@{version};

/// {name}: replace these with the capability Python should have.
///
/// Nothing Python passes may trap the component: work whose size depends on the input
/// returns a `result` and checks that size before allocating (docs/CAPS.md).
interface {iface} {{
    /// A greeting for `name`, said `times` times; an error when it would not fit in memory.
    greet: func(name: string, times: u32) -> result<string, string>;

    /// The Adler-32 checksum of `data`.
    adler32: func(data: list<u8>) -> u32;
}}

/// What the cap's component provides.
world {name}-provider {{
    export {iface};
}}

/// What the generated CPython extension is built against.
world {name}-ext {{
    import {iface};
}}
"#,
        name = spec.name
    )
}

fn rust(spec: &Spec, ns: &str, pkg: &str, iface: &str) -> String {
    let path = [ns, pkg, iface].map(|p| p.replace('-', "_")).join("::");
    format!(
        r#"//! The {name} cap's component (built for wasm32-wasip2 by `cargo pylon compose`).

#![cfg(target_family = "wasm")]

use exports::{path}::Guest;

wit_bindgen::generate!({{ world: "{name}-provider", path: "wit" }});

struct Cap;

export!(Cap);

impl Guest for Cap {{
    fn greet(name: String, times: u32) -> Result<String, String> {{
        let one = format!("Hello, {{name}}!");
        // Size first, then a fallible reservation: a failed allocation in a component
        // aborts, a trap that would end the whole interpreter.
        let len = one.len().checked_mul(times as usize).ok_or("the greeting is too long")?;
        let mut out = String::new();
        out.try_reserve_exact(len).map_err(|_| format!("cannot allocate {{len}} bytes for the greeting"))?;
        for _ in 0..times {{
            out.push_str(&one);
        }}
        Ok(out)
    }}

    fn adler32(data: Vec<u8>) -> u32 {{
        const MOD: u32 = 65521;
        let (mut a, mut b) = (1u32, 0u32);
        // 5552 bytes is the most that cannot overflow b before the modulo.
        for chunk in data.chunks(5552) {{
            for &byte in chunk {{
                a += u32::from(byte);
                b += a;
            }}
            a %= MOD;
            b %= MOD;
        }}
        (b << 16) | a
    }}
}}
"#,
        name = spec.name
    )
}

/// The cap's two worlds, beside a `--from-wit` package's own files.
fn worlds(spec: &Spec, ns: &str, pkg: &str, iface: &str, version: &str) -> String {
    format!(
        "package {ns}:{pkg}@{version};\n\n/// What the cap's component provides.\nworld {name}-provider {{\n    export {iface};\n}}\n\n/// What the generated CPython extension is built against.\nworld {name}-ext {{\n    import {iface};\n}}\n",
        name = spec.name
    )
}

fn stub_rust(spec: &Spec) -> String {
    format!(
        r#"//! The {name} cap's component (built for wasm32-wasip2 by `cargo pylon compose`).
//!
//! `stubs` makes wit-bindgen export an implementation whose functions are not written
//! yet (calling one traps). Replace it: drop `stubs`, implement the generated `Guest`
//! traits on your own type and `export!` it.

#![cfg(target_family = "wasm")]

wit_bindgen::generate!({{ world: "{name}-provider", path: "wit", stubs }});
"#,
        name = spec.name
    )
}

fn reexport_facade(module: &str, ext: &str) -> String {
    format!("\"\"\"{module}: Python's face of the cap (the work runs in its WebAssembly component).\"\"\"\n\nfrom {ext} import *  # noqa: F403\nfrom {ext} import Error  # noqa: F401\n")
}

fn names_smoke(module: &str, names: &[String]) -> String {
    let list = names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "\"\"\"Smoke test for {module}: the interface is importable. Call each function once it is implemented.\"\"\"\nimport {module}\n\nfor name in [{list}]:\n    assert hasattr({module}, name), name\nprint(\"{module} ok\")\n"
    )
}

fn facade(module: &str, ext: &str) -> String {
    format!(
        r#""""{module}: Python's face of the cap (the work runs in its WebAssembly component)."""

from {ext} import Error, adler32, greet

__all__ = ["Error", "adler32", "greet"]
"#
    )
}

fn smoke(module: &str) -> String {
    format!(
        r#""""Smoke test for {module}, run inside pylon by `cargo pylon smoke`."""
import {module}

assert {module}.greet("pylon", 1) == "Hello, pylon!"
assert {module}.greet("pylon", 2) == "Hello, pylon!Hello, pylon!"
# A size memory cannot hold is an exception, never a trap.
try:
    {module}.greet("pylon", 2**32 - 1)
except {module}.Error:
    pass
else:
    raise AssertionError("a huge greeting must raise {module}.Error")
assert {module}.adler32(b"Wikipedia") == 0x11E60398
assert {module}.adler32(b"") == 1
assert {module}.adler32(bytes(100_000)) == {module}.adler32(bytearray(100_000))
try:
    {module}.greet(42, 1)
except TypeError:
    pass
else:
    raise AssertionError("greet(42, 1) must raise TypeError")
print("{module} ok")
"#
    )
}

fn hostile(module: &str, ext: &str) -> String {
    format!(
        r#""""Hostile inputs for {module}: every exported function driven with bad arguments.
Only Python exceptions may come out; a trap would end the interpreter and fail the test."""
import {ext}
from pylon_hostile import Fuzz

fuzz = Fuzz()
fuzz.drive({ext}.greet, fuzz.strings(), fuzz.integers())
fuzz.drive({ext}.adler32, fuzz.data([b"Wikipedia"]))
fuzz.report()
"#
    )
}

fn readme(spec: &Spec, module: &str, ext: &str) -> String {
    format!(
        "# {name}\n\nA pylon cap. Python code writes `import {module}`.\n\n\
- `wit/{name}.wit`: the contract (edit it first);\n\
- `src/lib.rs`: the component that implements it (Rust, built for wasm32-wasip2);\n\
- the CPython extension `{ext}` is generated from the WIT at compose time;\n\
- `{facade}`: the facade users import;\n\
- `tests/{snake}_smoke.py` and `tests/{snake}_hostile.py` (bad input in, only Python\n  exceptions out): run by `cargo pylon smoke`.\n\n\
```sh\ncargo pylon compose && cargo pylon smoke\n```\n",
        facade = Facade::of(spec, module).file,
        name = spec.name,
        snake = spec.name.replace('-', "_")
    )
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
