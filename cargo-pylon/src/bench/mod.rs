//! Measurements for docs/PERFORMANCE.md, each against a baseline taken in the same run.
//!
//! Start-up is timed as a user sees it: whole processes, `cargo-pylon probe -c ...`
//! against the native build-Python of the same CPython version, median of several runs
//! after warm-up runs.

pub mod bindings;
pub mod compose;
pub mod compute;
pub mod dynlink;
pub mod hashing;
pub mod phases;
pub mod serve;
pub mod stdlib;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::composing::compose::Composed;
use crate::running::launch;

pub struct Row {
    pub what: String,
    pub pylon: String,
    pub baseline: String,
    pub ratio: String,
}

/// Median wall time of each command over `runs` rounds (after two warm-up rounds). The
/// commands take turns within a round, so a drift in the machine's speed hits all alike.
pub(crate) fn median_walls(
    makers: &mut [&mut dyn FnMut() -> Command],
    runs: usize,
) -> Result<Vec<Duration>> {
    let mut trials: Vec<Trial<'_>> = makers
        .iter_mut()
        .map(|make| -> Trial<'_> {
            Box::new(move || {
                let mut cmd = make();
                let started = Instant::now();
                let status = cmd
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .with_context(|| format!("cannot run {cmd:?}"))?;
                let elapsed = started.elapsed();
                if !status.success() {
                    bail!("{cmd:?} failed ({status}) during the benchmark");
                }
                Ok(elapsed)
            })
        })
        .collect();
    median_times(&mut trials, runs)
}

/// One measurement of one thing.
pub(crate) type Trial<'a> = Box<dyn FnMut() -> Result<Duration> + 'a>;

