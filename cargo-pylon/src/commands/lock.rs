//! `cargo pylon lock [--upgrade]`: resolve the requirements into `pylock.toml`.

use std::process::ExitCode;

use anyhow::Result;

use super::add::PackagesArgs;
use crate::packages::Refresh;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Resolve afresh, to the newest releases the requirements allow (without it, a lock
    /// that answers the requirements is kept as it is)
    #[arg(long)]
    upgrade: bool,
    #[command(flatten)]
    common: PackagesArgs,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let refresh = if self.upgrade {
            Refresh::Upgrade
        } else {
            Refresh::IfStale
        };
        self.common.relock(refresh, |current| Ok(current.to_vec()))
    }
}
