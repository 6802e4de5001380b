//! Smoke tests: every `tests/*_smoke.py` of the workspace and every cap's smoke file,
//! each run under the composed interpreter.
//!
//! A smoke file skips by exiting with [`SKIP_EXIT`] after printing its reason (for
//! example when an optional module is absent); `PYLON_REQUIRE_FAT=1` counts a skip as a
//! failure.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::compose::Composed;
use crate::launch::{Captured, Launch, Program};

/// The exit code that means "skipped" (automake's convention).
pub const SKIP_EXIT: u8 = 77;
const TIMEOUT: Duration = Duration::from_secs(300);
const OUTPUT_LIMIT: usize = 1 << 20;

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
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let path = entry?.path();
            if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("_smoke.py")) {
                files.push(path);
            }
        }
    }
    files.sort();
    files.extend(composed.caps.iter().filter_map(|cap| cap.meta.smoke.as_ref().map(|s| cap.path(s))));
    Ok(files)
}

pub fn run(composed: &Composed, file: &Path, cache_dir: &Path, require_fat: bool) -> Result<Outcome> {
    let started = Instant::now();
    let mut launch = Launch::new(composed, Program::Script { path: file.to_path_buf(), args: Vec::new() }, cache_dir.to_path_buf());
    launch.timeout = Some(TIMEOUT);
    let captured = Captured::new(OUTPUT_LIMIT);
    launch.capture = Some(captured.clone());
    let verdict = match launch.run() {
        Ok(0) => Verdict::Pass,
        Ok(SKIP_EXIT) => {
            let reason = last_line(&captured.stdout_text()).or_else(|| last_line(&captured.stderr_text())).unwrap_or_default();
            if require_fat {
                Verdict::Fail(format!("skipped ({reason}), and PYLON_REQUIRE_FAT=1 turns skips into failures"))
            } else {
                Verdict::Skip(reason)
            }
        }
        Ok(code) => Verdict::Fail(format!("exit code {code}\n{}{}", captured.stdout_text(), captured.stderr_text())),
        Err(err) => Verdict::Fail(format!("{err:#}\n{}{}", captured.stdout_text(), captured.stderr_text())),
    };
    Ok(Outcome { file: file.to_path_buf(), verdict, seconds: started.elapsed().as_secs_f64() })
}

fn last_line(text: &str) -> Option<String> {
    text.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string())
}
