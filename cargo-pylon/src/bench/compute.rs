//! `bench --compute`: pyperformance's benchmark functions in pylon and in native CPython
//! of the same source, each runtime in a process of its own, interleaved per benchmark.
//!
//! The benchmarks come from the pinned `pyperformance` sdist (fetched once into the pylon
//! home); guest/compute_driver.py stands in for pyperf, so each process calibrates, warms
//! up and keeps its best of `samples` samples in-process.

use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::Row;
use crate::composing::compose::Composed;
use crate::running::upstream::{self, Source};

/// The pyperformance release the benchmarks are taken from, and its sdist's sha256.
pub const PYPERFORMANCE: (&str, &str) = (
    "1.14.0",
    "91f74393997b604375ad5b79bf569a24076d70181c076a53abad5383a238a8aa",
);

/// The benchmarks measured: interpreter loops, floats, big integers, JSON, regular
/// expressions, generators and SQLite callbacks.
pub const BENCHMARKS: &[&str] = &[
    "nbody",
    "richards",
    "float",
    "fannkuch",
    "spectral_norm",
    "deltablue",
    "chaos",
    "json_dumps",
    "json_loads",
    "regex_effbot",
    "regex_v8",
    "unpack_sequence",
    "generators",
    "pidigits",
    "sqlite_synth",
];

const DRIVER: &str = include_str!("../../guest/compute_driver.py");

/// Where the benchmark files are seen by the guest.
const GUEST_BENCHMARKS: &str = "/bench";

/// One benchmark's result, as the driver prints it.
#[derive(Deserialize)]
struct Measured {
    best: f64,
}

/// A runtime that runs the driver: its name, and its command for a benchmark file (a
/// path under pyperformance's benchmarks folder).
struct Runtime<'a> {
    name: &'a str,
    command: &'a mut dyn FnMut(&str) -> Command,
}

/// Best seconds per loop of each benchmark in `selected` (all when empty), for pylon
/// (`probe`, a command in a workspace folder) and native CPython, and their ratio; a last
/// row with the geometric mean. Each runtime runs `rounds` processes per benchmark, the
/// two taking turns, so a drift in the machine's speed hits both alike.
pub fn rows(
    composed: &Composed,
    probe: &mut dyn FnMut() -> Command,
    home: &pylon_sys::Home,
    source: &Source,
    selected: &[String],
    samples: usize,
    rounds: usize,
) -> Result<Vec<Row>> {
    for name in selected {
        if !BENCHMARKS.contains(&name.as_str()) {
            bail!(
                "`{name}` is not one of the compute benchmarks\n  fix: choose among {}",
                BENCHMARKS.join(", ")
            );
        }
    }
    let (version, sha) = PYPERFORMANCE;
    let sdist = upstream::unpacked("pyperformance", version, sha, home, source)?;
    let benchmarks = sdist.join("pyperformance/data-files/benchmarks");
    let scratch = tempfile::tempdir().context("cannot make a folder for the driver")?;
    let driver = scratch.path().join("compute_driver.py");
    std::fs::write(&driver, DRIVER)
        .with_context(|| format!("cannot write {}", driver.display()))?;
    let grant = format!("{}:{GUEST_BENCHMARKS}:ro", benchmarks.display());
    let native = composed.cpython.native_python();
    let mut runtimes = [
        Runtime {
            name: "native",
            command: &mut |file: &str| {
                let mut c = Command::new(&native);
                c.arg(&driver).arg(benchmarks.join(file));
                c
            },
        },
        Runtime {
            name: "pylon",
            command: &mut |file: &str| {
                let mut c = probe();
                c.args(["probe", "--dir", &grant])
                    .arg(&driver)
                    .arg(format!("{GUEST_BENCHMARKS}/{file}"));
                c
            },
        },
    ];
    let chosen: Vec<&str> = BENCHMARKS
        .iter()
        .copied()
        .filter(|b| selected.is_empty() || selected.iter().any(|s| s == b))
        .collect();
    let mut rows = Vec::new();
    let mut ratios = Vec::new();
    for (i, name) in chosen.iter().enumerate() {
        let file = format!("bm_{name}/run_benchmark.py");
        let mut best = vec![f64::INFINITY; runtimes.len()];
        for round in 1..=rounds {
            for (runtime, best) in runtimes.iter_mut().zip(&mut best) {
                eprintln!(
                    "pylon bench: [{}/{}] {name} in {} (round {round} of {rounds})",
                    i + 1,
                    chosen.len(),
                    runtime.name
                );
                let mut command = (runtime.command)(&file);
                command.arg(samples.to_string());
                *best = best.min(measure(&mut command, name, runtime.name)?);
            }
        }
        let ratio = best[1] / best[0];
        ratios.push(ratio);
        rows.push(Row {
            what: format!(
                "compute `{name}` (per loop; best of {rounds} processes of {samples} samples each)"
            ),
            pylon: seconds(best[1]),
            baseline: format!("{} native python", seconds(best[0])),
            ratio: format!("{ratio:.2}x"),
        });
    }
    let mean = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
    let worst = ratios.iter().copied().fold(0.0, f64::max);
    rows.push(Row {
        what: format!(
            "compute: geometric mean of the {} benchmarks above (pyperformance {version})",
            ratios.len()
        ),
        pylon: "-".into(),
        baseline: format!("worst {worst:.2}x"),
        ratio: format!("{mean:.2}x"),
    });
    Ok(rows)
}

/// The best time per loop the driver reports for `name`, run by `command`.
fn measure(command: &mut Command, name: &str, runtime: &str) -> Result<f64> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "the `{name}` benchmark failed in {runtime} ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .with_context(|| {
            format!("the `{name}` benchmark printed no result in {runtime}:\n{stdout}")
        })?;
    let measured: Measured = serde_json::from_str(line).with_context(|| {
        format!("the `{name}` benchmark's result in {runtime} is not JSON: {line}")
    })?;
    Ok(measured.best)
}

/// A time per loop in the unit that fits it.
fn seconds(secs: f64) -> String {
    match secs {
        s if s >= 1.0 => format!("{s:.2} s"),
        s if s >= 1e-3 => format!("{:.2} ms", s * 1e3),
        s if s >= 1e-6 => format!("{:.2} µs", s * 1e6),
        s => format!("{:.1} ns", s * 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_unit_that_fits() {
        assert_eq!(seconds(1.5), "1.50 s");
        assert_eq!(seconds(0.0123), "12.30 ms");
        assert_eq!(seconds(3.6e-6), "3.60 µs");
        assert_eq!(seconds(5.7e-8), "57.0 ns");
    }
}
