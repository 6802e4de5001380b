//! Plugging cap components into the interpreter component with wac-graph.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

use super::cext::Build;
use super::{buildinfo, providers};
use crate::support::stamp::{Fingerprint, Stamp};
use crate::workspace::discover::Cap;
use crate::workspace::manifest::Linkage;

/// Satisfy the interpreter's imports with the caps' exports; the result exports what the
/// interpreter exports (wasi:cli/run).
pub fn plug(interpreter: &[u8], caps: &[(String, PathBuf)]) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let socket = Package::from_bytes(
        "pylon:interpreter",
        None,
        interpreter.to_vec(),
        graph.types_mut(),
    )
    .context("the interpreter is not a component wac-graph can read")?;
    let socket = graph.register_package(socket)?;
    let mut plugs = Vec::new();
    for (name, path) in caps {
        let package = Package::from_file(&format!("pylon:{name}"), None, path, graph.types_mut())
            .with_context(|| format!("cannot read the component {}", path.display()))?;
        plugs.push(graph.register_package(package)?);
    }
    wac_graph::plug(&mut graph, plugs, socket)
        .context("plugging the caps into the interpreter failed")?;
    graph
        .encode(EncodeOptions::default())
        .context("encoding the composed interpreter failed")
}

/// Non-WASI imports of a component: what is still unsatisfied after plugging.
pub fn foreign_imports(component: &[u8]) -> Result<BTreeSet<String>> {
    let imports = super::inspect::interfaces(component)
        .context("cannot inspect the composed interpreter")?
        .imports;
    Ok(imports
        .into_iter()
        .filter(|name| !super::inspect::is_host_provided(name))
        .collect())
}

/// Fail, naming the interface, the version wanted and what was offered.
pub fn check_satisfied(unsatisfied: &BTreeSet<String>, offered: &BTreeSet<String>) -> Result<()> {
    let Some(first) = unsatisfied.iter().next() else {
        return Ok(());
    };
    let base = first.split('@').next().unwrap_or(first);
    let same_interface: Vec<&String> = offered
        .iter()
        .filter(|o| o.split('@').next() == Some(base))
        .collect();
    let offer = if same_interface.is_empty() {
        format!("no cap exports {base} at all (offered: {})", list(offered))
    } else {
        format!(
            "caps offer {}",
            same_interface
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    bail!("the interpreter imports {first}, which no static cap satisfies: {offer}\n  fix: make the WIT package versions agree, or add the cap that exports it")
}

fn list(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "nothing".into()
    } else {
        set.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// `pylon.wasm`: the interpreter with the static caps plugged in, and the plan for the
/// dynlink ones; an import nobody satisfies is an error here, before any run.
pub fn compose(
    build: &Build,
    built: &[(&Cap, &PathBuf)],
    statics: &[(String, PathBuf)],
    interpreter: &Path,
    offered: &BTreeSet<String>,
    link_key: &str,
    caps: &[&Cap],
) -> Result<()> {
    let output = &build.target.output;
    let mut fp = Fingerprint::new("plug");
    fp.text(link_key);
    for (cap, component) in built {
        fp.text(&format!("{:?}", cap.meta.linkage))
            .file(component)?;
    }
    let plugged = Stamp::new(&build.target.out_dir, "pylon.wasm", &fp);
    let dynlinks: Vec<providers::Dynlink> = built
        .iter()
        .filter(|(c, _)| c.meta.linkage == Linkage::Dynlink)
        .map(|(cap, component)| providers::Dynlink { cap, component })
        .collect();
    let plan_path = pylon_runtime::plan::beside(output);
    let written: Vec<&Path> = std::iter::once(output.as_path())
        .chain((!dynlinks.is_empty()).then_some(plan_path.as_path()))
        .collect();
    if plugged.fresh(&written) && providers::intact(&dynlinks, output) {
        return Ok(());
    }
    let step = Step::start("compose pylon.wasm").log_to(&build.log)?;
    let bytes = std::fs::read(interpreter)
        .with_context(|| format!("cannot read {}", interpreter.display()))?;
    let composed = if statics.is_empty() {
        bytes
    } else {
        plug(&bytes, statics)?
    };
    let unsatisfied = foreign_imports(&composed)?;
    let plan = providers::stage(&dynlinks, &unsatisfied, output, &composed)?;
    let claimed = providers::claimed(plan.as_ref());
    check_satisfied(
        &unsatisfied.difference(&claimed).cloned().collect(),
        offered,
    )?;
    crate::support::fs::write_atomically(output, &composed)?;
    if let Some(plan) = &plan {
        plan.write(&plan_path)?;
    }
    step.finish();
    plugged.record()?;
    buildinfo::write_manifest(build, caps, built)
}
