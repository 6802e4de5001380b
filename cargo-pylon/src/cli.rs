//! The command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;

#[derive(Debug, Parser)]
#[command(
    name = "cargo pylon",
    bin_name = "cargo pylon",
    version,
    about = "Run CPython as a WebAssembly component with native caps"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new cap that composes and passes its smoke test as written
    New(commands::new::Args),
    /// Build pylon.wasm: CPython with every cap of the workspace composed in
    Compose(commands::compose::Args),
    /// Require Python packages from the package index for the guest, and lock them
    Add(commands::add::Args),
    /// Stop requiring Python packages, and relock
    Remove(commands::remove::Args),
    /// Resolve the workspace's Python requirements into pylock.toml (PEP 751)
    Lock(commands::lock::Args),
    /// Run a Python file (or -c CODE) inside the interpreter component
    Probe(commands::probe::Args),
    /// Serve a WSGI application over wasi:http, or emit it as a wasi:http/proxy component
    Serve(commands::serve::Args),
    /// Run every smoke test (tests/*_smoke.py and each cap's) under the composed interpreter
    Smoke(commands::smoke::Args),
    /// Run CPython's own regression tests (from the pinned source) inside pylon
    Regrtest(commands::regrtest::Args),
    /// Run each cap's upstream project's own test suite (pytest) inside pylon
    UpstreamTest(commands::upstream_test::Args),
    /// Check that everything shipped has an allowed licence and its text in LICENSES/
    CheckLicenses(commands::check_licenses::Args),
    /// Check that versions which must agree do (WIT, wit-bindgen, PyPI originals, ported APIs)
    CheckDrift(commands::check_drift::Args),
    /// Audit the caps' Python side: names import, facades fit the target CPython, no leaks
    Audit(commands::audit::Args),
    /// Show which toolchain parts were found, and how to fix what is missing
    Doctor(commands::doctor::Args),
    /// Measure start-up, compute, compile time, build time and sizes against native CPython
    Bench(commands::bench::Args),
}

impl Cli {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::New(args) => args.run(),
            Command::Compose(args) => args.run(),
            Command::Add(args) => args.run(),
            Command::Remove(args) => args.run(),
            Command::Lock(args) => args.run(),
            Command::Probe(args) => args.run(),
            Command::Serve(args) => args.run(),
            Command::Smoke(args) => args.run(),
            Command::Regrtest(args) => args.run(),
            Command::UpstreamTest(args) => args.run(),
            Command::CheckLicenses(args) => args.run(),
            Command::CheckDrift(args) => args.run(),
            Command::Audit(args) => args.run(),
            Command::Doctor(args) => args.run(),
            Command::Bench(args) => args.run(),
        }
    }
}
