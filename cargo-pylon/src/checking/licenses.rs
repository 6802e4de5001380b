//! What ships in each component and under which licence.
//!
//! A library cap ships only its bundled C library (compiled into the interpreter).
//! A cap's component contains its crate and every crate reached through normal
//! dependencies for wasm32-wasip2 (build and dev dependencies, and proc-macro crates with
//! everything under them, run on the host and ship nothing), plus the C libraries it
//! declares. The interpreter ships CPython and what pylon-sys declares. Each SPDX
//! expression must be satisfiable from the workspace's allow-list; the licences chosen
//! (preferring the allow-list's order) must each have `LICENSES/<id>.txt`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use cargo_metadata::{DependencyKind, MetadataCommand, PackageId};
use serde::Serialize;
use spdx::{Expression, Licensee, ParseMode};

use crate::workspace::discover::Workspace;

#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub name: String,
    pub version: String,
    pub license: String,
    /// `crate`, `bundled` or `package` (a locked Python package).
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub struct PartVerdict {
    #[serde(flatten)]
    pub part: Part,
    /// Licences chosen for it (each needs a text in LICENSES/).
    pub ships: Vec<String>,
    /// Why it is not allowed, and the fix.
    pub violation: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ComponentReport {
    pub component: String,
    pub parts: Vec<PartVerdict>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub components: Vec<ComponentReport>,
    /// Licence or exception ids that ship but have no `LICENSES/<id>.txt`.
    pub missing_texts: Vec<String>,
    pub violations: usize,
}

/// Every shipped component of the workspace and its parts.
pub fn gather(
    ws: &Workspace,
    packages: &[crate::packages::Installed],
) -> Result<Vec<(String, Vec<Part>)>> {
    let mut interpreter: Vec<Part> = pylon_sys::bundled::bundled()?
        .into_iter()
        .map(bundled)
        .collect();
    interpreter.push(Part {
        name: "pylon runtime glue".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        license: env!("CARGO_PKG_LICENSE").into(),
        kind: "bundled",
    });
    let overrides = ws
        .settings
        .licenses
        .as_ref()
        .map(|l| &l.packages)
        .cloned()
        .unwrap_or_default();
    for package in packages {
        let stated = crate::packages::metadata::licensing(&package.form)?.spdx;
        let named = overrides
            .iter()
            .find(|(name, _)| {
                crate::packages::index::normalize(name)
                    == crate::packages::index::normalize(&package.name)
            })
            .map(|(_, spdx)| spdx.clone());
        interpreter.push(Part {
            name: package.name.clone(),
            version: package.version.clone(),
            license: named.or(stated).unwrap_or_default(),
            kind: "package",
        });
        if let crate::packages::InstalledForm::Built(built) = &package.form {
            interpreter.extend(built.bundled.iter().cloned().map(bundled));
        }
    }
    let mut components = vec![("pylon.wasm (interpreter)".to_string(), interpreter)];
    if ws.caps.is_empty() {
        return Ok(components);
    }
    let metadata = MetadataCommand::new()
        .manifest_path(ws.root.join("Cargo.toml"))
        .other_options(vec![
            "--filter-platform".into(),
            crate::composing::capbuild::TARGET.into(),
        ])
        .exec()
        .context("`cargo metadata --filter-platform wasm32-wasip2` failed")?;
    let resolve = metadata
        .resolve
        .as_ref()
        .context("cargo metadata returned no dependency graph")?;
    let nodes: HashMap<&PackageId, _> = resolve.nodes.iter().map(|n| (&n.id, n)).collect();
    let packages: HashMap<&PackageId, _> = metadata.packages.iter().map(|p| (&p.id, p)).collect();
    for cap in &ws.caps {
        if !cap.meta.linkage.has_component() {
            // No Rust of a library or package cap ships: its C (the library, the
            // distribution and what it bundles) is compiled into the interpreter.
            components.push((
                format!("{} (compiled into pylon.wasm)", cap.package),
                cap.meta.bundled.iter().cloned().map(bundled).collect(),
            ));
            continue;
        }
        let root = metadata
            .packages
            .iter()
            .find(|p| p.name.as_str() == cap.package)
            .with_context(|| format!("cargo metadata does not list {}", cap.package))?;
        let mut seen = BTreeSet::new();
        let mut stack = vec![&root.id];
        let mut parts = Vec::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id.repr.clone()) {
                continue;
            }
            let package = packages[id];
            if package.targets.iter().any(|t| t.is_proc_macro()) {
                continue;
            }
            parts.push(Part {
                name: package.name.to_string(),
                version: package.version.to_string(),
                license: package.license.clone().unwrap_or_default(),
                kind: "crate",
            });
            if let Some(node) = nodes.get(id) {
                for dep in &node.deps {
                    if dep
                        .dep_kinds
                        .iter()
                        .any(|k| k.kind == DependencyKind::Normal)
                    {
                        stack.push(&dep.pkg);
                    }
                }
            }
        }
        parts.sort_by(|a, b| a.name.cmp(&b.name));
        parts.extend(cap.meta.bundled.iter().cloned().map(bundled));
        components.push((format!("{} (cap component)", cap.package), parts));
    }
    Ok(components)
}

