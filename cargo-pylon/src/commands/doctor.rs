//! `cargo pylon doctor`: what toolchain was found, and how to fix what is missing.

use std::process::ExitCode;

use anyhow::Result;
use pylon_sys::toolchain::{self, State};
use pylon_sys::{Cpython, Home, Profile, Toolchain};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Install and assemble what is missing (apt packages as root, rust targets, the
    /// wasi-sdk folder) instead of only reporting it
    #[arg(long)]
    fix: bool,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        if self.fix {
            Toolchain::ensure(&home)?;
        }
        println!("pylon home: {}", home.root().display());
        let mut missing = 0;
        for check in toolchain::inspect(&home)? {
            match check.state {
                State::Found { at, version } => {
                    println!("  ok       {:<30} {at}  {version}", check.part)
                }
                State::Missing { fix } => {
                    missing += 1;
                    println!("  MISSING  {:<30} fix: {fix}", check.part);
                }
            }
        }
        let profile = Profile::from_env()?;
        let built =
            Toolchain::ensure_found(&home).and_then(|tc| Cpython::find(&home, profile, &tc));
        match built {
            Some(cpython) => println!(
                "  ok       {:<30} {}",
                format!("CPython {} (WASI)", profile.version),
                cpython.root.display()
            ),
            None => println!(
                "  pending  {:<30} built once on the first `cargo pylon probe` or `compose`",
                format!("CPython {} (WASI)", profile.version)
            ),
        }
        if missing > 0 {
            println!("\n{missing} part(s) missing; `cargo pylon doctor --fix` installs them (apt packages need root)");
            return Ok(ExitCode::from(crate::exit::FAILURE));
        }
        Ok(ExitCode::SUCCESS)
    }
}
