//! Measurements for docs/PERFORMANCE.md, each against a baseline taken in the same run.
//!
//! Start-up is timed as a user sees it: whole processes, `cargo-pylon probe -c ...`
//! against the native build-Python of the same CPython version, median of several runs
//! after warm-up runs.

pub mod bindings;
pub mod compose;
pub mod dynlink;
pub mod hashing;
pub mod phases;
pub mod serve;
pub mod stdlib;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::compose::Composed as Interpreter;
use crate::launch;

pub struct Row {
    pub what: String,
    pub pylon: String,
    pub baseline: String,
    pub ratio: String,
}

/// Median wall time of each command over `runs` rounds (after two warm-up rounds). The
/// commands take turns within a round, so a drift in the machine's speed hits all alike.
pub(crate) fn median_walls(makers: &mut [&mut dyn FnMut() -> Command], runs: usize) -> Result<Vec<Duration>> {
    let mut times = vec![Vec::with_capacity(runs); makers.len()];
    for round in 0..runs + 2 {
        for (make, times) in makers.iter_mut().zip(&mut times) {
            let mut cmd = make();
            let started = Instant::now();
            let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().with_context(|| format!("cannot run {cmd:?}"))?;
            let elapsed = started.elapsed();
            if !status.success() {
                bail!("{cmd:?} failed ({status}) during the benchmark");
            }
            if round >= 2 {
                times.push(elapsed);
            }
        }
    }
    Ok(times.into_iter().map(|mut t| {
        t.sort();
        t[t.len() / 2]
    }).collect())
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Warm start of `probe -c CODE` against native `python -c CODE`.
pub fn warm_start(interp: &Interpreter, code: &str, runs: usize) -> Result<Row> {
    let exe = std::env::current_exe().context("cannot find the running cargo-pylon")?;
    let times = median_walls(&mut [
        &mut || { let mut c = Command::new(&exe); c.args(["probe", "-c", code]); c },
        &mut || { let mut c = Command::new(interp.cpython.native_python()); c.args(["-c", code]); c },
    ], runs)?;
    let (pylon, native) = (times[0], times[1]);
    Ok(Row {
        what: format!("warm start `probe -c \"{code}\"` (median of {runs} processes)"),
        pylon: ms(pylon),
        baseline: format!("{} native python", ms(native)),
        ratio: format!("{:.1}x", pylon.as_secs_f64() / native.as_secs_f64()),
    })
}

/// Compiling the interpreter component from scratch, as the first run does.
pub fn cold_compile(interp: &Interpreter) -> Result<Row> {
    let bytes = std::fs::read(&interp.wasm).with_context(|| format!("cannot read {}", interp.wasm.display()))?;
    let engine = launch::engine()?;
    let started = Instant::now();
    launch::precompile(&engine, &bytes)?;
    let secs = started.elapsed().as_secs_f64();
    Ok(Row { what: "first-run compile of the interpreter component".into(), pylon: format!("{secs:.1} s"), baseline: "-".into(), ratio: "-".into() })
}

/// The CPython build's step times, as recorded when it ran.
pub fn first_build(interp: &Interpreter) -> Result<Row> {
    let path = interp.cpython.build_times_file();
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{} is missing; the build predates timing, remove its folder to rebuild", path.display()))?;
    let record: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    let steps = record["steps"].as_array().context("no steps recorded")?;
    let total: f64 = steps.iter().filter_map(|s| s["seconds"].as_f64()).sum();
    let detail: Vec<String> = steps
        .iter()
        .map(|s| format!("{} {:.0}s", s["step"].as_str().unwrap_or("?"), s["seconds"].as_f64().unwrap_or(0.0)))
        .collect();
    Ok(Row {
        what: format!("full first CPython build (make -j{})", record["jobs"].as_str().unwrap_or("?")),
        pylon: format!("{:.1} min", total / 60.0),
        baseline: detail.join("; "),
        ratio: "-".into(),
    })
}

pub fn size(what: &str, path: &Path) -> Result<Row> {
    let len = std::fs::metadata(path).with_context(|| format!("cannot stat {}", path.display()))?.len();
    Ok(Row { what: what.into(), pylon: format!("{:.1} MiB", len as f64 / (1 << 20) as f64), baseline: "-".into(), ratio: "-".into() })
}

pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from("| measurement | pylon | baseline (same run) | ratio |\n| --- | --- | --- | --- |\n");
    for row in rows {
        out.push_str(&format!("| {} | {} | {} | {} |\n", row.what, row.pylon, row.baseline, row.ratio));
    }
    out
}
