//! Checking a cap's manifest at discovery, so a mistake is named (crate, key, fix) before
//! anything builds.

use std::path::Path;

use anyhow::{bail, Context, Result};
use cargo_metadata::semver::Version;

use super::discover::Cap;
use super::manifest::{Linkage, Source};

/// A library cap: CPython's own module over a C library, no component, no WIT.
fn library(cap: &Cap, at: &dyn Fn(&str) -> String) -> Result<()> {
    let meta = &cap.meta;
    if meta.linkage != Linkage::Interpreter {
        bail!("{}: a cap with [package.metadata.pylon.library] is compiled into the interpreter\n  fix: set linkage = \"interpreter\"", at("linkage"));
    }
    match (&meta.library, &meta.library_from) {
        (Some(_), Some(_)) => bail!("{}: a cap has its own library or another cap's, not both\n  fix: remove `library-from`, or the [package.metadata.pylon.library] table", at("library-from")),
        (None, None) => bail!("{}: missing\n  fix: name the crate that vendors the C library, its `include` folders and `sources`, or the cap whose library it shares (`library-from`)", at("library")),
        _ => {}
    }
    let Some(library) = &meta.library else {
        return module(cap, at);
    };
    match &library.configure {
        None if library.sources.is_empty() => bail!("{}: empty\n  fix: list the library's C files, or give `library.configure` for a library that builds itself", at("library.sources")),
        Some(_) if !library.sources.is_empty() => bail!("{}: a configured library builds its own sources\n  fix: remove `sources`, or `configure`", at("library.sources")),
        Some(c) if c.command.is_empty() => bail!("{}: empty\n  fix: the configure command and its arguments, for example [\"perl\", \"Configure\", \"gcc\"]", at("library.configure.command")),
        Some(c) if c.archives.is_empty() || c.archives.iter().any(|a| a.file_name().is_none()) => {
            bail!("{}: {:?}\n  fix: the static libraries the build leaves, relative to `root`, for example [\"libcrypto.a\"]", at("library.configure.archives"), c.archives)
        }
        _ => {}
    }
    if let Some(missing) = library.glue.iter().find(|g| !cap.dir.join(g).is_file()) {
        bail!(
            "{}: {} is not a file of the cap\n  fix: name C files relative to {}",
            at("library.glue"),
            missing.display(),
            cap.dir.display()
        );
    }
    module(cap, at)
}

/// A library cap's module: CPython's own, with no interfaces.
fn module(cap: &Cap, at: &dyn Fn(&str) -> String) -> Result<()> {
    let meta = &cap.meta;
    let extension = cap.extension();
    let Source::Cpython(file) = &extension.source else {
        bail!("{}: {:?}\n  fix: name CPython's own module source, for example \"cpython:Modules/zlibmodule.c\"", at("extension.source"), String::from(extension.source.clone()));
    };
    if file.is_empty()
        || !extension
            .module
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        bail!(
            "{}: \"cpython:{file}\" with module {:?} is not a CPython module",
            at("extension"),
            extension.module
        );
    }
    if !meta.requires.is_empty() || !extension.world.is_empty() {
        bail!("{}: a library cap imports no interfaces\n  fix: remove `requires` and `extension.world`", at("requires"));
    }
    Ok(())
}

