//! `cargo pylon remove NAME...`: drop requirements and relock.

use std::process::ExitCode;

use anyhow::Result;

use super::add::PackagesArgs;
use crate::packages::{requirement, Refresh};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Projects to stop requiring (what they alone pulled in leaves the lock too)
    #[arg(required = true, value_name = "NAME")]
    names: Vec<String>,
    #[command(flatten)]
    common: PackagesArgs,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        self.common.relock(Refresh::IfStale, |current| {
            requirement::without(current, &self.names)
        })
    }
}
