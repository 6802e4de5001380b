//! `cargo pylon bench`: the measurements behind docs/PERFORMANCE.md.

use std::process::ExitCode;

use anyhow::Result;
use pylon_sys::Home;

use crate::{bench, interpreter};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Timed runs per start-up measurement (after two warm-up runs)
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let interp = interpreter::prepare(&home)?;
        let rows = vec![
            bench::warm_start(&interp, "pass", self.runs)?,
            bench::warm_start(&interp, "import json, re, decimal, asyncio", self.runs)?,
            bench::cold_compile(&interp)?,
            bench::first_build(&interp)?,
            bench::size("composed interpreter (pylon.wasm)", &interp.wasm)?,
            bench::size("interpreter core module (python.wasm)", &interp.cpython.interpreter())?,
        ];
        print!("{}", bench::markdown(&rows));
        Ok(ExitCode::SUCCESS)
    }
}
