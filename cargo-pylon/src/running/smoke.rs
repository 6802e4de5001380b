//! Smoke tests: every `tests/*_smoke.py` of the workspace, every cap's smoke and
//! hostile-input files and those of the recipes of the packages it locks, each run under
//! the composed interpreter with the hostile-input helper `pylon_hostile` on its path.
//!
//! A smoke file skips by exiting with [`SKIP_EXIT`] after printing its reason (for
//! example when an optional module is absent); `PYLON_REQUIRE_FAT=1` counts a skip as a
//! failure.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::launch::{Captured, Grant, Launch, Program};
use crate::composing::compose::Composed;

/// The exit code that means "skipped" (automake's convention).
pub const SKIP_EXIT: u8 = 77;
const TIMEOUT: Duration = Duration::from_secs(300);
const OUTPUT_LIMIT: usize = 1 << 20;
const HOSTILE_HELPER: &str = include_str!("../../guest/pylon_hostile.py");
/// Where the helper is mounted in the guest (read by `PYTHONPATH`).
const HELPER_DIR: &str = "/pylon/testing";

pub enum Verdict {
    Pass,
    Fail(String),
    Skip(String),
}

pub struct Outcome {
    pub file: PathBuf,
    pub verdict: Verdict,
    pub seconds: f64,
}

/// The workspace's `tests/*_smoke.py`, then each composed cap's smoke file.
pub fn files(workspace_root: &Path, composed: &Composed) -> Result<Vec<PathBuf>> {
    let dir = workspace_root.join("tests");
    let mut files = Vec::new();
    if dir.is_dir() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let path = entry?.path();
            if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("_smoke.py"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    for cap in &composed.caps {
        files.extend(
            [&cap.meta.smoke, &cap.meta.hostile]
                .into_iter()
                .flatten()
                .map(|s| cap.path(s)),
        );
    }
    Ok(files)
}

/// The smoke and hostile-input files of the recipes of `lock`'s packages, written into
/// `dir` as `<package>_smoke.py` and `<package>_hostile.py`.
pub fn recipe_files(
    lock: &crate::packages::Pylock,
    recipes: &crate::packages::recipe::Recipes,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for package in &lock.packages {
        let Some(recipe) = recipes.get(&package.name) else {
            continue;
        };
        let name = crate::packages::index::normalize(&package.name).replace('-', "_");
        for (kind, file) in [("smoke", &recipe.smoke), ("hostile", &recipe.hostile)] {
            let Some(file) = file else { continue };
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let path = dir.join(format!("{name}_{kind}.py"));
            std::fs::write(&path, &file.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            files.push(path);
        }
    }
    Ok(files)
}

pub fn run(
    composed: &Composed,
    file: &Path,
    cache_dir: &Path,
    require_fat: bool,
) -> Result<Outcome> {
    let started = Instant::now();
    let mut launch = Launch::new(
        composed,
        Program::Script {
            path: file.to_path_buf(),
            args: Vec::new(),
        },
        cache_dir.to_path_buf(),
    );
    launch.sandbox.timeout = Some(TIMEOUT);
    let helper = tempfile::tempdir().context("cannot make a folder for the test helper")?;
    std::fs::write(helper.path().join("pylon_hostile.py"), HOSTILE_HELPER)
        .context("cannot write the test helper")?;
    launch.sandbox.grants = vec![Grant::read_only(helper.path(), HELPER_DIR)];
    launch.sandbox.env = vec![("PYTHONPATH".into(), HELPER_DIR.into())];
    launch.sandbox.env.extend(
        std::env::var("PYLON_HOSTILE_SEED")
            .ok()
            .map(|seed| ("PYLON_HOSTILE_SEED".to_string(), seed)),
    );
    let captured = Captured::new(OUTPUT_LIMIT);
    launch.sandbox.capture = Some(captured.clone());
    let verdict = match launch.run() {
        Ok(0) => Verdict::Pass,
        Ok(SKIP_EXIT) => {
            let reason = last_line(&captured.stdout_text())
                .or_else(|| last_line(&captured.stderr_text()))
                .unwrap_or_default();
            if require_fat {
                Verdict::Fail(format!(
                    "skipped ({reason}), and PYLON_REQUIRE_FAT=1 turns skips into failures"
                ))
            } else {
                Verdict::Skip(reason)
            }
        }
        Ok(code) => Verdict::Fail(format!(
            "exit code {code}\n{}{}",
            captured.stdout_text(),
            captured.stderr_text()
        )),
        Err(err) => Verdict::Fail(format!(
            "{err:#}\n{}{}",
            captured.stdout_text(),
            captured.stderr_text()
        )),
    };
    Ok(Outcome {
        file: file.to_path_buf(),
        verdict,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn last_line(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
}
