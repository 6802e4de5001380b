//! Versions that must agree: WIT interfaces across the C and component sides, the
//! wit-bindgen family across the workspace, and each facade against its PyPI original.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use cargo_metadata::MetadataCommand;
use serde::Serialize;

use super::facts::Api;
use crate::generation::bindgen::Wit;
use crate::packages::index;
use crate::workspace::discover::{Cap, Workspace};

#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Drift,
    Behind,
    Ahead,
    /// A newer release than the one locked exists (told, not failed).
    Newer,
    Unknown,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub check: &'static str,
    pub subject: String,
    pub expected: String,
    pub found: String,
    pub status: Status,
}

impl Row {
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Drift | Status::Behind | Status::Ahead)
    }
}

/// (a) Every interface a cap's extension imports is exported by its component at the
/// same version.
pub fn wit(cap: &Cap, exports: &BTreeSet<String>) -> Result<Vec<Row>> {
    let wit = Wit::load(&cap.path(&cap.extension().wit), &cap.extension().world)?;
    Ok(wit
        .imported_interfaces()
        .into_iter()
        .filter(|i| !crate::composing::inspect::is_wasi(i))
        .map(|import| {
            let base = import.split('@').next().unwrap_or(&import).to_string();
            let offered: Vec<&String> = exports
                .iter()
                .filter(|e| e.split('@').next() == Some(base.as_str()))
                .collect();
            let status = if exports.contains(&import) {
                Status::Ok
            } else {
                Status::Drift
            };
            Row {
                check: "wit",
                subject: format!("{}: {base}", cap.package),
                expected: format!("extension imports {}", version_of(&import)),
                found: if offered.is_empty() {
                    "component exports nothing of it".into()
                } else {
                    format!(
                        "component exports {}",
                        offered
                            .iter()
                            .map(|o| version_of(o))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                status,
            }
        })
        .collect())
}

fn version_of(qualified: &str) -> &str {
    qualified
        .split_once('@')
        .map(|(_, v)| v)
        .unwrap_or("(unversioned)")
}

const BINDGEN_FAMILY: &[&str] = &[
    "wit-bindgen",
    "wit-bindgen-c",
    "wit-bindgen-core",
    "wit-bindgen-rust",
    "wit-bindgen-rt",
];

/// (b) wit-bindgen and wit-parser: one version each across the workspace's members, and
/// wit-parser the one wit-bindgen-c is built on (so their `Resolve` types are shared).
pub fn crates(ws: &Workspace) -> Result<Vec<Row>> {
    let metadata = MetadataCommand::new()
        .manifest_path(ws.root.join("Cargo.toml"))
        .exec()
        .context("`cargo metadata` failed")?;
    let resolve = metadata
        .resolve
        .as_ref()
        .context("cargo metadata returned no dependency graph")?;
    let version = |id: &cargo_metadata::PackageId| metadata[id].version.to_string();
    let mut used: BTreeMap<&'static str, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for node in &resolve.nodes {
        let member = metadata.workspace_members.contains(&node.id);
        let is_bindgen = BINDGEN_FAMILY.contains(&metadata[&node.id].name.as_str());
        for dep in &node.deps {
            let name = metadata[&dep.pkg].name.to_string();
            let family = if BINDGEN_FAMILY.contains(&name.as_str()) {
                "wit-bindgen"
            } else if name == "wit-parser" {
                "wit-parser"
            } else {
                continue;
            };
            if member || (is_bindgen && family == "wit-parser") {
                let user = metadata[&node.id].name.to_string();
                used.entry(family)
                    .or_default()
                    .entry(version(&dep.pkg))
                    .or_default()
                    .insert(format!("{user} -> {name}"));
            }
        }
    }
    Ok(used
        .into_iter()
        .map(|(family, versions)| {
            let found = versions
                .iter()
                .map(|(v, users)| {
                    format!(
                        "{v} ({})",
                        users.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            Row {
                check: "crates",
                subject: family.to_string(),
                expected: "one version".into(),
                found,
                status: if versions.len() == 1 {
                    Status::Ok
                } else {
                    Status::Drift
                },
            }
        })
        .collect())
}

/// (b') A library cap's C library: the version its vendored sources state against the one
/// its `bundled` entry declares (and check-licenses reports). A `cargo update` of the
/// vendoring crate shows here until the entry is brought along.
pub fn library(cap: &Cap) -> Option<Row> {
    let (library, located) = (cap.meta.library.as_ref()?, cap.located.as_ref()?);
    let source = library.version.as_ref()?;
    let declared = cap.meta.bundled.first();
    let path = located.dir.join(&source.file);
    let found = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| source.read(&text));
    let status = match (&found, declared) {
        (Some(found), Some(declared)) if *found == declared.version => Status::Ok,
        (Some(_), _) => Status::Drift,
        (None, _) => Status::Unknown,
    };
    Some(Row {
        check: "library",
        subject: format!(
            "{}: {} (crate {})",
            cap.package,
            declared.map_or("?", |b| b.name.as_str()),
            located
                .dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        ),
        expected: declared.map_or_else(
            || "a [[package.metadata.pylon.bundled]] entry".into(),
            |b| format!("{} (bundled entry)", b.version),
        ),
        found: found.map_or_else(
            || format!("no {} in {}", source.defines.join(", "), path.display()),
            |v| format!("{v} ({})", source.file.display()),
        ),
        status,
    })
}

/// (c) The PyPI release a facade follows against the index's newest.
pub fn pypi(cap: &Cap, index: Option<&str>, cache: &std::path::Path, offline: bool) -> Row {
    let upstream = cap.meta.upstream.as_ref().expect("caller checks upstream");
    let (found, status) = newest(&upstream.pypi, &upstream.version, index, cache, offline);
    Row {
        check: "pypi",
        subject: format!("{}: PyPI {}", cap.package, upstream.pypi),
        expected: upstream.version.clone(),
        found,
        status,
    }
}

/// (e) A locked package against the index's newest. A newer release is told, not
/// failed: the lock is the user's choice until `cargo pylon lock --upgrade`.
pub fn locked(
    name: &str,
    version: &str,
    index: Option<&str>,
    cache: &std::path::Path,
    offline: bool,
) -> Row {
    let (found, status) = newest(name, version, index, cache, offline);
    Row {
        check: "locked",
        subject: format!("pylock.toml: {name}"),
        expected: version.to_string(),
        found,
        status: if status == Status::Behind {
            Status::Newer
        } else {
            status
        },
    }
}

/// The index's newest release of `project` and how `version` stands against it.
fn newest(
    project: &str,
    version: &str,
    index: Option<&str>,
    cache: &std::path::Path,
    offline: bool,
) -> (String, Status) {
    let answer = index
        .map(|i| index::latest(project, i, cache, offline))
        .unwrap_or(Ok(None));
    match answer {
        Ok(Some(latest)) => {
            let status = match (
                index::release_key(version),
                index::release_key(&latest.version),
            ) {
                (Some(ours), Some(theirs)) if ours == theirs => Status::Ok,
                (Some(ours), Some(theirs)) if ours < theirs => Status::Behind,
                (Some(_), Some(_)) => Status::Ahead,
                _ => Status::Unknown,
            };
            (
                format!("{} (latest, from {})", latest.version, latest.source),
                status,
            )
        }
        Ok(None) => (
            "unknown: offline and nothing cached".into(),
            Status::Unknown,
        ),
        Err(err) => (format!("unknown: {err:#}"), Status::Unknown),
    }
}

/// (d) The facade's public modules and names against the upstream release's, read from
/// its distribution (`upstream` is the error when that could not be had).
pub fn api(cap: &Cap, upstream: Result<&Api, &str>, facade: &Api) -> Row {
    let up = cap.meta.upstream.as_ref().expect("caller checks upstream");
    let subject = format!("{}: {} public API", cap.package, up.pypi);
    let expected = format!("{} {}", up.pypi, up.version);
    let upstream = match upstream {
        Ok(api) => api,
        Err(why) => {
            return Row {
                check: "api",
                subject,
                expected,
                found: format!("unknown: {why}"),
                status: Status::Unknown,
            }
        }
    };
    let mut missing = Vec::new();
    for (module, names) in upstream {
        match facade.get(module) {
            None => missing.push(format!("module {module}")),
            Some(have) => {
                let have: BTreeSet<&str> = have.iter().flatten().map(String::as_str).collect();
                missing.extend(
                    names
                        .iter()
                        .flatten()
                        .filter(|n| !have.contains(n.as_str()))
                        .map(|n| format!("{module}.{n}")),
                );
            }
        }
    }
    let modules = upstream.len();
    let names: usize = upstream.values().flatten().map(Vec::len).sum();
    let (found, status) = if missing.is_empty() {
        (format!("all {modules} modules, {names} names"), Status::Ok)
    } else {
        (format!("missing {}", missing.join(", ")), Status::Drift)
    };
    Row {
        check: "api",
        subject,
        expected,
        found,
        status,
    }
}