/// Everything about `cap`'s manifest that can be checked before anything builds; `at`
/// names a key of it for errors.
pub fn cap(cap: &Cap, at: &dyn Fn(&str) -> String) -> Result<()> {
    let meta = &cap.meta;
    tests(cap, at)?;
    if meta.linkage == Linkage::Package || meta.build.is_some() {
        return package(cap, at);
    }
    let Some(extension) = &meta.extension else {
        bail!("{}: missing\n  fix: add [package.metadata.pylon.extension] with the builtin `module` and its `source`; see caps/blake3/Cargo.toml", at("extension"));
    };
    let module = &extension.module;
    if meta.linkage == Linkage::Interpreter || meta.library.is_some() || meta.library_from.is_some()
    {
        return library(cap, at);
    }
    if extension.world.is_empty() {
        bail!("{}: missing\n  fix: name the WIT world the extension is built against, for example \"blake3-ext\"", at("extension.world"));
    }
    if !module.starts_with('_')
        || !module[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        bail!("{}: {module:?} is not a private module name\n  fix: use `_<name>_cap`, for example \"_blake3_cap\"", at("extension.module"));
    }
    if let Some(source) = cap.c_source() {
        if !source.is_file() {
            bail!("{}: {} does not exist\n  fix: point it at the extension's C file, or write \"generated\"", at("extension.source"), source.display());
        }
    }
    let wit = cap.path(&extension.wit);
    if !wit.is_dir() {
        bail!(
            "{}: {} is not a folder\n  fix: point it at the folder holding the cap's .wit files",
            at("extension.wit"),
            wit.display()
        );
    }
    for (i, req) in meta.requires.iter().enumerate() {
        let shape_ok = req.interface.split_once(':').is_some_and(|(ns, rest)| {
            !ns.is_empty()
                && rest
                    .split_once('/')
                    .is_some_and(|(p, i)| !p.is_empty() && !i.is_empty())
        });
        if !shape_ok || req.interface.contains('@') {
            bail!("{}: {:?} is not `namespace:package/interface`\n  fix: for example \"pylon:blake3/hasher\" (the version goes in `version`)", at(&format!("requires[{i}].interface")), req.interface);
        }
        Version::parse(&req.version).with_context(|| {
            format!(
                "{}: {:?} is not a semver version; write for example \"0.1.0\"",
                at(&format!("requires[{i}].version")),
                req.version
            )
        })?;
    }
    contract(cap, &wit, at)?;
    if let Some(provides) = &meta.provides {
        let facade = cap.path(&provides.facade);
        if !facade.is_file() && !facade.join("__init__.py").is_file() {
            bail!("{}: {} is neither a module nor a package folder with an __init__.py\n  fix: point it at the facade (a .py file, or a package folder, in the crate)", at("provides.facade"), facade.display());
        }
        if provides.dest.is_absolute()
            || provides
                .dest
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            bail!(
                "{}: {} must be a relative path inside the module tree, such as \"blake3.py\"",
                at("provides.dest"),
                provides.dest.display()
            );
        }
    }
    Ok(())
}

/// The cap's smoke and hostile tests exist, and its profiles are ones pylon knows.
fn tests(cap: &Cap, at: &dyn Fn(&str) -> String) -> Result<()> {
    let meta = &cap.meta;
    for (key, test) in [("smoke", &meta.smoke), ("hostile", &meta.hostile)] {
        if let Some(test) = test {
            if !cap.path(test).is_file() {
                bail!("{}: {} does not exist\n  fix: point it at the cap's {key} test (tests/<name>_{key}.py)", at(key), cap.path(test).display());
            }
        }
    }
    if let Some(profiles) = &meta.profiles {
        for (i, p) in profiles.iter().enumerate() {
            pylon_sys::Profile::select(Some(p)).with_context(|| at(&format!("profiles[{i}]")))?;
        }
    }
    Ok(())
}