/// Median of what each trial measures over `runs` rounds (after two warm-up rounds), the
/// trials taking turns within a round.
pub(crate) fn median_times(trials: &mut [Trial<'_>], runs: usize) -> Result<Vec<Duration>> {
    let mut times = vec![Vec::with_capacity(runs); trials.len()];
    for round in 0..runs + 2 {
        for (trial, times) in trials.iter_mut().zip(&mut times) {
            let elapsed = trial()?;
            if round >= 2 {
                times.push(elapsed);
            }
        }
    }
    Ok(times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect())
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// How a measured `probe` starts.
#[derive(Clone, Copy)]
pub enum Start {
    /// From the pre-initialized interpreter (the default).
    Preinitialized,
    /// From the cold interpreter (`PYLON_COLD=1`).
    Cold,
}

/// `probe -c CODE` (run by `probe`, a command in a workspace folder) against native
/// `python -c CODE`; both warm (the compiled component cached, files in the page cache).
pub fn start(
    composed: &Composed,
    probe: &mut dyn FnMut() -> Command,
    code: &str,
    start: Start,
    what: &str,
    runs: usize,
) -> Result<Row> {
    let times = median_walls(
        &mut [
            &mut || {
                let mut c = probe();
                c.args(["probe", "-c", code]);
                if let Start::Cold = start {
                    c.env("PYLON_COLD", "1");
                }
                c
            },
            &mut || {
                let mut c = Command::new(composed.cpython.native_python());
                c.args(["-c", code]);
                c
            },
        ],
        runs,
    )?;
    let (pylon, native) = (times[0], times[1]);
    let how = match start {
        Start::Preinitialized => "pre-initialized",
        Start::Cold => "cold (`PYLON_COLD=1`)",
    };
    Ok(Row {
        what: format!("start `probe -c \"{code}\"`, {how}{what} (median of {runs} processes)"),
        pylon: ms(pylon),
        baseline: format!("{} native python", ms(native)),
        ratio: format!("{:.2}x", pylon.as_secs_f64() / native.as_secs_f64()),
    })
}

/// The start-up rows: `pass` and an import line, pre-initialized and cold, and the import
/// line again from a workspace that preloads what it imports.
pub fn starts(composed: &Composed, root: &Path, runs: usize) -> Result<Vec<Row>> {
    const IMPORTS: &str = "import json, re, decimal, asyncio";
    let exe = std::env::current_exe().context("cannot find the running cargo-pylon")?;
    let mut here = || Command::new(&exe);
    let mut rows = Vec::new();
    for code in ["pass", IMPORTS] {
        for how in [Start::Preinitialized, Start::Cold] {
            rows.push(start(composed, &mut here, code, how, "", runs)?);
        }
    }
    let preloaded = compose::Scratch::new(root, &[])?;
    preloaded.edit(
        "Cargo.toml",
        "[workspace.metadata.pylon]\n",
        "[workspace.metadata.pylon]\npreload = [\"json\", \"re\", \"decimal\", \"asyncio\"]\n",
    )?;
    preloaded.pylon(&["compose"])?;
    rows.push(start(
        composed,
        &mut || preloaded.command(&[]),
        IMPORTS,
        Start::Preinitialized,
        " with those modules preloaded",
        runs,
    )?);
    Ok(rows)
}

/// Sandboxes run one after another from one loaded interpreter (pylon-runtime in a
/// long-lived host): `pass` with output captured, pre-initialized and cold.
pub fn sandboxes(composed: &Composed, cache: &Path, runs: usize) -> Result<Vec<Row>> {
    let interpreter = pylon_runtime::Interpreter::load(
        composed.layout.clone(),
        cache.to_path_buf(),
        pylon_runtime::Options::default(),
    )?;
    let starts = [
        (None, "pre-initialized"),
        (
            Some(("PYTHONHASHSEED", "random")),
            "cold (a PYTHON* variable set)",
        ),
    ];
    let mut trials: Vec<Trial<'_>> = starts
        .iter()
        .map(|(env, _)| -> Trial<'_> {
            let interpreter = &interpreter;
            Box::new(move || {
                let mut sandbox = pylon_runtime::Sandbox::new(launch::Program::Code {
                    code: "pass".into(),
                    args: Vec::new(),
                });
                sandbox
                    .env
                    .extend(env.map(|(k, v): (&str, &str)| (k.to_string(), v.to_string())));
                sandbox.capture = Some(launch::Captured::new(1 << 16));
                let started = Instant::now();
                let code = interpreter.run(&sandbox)?;
                let elapsed = started.elapsed();
                if code != 0 {
                    bail!("a `pass` sandbox exited {code} during the benchmark");
                }
                Ok(elapsed)
            })
        })
        .collect();
    let medians = median_times(&mut trials, runs)?;
    let warm = medians[0];
    Ok(starts.iter().zip(&medians).map(|((_, how), time)| Row {
        what: format!("a sandbox created and run with `pass` from a loaded interpreter, {how} (pylon-runtime, median of {runs})"),
        pylon: ms(*time),
        baseline: format!("{} pre-initialized", ms(warm)),
        ratio: format!("{:.1}x", time.as_secs_f64() / warm.as_secs_f64()),
    }).collect())
}

/// Compiling an interpreter component from scratch, as the first run does.
pub fn first_compile(what: &str, component: &Path) -> Result<Row> {
    let bytes =
        std::fs::read(component).with_context(|| format!("cannot read {}", component.display()))?;
    // From scratch, as a first run on a new machine: no function cache.
    let engine = launch::engine::engine(None)?;
    let started = Instant::now();
    launch::engine::precompile(&engine, &bytes)?;
    let secs = started.elapsed().as_secs_f64();
    Ok(Row {
        what: format!("first-run compile of {what}"),
        pylon: format!("{secs:.1} s"),
        baseline: "-".into(),
        ratio: "-".into(),
    })
}

/// The CPython build's step times, as recorded when it ran.
pub fn first_build(composed: &Composed) -> Result<Row> {
    let path = composed.cpython.build_times_file();
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is missing; the build predates timing, remove its folder to rebuild",
            path.display()
        )
    })?;
    let record: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    let steps = record["steps"].as_array().context("no steps recorded")?;
    let total: f64 = steps.iter().filter_map(|s| s["seconds"].as_f64()).sum();
    let detail: Vec<String> = steps
        .iter()
        .map(|s| {
            format!(
                "{} {:.0}s",
                s["step"].as_str().unwrap_or("?"),
                s["seconds"].as_f64().unwrap_or(0.0)
            )
        })
        .collect();
    Ok(Row {
        what: format!(
            "full first CPython build (make -j{})",
            record["jobs"].as_str().unwrap_or("?")
        ),
        pylon: format!("{:.1} min", total / 60.0),
        baseline: detail.join("; "),
        ratio: "-".into(),
    })
}

pub fn size(what: &str, path: &Path) -> Result<Row> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?
        .len();
    Ok(Row {
        what: what.into(),
        pylon: format!("{:.1} MiB", len as f64 / (1 << 20) as f64),
        baseline: "-".into(),
        ratio: "-".into(),
    })
}

pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| measurement | pylon | baseline (same run) | ratio |\n| --- | --- | --- | --- |\n",
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            row.what, row.pylon, row.baseline, row.ratio
        ));
    }
    out
}
