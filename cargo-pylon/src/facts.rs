//! Facts about cap facades, read with CPython's own `ast` inside the composed interpreter
//! (a real Python parser, and the very interpreter the facades will run in).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::compose::Composed;
use crate::discover::Cap;
use crate::launch::{Captured, Grant, Launch, Program};

const SCRIPT: &str = include_str!("../runtime/facade_facts.py");

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
pub fn gather(interpreter: &Composed, caps: &[&Cap], modules: impl Fn(&Cap) -> Vec<String>, cache_dir: PathBuf) -> Result<Vec<FacadeFacts>> {
    let staged = tempfile::tempdir().context("cannot make a folder for the facades")?;
    let mut facades = Vec::new();
    for cap in caps {
        let Some(entry) = cap.facade_entry() else { continue };
        let mut files = Vec::new();
        for (from, dest) in cap.facade_files()? {
            let to = staged.path().join(&cap.package).join(&dest);
            std::fs::create_dir_all(to.parent().expect("a file in a folder")).context("cannot stage a facade")?;
            std::fs::copy(&from, &to).with_context(|| format!("cannot read the facade of {} ({})", cap.package, from.display()))?;
            let guest = format!("/facades/{}/{}", cap.package, dest.display());
            if from.extension().is_none_or(|e| e != "py") {
                continue;
            }
            if from == entry {
                files.insert(0, guest);
            } else {
                files.push(guest);
            }
        }
        facades.push(serde_json::json!({ "cap": cap.package, "paths": files, "modules": modules(cap) }));
    }
    if facades.is_empty() {
        return Ok(Vec::new());
    }
    let request = serde_json::json!({ "facades": facades }).to_string();
    let mut launch = Launch::new(interpreter, Program::Code { code: SCRIPT.to_string(), args: vec![request] }, cache_dir);
    launch.timeout = Some(std::time::Duration::from_secs(60));
    launch.grants = vec![Grant { host: staged.path().to_path_buf(), guest: "/facades".into() }];
    let captured = Captured::new(1 << 20);
    launch.capture = Some(captured.clone());
    let code = launch.run()?;
    anyhow::ensure!(code == 0, "reading the facades inside pylon failed:\n{}", captured.stderr_text());
    serde_json::from_str(captured.stdout_text().trim()).context("the facade reader printed no JSON")
}
