//! Facts about cap facades, read with CPython's own `ast` inside the composed interpreter
//! (a real Python parser, and the very interpreter the facades will run in).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::composing::compose::Composed;
use crate::running::launch::{Captured, Grant, Launch, Program};
use crate::workspace::discover::Cap;

const SCRIPT: &str = include_str!("../../guest/facade_facts.py");

#[derive(Debug, Deserialize)]
pub struct FacadeFacts {
    pub cap: String,
    /// Public names (`__all__` when the facade declares it).
    pub public: Vec<String>,
    pub all_declared: bool,
    /// Modules the facade imports.
    pub imports: Vec<String>,
    /// `module.attr` the facade reads from modules it imports.
    pub attributes: Vec<String>,
    /// Identifiers or strings that mention `_dynlink`.
    pub dynlink: Vec<String>,
    /// Public names bound to private modules (`import _x as x`).
    pub private_aliases: Vec<String>,
    /// Each module name the cap provides, and the error importing it raised (if any).
    pub imported: BTreeMap<String, Option<String>>,
}

/// Gather facts for each cap's facade inside `interpreter`; `modules` lists the module
/// names to try importing (only meaningful in an interpreter composed with the caps).
pub fn gather(
    interpreter: &Composed,
    caps: &[&Cap],
    modules: impl Fn(&Cap) -> Vec<String>,
    cache_dir: PathBuf,
) -> Result<Vec<FacadeFacts>> {
    let staged = tempfile::tempdir().context("cannot make a folder for the facades")?;
    let mut facades = Vec::new();
    for cap in caps {
        let Some(entry) = cap.facade_entry() else {
            continue;
        };
        let mut files = Vec::new();
        for (from, dest) in
            crate::composing::stage::copy_facade(cap, &staged.path().join(&cap.package))?
        {
            if from.extension().is_none_or(|e| e != "py") {
                continue;
            }
            let guest = format!("/facades/{}/{}", cap.package, dest.display());
            if from == entry {
                files.insert(0, guest);
            } else {
                files.push(guest);
            }
        }
        facades.push(
            serde_json::json!({ "cap": cap.package, "paths": files, "modules": modules(cap) }),
        );
    }
    if facades.is_empty() {
        return Ok(Vec::new());
    }
    let request = serde_json::json!({ "facades": facades }).to_string();
    let mut launch = Launch::new(
        interpreter,
        Program::Code {
            code: SCRIPT.to_string(),
            args: vec![request],
        },
        cache_dir,
    );
    launch.sandbox.timeout = Some(std::time::Duration::from_secs(60));
    launch.sandbox.grants = vec![Grant::read_only(staged.path(), "/facades")];
    let captured = Captured::new(1 << 20);
    launch.sandbox.capture = Some(captured.clone());
    let code = launch.run()?;
    anyhow::ensure!(
        code == 0,
        "reading the facades inside pylon failed:\n{}",
        captured.stderr_text()
    );
    serde_json::from_str(captured.stdout_text().trim()).context("the facade reader printed no JSON")
}

const MODULE_API: &str = include_str!("../../guest/module_api.py");

/// A package (or module) tree to read the public API of.
pub struct ApiTree {
    pub id: String,
    /// The folder that holds `top` (as a module file or a package folder).
    pub root: PathBuf,
    pub top: String,
    /// Count every name a user can reach (a facade), not only the declared API (upstream).
    pub available: bool,
}

/// Public module -> its public names (`None`: compiled, no stub), per tree id.
pub type Api = BTreeMap<String, Option<Vec<String>>>;

/// The public modules and names of each tree, read with CPython's `ast` inside `interpreter`.
pub fn module_api(
    interpreter: &Composed,
    trees: &[ApiTree],
    cache_dir: PathBuf,
) -> Result<BTreeMap<String, Api>> {
    if trees.is_empty() {
        return Ok(BTreeMap::new());
    }
    let request: Vec<serde_json::Value> = trees
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({ "id": t.id, "root": format!("/api/{i}"), "top": t.top, "available": t.available }))
        .collect();
    let request = serde_json::json!({ "trees": request }).to_string();
    let mut launch = Launch::new(
        interpreter,
        Program::Code {
            code: MODULE_API.to_string(),
            args: vec![request],
        },
        cache_dir,
    );
    launch.sandbox.timeout = Some(std::time::Duration::from_secs(60));
    launch.sandbox.grants = trees
        .iter()
        .enumerate()
        .map(|(i, t)| Grant::read_only(&t.root, format!("/api/{i}")))
        .collect();
    let captured = Captured::new(1 << 20);
    launch.sandbox.capture = Some(captured.clone());
    let code = launch.run()?;
    anyhow::ensure!(
        code == 0,
        "reading module APIs inside pylon failed:\n{}",
        captured.stderr_text()
    );
    serde_json::from_str(captured.stdout_text().trim()).context("the API reader printed no JSON")
}

/// A cap's facade laid out as it is staged (for [`module_api`]), in a temporary folder.
pub fn staged_facade(cap: &Cap) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir().context("cannot make a folder for the facade")?;
    crate::composing::stage::copy_facade(cap, dir.path())?;
    Ok(dir)
}