/// A package cap: the `upstream` release's sdist, pinned, built as `build` says; nothing
/// of a component's or a library's.
fn package(cap: &Cap, at: &dyn Fn(&str) -> String) -> Result<()> {
    let meta = &cap.meta;
    if meta.linkage != Linkage::Package {
        bail!("{}: a cap with [package.metadata.pylon.build] is a Python distribution built from its sdist\n  fix: set linkage = \"package\"", at("linkage"));
    }
    let Some(build) = &meta.build else {
        bail!("{}: missing\n  fix: add [package.metadata.pylon.build] (an empty table builds with the sdist's defaults)", at("build"));
    };
    build_table(build, at)?;
    if let Some(missing) = build.patches.iter().find(|p| !cap.dir.join(p).is_file()) {
        bail!(
            "{}: {} is not a file of the cap\n  fix: name patch files relative to {}",
            at("build.patches"),
            missing.display(),
            cap.dir.display()
        );
    }
    match &meta.upstream {
        Some(upstream) if upstream.sdist_sha256.is_some() => {
            if !upstream.version.starts_with(|c: char| c.is_ascii_digit()) {
                bail!("{}: {:?} is not one release\n  fix: a package cap pins the release its sdist-sha256 names, as in \"3.0.4\" (a range belongs in a recipe)", at("upstream.version"), upstream.version);
            }
        }
        _ => bail!("{}: missing\n  fix: name the distribution: [package.metadata.pylon.upstream] pypi, version and sdist-sha256", at("upstream.sdist-sha256")),
    }
    for (key, present) in [
        ("extension", meta.extension.is_some()),
        ("library", meta.library.is_some()),
        ("library-from", meta.library_from.is_some()),
        ("requires", !meta.requires.is_empty()),
        ("provides", meta.provides.is_some()),
    ] {
        if present {
            bail!("{}: a package cap's modules come from its distribution's build\n  fix: remove `{key}`", at(key));
        }
    }
    Ok(())
}

/// A `build` table (a package cap's or a recipe's): config settings that are settings, C
/// libraries pylon has recipes for.
pub fn build_table(
    build: &crate::workspace::manifest::PackageBuild,
    at: &dyn Fn(&str) -> String,
) -> Result<()> {
    if let Some((i, s)) = build
        .config_settings
        .iter()
        .enumerate()
        .find(|(_, s)| !s.contains('='))
    {
        bail!(
            "{}: {s:?} is not KEY=VALUE\n  fix: for example \"setup-args=-Dallow-noblas=true\"",
            at(&format!("build.config-settings[{i}]"))
        );
    }
    let known = crate::packages::recipe::shipped_libraries();
    if let Some((i, name)) = build
        .libraries
        .iter()
        .enumerate()
        .find(|(_, l)| !known.contains(&l.as_str()))
    {
        bail!(
            "{}: pylon has no recipe for a C library named {name:?}\n  fix: name one of {}",
            at(&format!("build.libraries[{i}]")),
            known.join(", ")
        );
    }
    Ok(())
}

/// The extension's world exists in the cap's WIT (checked here, before anything builds;
/// whether it imports what `requires` names is [`requires_imported`], which compose checks
/// before building and check-drift reports).
fn contract(cap: &Cap, wit_dir: &Path, at: &dyn Fn(&str) -> String) -> Result<()> {
    super::wit::Wit::load(wit_dir, &cap.extension().world)
        .with_context(|| at("extension.world"))
        .map(drop)
}

/// The extension's world imports every interface `requires` names, at its version.
pub fn requires_imported(cap: &Cap) -> Result<()> {
    let extension = cap.extension();
    let (world, wit_dir) = (&extension.world, cap.path(&extension.wit));
    let wit = super::wit::Wit::load(&wit_dir, world)?;
    let imported = wit.imported_interfaces();
    for (i, req) in cap.meta.requires.iter().enumerate() {
        let wanted = req.qualified();
        if imported.contains(&wanted) {
            continue;
        }
        let seen: Vec<&str> = imported
            .iter()
            .filter(|name| name.split('@').next() == Some(req.interface.as_str()))
            .map(String::as_str)
            .collect();
        bail!(
            "{} (crate `{}`): [package.metadata.pylon] key `requires[{i}]`: requires {wanted}, but the extension's world `{world}` in {} imports {}\n  fix: make the WIT package version and `requires` agree",
            cap.manifest_path.display(),
            cap.package,
            wit_dir.display(),
            if seen.is_empty() { "no such interface".to_string() } else { seen.join(", ") }
        );
    }
    Ok(())
}
