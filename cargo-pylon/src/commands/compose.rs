//! `cargo pylon compose`: build `pylon.wasm` from CPython and the workspace's caps.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use pylon_sys::Home;

use crate::compose;
use crate::discover;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's Cargo.toml (default: the one around the current folder)
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let ws = discover::workspace(self.manifest_path.as_deref())?;
        let composed = compose::workspace(&home, &ws)?;
        let modules: Vec<&str> = composed.caps.iter().filter_map(|c| c.meta.provides.as_ref().map(|p| p.module.as_str())).collect();
        println!(
            "{} ({} cap{}{})",
            composed.wasm.display(),
            composed.caps.len(),
            if composed.caps.len() == 1 { "" } else { "s" },
            if modules.is_empty() { String::new() } else { format!(": {}", modules.join(", ")) }
        );
        Ok(ExitCode::SUCCESS)
    }
}
