//! `cargo pylon add REQUIREMENT...`: Python packages for the guest, resolved and locked.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pylon_sys::Home;

use crate::composing::compose;
use crate::packages::{requirement, Refresh};
use crate::workspace::discover;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// PEP 508 requirements (`flask`, `"rich>=13"`, `"httpx[http2]"`); one naming a
    /// project already required replaces it
    #[arg(required = true, value_name = "REQUIREMENT")]
    requirements: Vec<String>,
    #[command(flatten)]
    common: PackagesArgs,
}

/// What `add`, `remove` and `lock` share.
#[derive(Debug, clap::Args)]
pub struct PackagesArgs {
    /// The workspace's Cargo.toml (default: the one around the current folder)
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Resolve from uv's cache and fetch nothing
    #[arg(long)]
    pub offline: bool,
}

impl PackagesArgs {
    /// Resolve the workspace's requirements as `change` makes them, and tell what moved.
    pub fn relock(
        &self,
        refresh: Refresh,
        change: impl FnOnce(&[String]) -> Result<Vec<String>>,
    ) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let ws = discover::workspace(self.manifest_path.as_deref())?;
        let requirements = change(&ws.settings.requirements)?;
        let env = compose::packages(&home, &ws, self.offline)?;
        // Packages built for the guest are linked into the interpreter now, so that one
        // the link or the signature check refuses leaves the workspace as it was.
        let verify = |lock: &crate::packages::Pylock| -> Result<()> {
            if lock.tool.pylon.as_ref().is_none_or(|t| t.built.is_empty()) {
                return Ok(());
            }
            let ws = discover::workspace(self.manifest_path.as_deref())?;
            compose::workspace(&home, &ws).map(drop).context(
                "the packages built, but the interpreter does not link with them (see above)",
            )
        };
        println!("{}", env.change(requirements, refresh, verify)?);
        Ok(ExitCode::SUCCESS)
    }
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        self.common.relock(Refresh::IfStale, |current| {
            requirement::with(current, &self.requirements)
        })
    }
}