fn bundled(b: pylon_sys::bundled::Bundled) -> Part {
    Part {
        name: b.name,
        version: b.version,
        license: b.license,
        kind: "bundled",
    }
}

/// Check every part against `allow`, and the texts in `licenses_dir`.
pub fn check(
    components: Vec<(String, Vec<Part>)>,
    allow: &[String],
    licenses_dir: &Path,
) -> Result<Report> {
    let accepted = allow
        .iter()
        .map(|a| Licensee::parse(a).with_context(|| format!("[workspace.metadata.pylon.licenses] allow: {a:?} is not an SPDX licence (with an optional WITH exception)")))
        .collect::<Result<Vec<_>>>()?;
    let mut shipping: BTreeMap<String, ()> = BTreeMap::new();
    let mut violations = 0;
    let mut reports = Vec::new();
    for (component, parts) in components {
        let mut verdicts = Vec::new();
        for part in parts {
            let (ships, violation) = verdict(&part, &accepted, allow);
            if violation.is_some() {
                violations += 1;
            }
            for id in &ships {
                for piece in id.split(" WITH ") {
                    shipping.insert(piece.to_string(), ());
                }
            }
            verdicts.push(PartVerdict {
                part,
                ships,
                violation,
            });
        }
        reports.push(ComponentReport {
            component,
            parts: verdicts,
        });
    }
    let missing_texts: Vec<String> = shipping
        .into_keys()
        .filter(|id| !licenses_dir.join(format!("{id}.txt")).is_file())
        .collect();
    violations += missing_texts.len();
    Ok(Report {
        components: reports,
        missing_texts,
        violations,
    })
}

fn verdict(part: &Part, accepted: &[Licensee], allow: &[String]) -> (Vec<String>, Option<String>) {
    if part.license.trim().is_empty() && part.kind == "package" {
        return (Vec::new(), Some(format!("the wheel of {} states no licence pylon can read (License-Expression, an SPDX License, or a licence classifier); read its licence files and set [workspace.metadata.pylon.licenses.packages] {} = \"SPDX-ID\"", part.name, part.name)));
    }
    if part.license.trim().is_empty() {
        return (Vec::new(), Some(format!("{} declares no licence; set `license` in its Cargo.toml (or the bundled entry) to an SPDX expression", part.name)));
    }
    let expr = match Expression::parse_mode(&part.license, ParseMode::LAX) {
        Ok(expr) => expr,
        Err(err) => {
            return (
                Vec::new(),
                Some(format!(
                    "{:?} is not an SPDX expression ({err}); fix the package's `license`",
                    part.license
                )),
            )
        }
    };
    match expr.minimized_requirements(accepted) {
        Ok(reqs) => (reqs.iter().map(|r| r.to_string()).collect(), None),
        Err(_) => (
            Vec::new(),
            Some(format!(
                "{} {} is licensed {:?}, which the allow-list ({}) does not satisfy; replace the dependency, or add an acceptable licence to [workspace.metadata.pylon.licenses] allow",
                part.name, part.version, part.license, allow.join(", ")
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(license: &str) -> Part {
        Part {
            name: "p".into(),
            version: "1".into(),
            license: license.into(),
            kind: "crate",
        }
    }

    #[test]
    fn chooses_allowed_licences_in_preference_order() {
        let allow = vec!["MIT".to_string(), "Apache-2.0".to_string()];
        let accepted: Vec<Licensee> = allow.iter().map(|a| Licensee::parse(a).unwrap()).collect();
        assert_eq!(
            verdict(&part("Apache-2.0 OR MIT"), &accepted, &allow).0,
            vec!["MIT"]
        );
        assert_eq!(
            verdict(&part("MIT/Apache-2.0"), &accepted, &allow).0,
            vec!["MIT"]
        );
        assert_eq!(
            verdict(&part("CC0-1.0 OR Apache-2.0"), &accepted, &allow).0,
            vec!["Apache-2.0"]
        );
        let (ships, violation) = verdict(&part("GPL-3.0-only"), &accepted, &allow);
        assert!(ships.is_empty() && violation.unwrap().contains("does not satisfy"));
        assert!(verdict(&part(""), &accepted, &allow)
            .1
            .unwrap()
            .contains("no licence"));
    }
}
