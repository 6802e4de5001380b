//! A cap's CPython extension: its WIT checked against its component, its C bindings
//! (wit-bindgen-c), the extension generated from them (or the cap's own C), compiled.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::cext::{Build, Unit};
use crate::generation::bindgen::{self, Wit};
use crate::support::fs::write_if_changed;
use crate::workspace::discover::Cap;
use crate::workspace::manifest::Linkage;

/// Check a cap's WIT against its manifest and component, generate its bindings and
/// compile its extension; returns the objects to link.
pub fn objects(build: &Build, cap: &Cap, exports: &BTreeSet<String>) -> Result<Vec<PathBuf>> {
    let wit_dir = cap.path(&cap.extension().wit);
    let mut wit = Wit::load(&wit_dir, &cap.extension().world)
        .with_context(|| format!("cap {} ({})", cap.package, cap.manifest_path.display()))?;
    // Discovery checked the world and its imports against `requires`.
    for req in &cap.meta.requires {
        let wanted = req.qualified();
        if !exports.contains(&wanted) {
            let offered: Vec<&String> = exports
                .iter()
                .filter(|e| e.split('@').next() == Some(req.interface.as_str()))
                .collect();
            bail!(
                "cap {}: the extension imports {wanted}, but the cap's component exports {}\n  fix: rebuild the component from the same WIT version (caps' WIT: {})",
                cap.package,
                if offered.is_empty() { format!("no {} at all", req.interface) } else { offered.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ") },
                wit_dir.display()
            );
        }
    }
    let dir = build.dir.join("caps").join(&cap.package);
    let bindings = bindgen::generate(&mut wit, &dir.join("bindings"))?;
    let source = match cap.c_source() {
        Some(source) => source,
        None => {
            let header_name = format!("{}.h", wit.c_prefix());
            let header = std::fs::read_to_string(bindings.dir.join(&header_name))
                .with_context(|| format!("wit-bindgen-c wrote no {header_name}"))?;
            let module = &cap.extension().module;
            let isolated = cap.meta.linkage == Linkage::Dynlink;
            let generated = crate::generation::cgen::generate(
                &wit.resolve,
                wit.world,
                &header,
                &header_name,
                module,
                &build.target.errors,
                isolated,
            )
            .with_context(|| {
                format!(
                    "cap {}: generating the extension `{module}` from {}",
                    cap.package,
                    wit_dir.display()
                )
            })?;
            write_if_changed(
                &dir.join(format!("{module}.pyi")),
                generated.stub.as_bytes(),
            )?;
            let path = dir.join(format!("{module}.c"));
            write_if_changed(&path, generated.c.as_bytes())?;
            path
        }
    };
    let mut objects = vec![bindings.type_object.clone()];
    for c in bindings.sources.iter().chain([&source]) {
        let object = dir.join(c.file_name().expect("file")).with_extension("o");
        // pylon's own generated C must compile without a single warning.
        let strict = cap.c_source().is_none() && *c == source;
        build.compile(&Unit {
            includes: &[&bindings.dir],
            strict,
            ..Unit::builtin(c, &object)
        })?;
        objects.push(object);
    }
    Ok(objects)
}
