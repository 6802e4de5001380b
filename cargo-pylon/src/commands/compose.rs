//! `cargo pylon compose`: build `pylon.wasm` from CPython and the workspace's caps.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use pylon_sys::Home;

use crate::composing::compose;
use crate::workspace::discover;
use crate::workspace::manifest::Linkage;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's Cargo.toml (default: the one around the current folder)
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Keep DWARF in pylon.wasm for stepping through C (set PYLON_DEBUG=1 or
    /// `[workspace.metadata.pylon] debug = true` so that later probes keep it too)
    #[arg(long)]
    debug: bool,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let mut ws = discover::workspace(self.manifest_path.as_deref())?;
        ws.settings.debug |= self.debug;
        let composed = compose::workspace(&home, &ws)?;
        let modules = |linkage: Linkage| -> Vec<&str> {
            composed
                .caps
                .iter()
                .filter(|c| c.meta.linkage == linkage)
                .map(|c| {
                    c.meta
                        .provides
                        .as_ref()
                        .map_or_else(|| c.module().unwrap_or(&c.package), |p| p.module.as_str())
                })
                .collect()
        };
        let (statics, dynlinks) = (modules(Linkage::Static), modules(Linkage::Dynlink));
        let count = composed.caps.len();
        let mut summary = format!("{count} cap{}", if count == 1 { "" } else { "s" });
        let groups = [
            ("composed in", &statics),
            ("in the interpreter", &modules(Linkage::Interpreter)),
            ("built from source", &modules(Linkage::Package)),
            ("linked at launch", &dynlinks),
        ];
        let shown: Vec<String> = groups
            .iter()
            .filter(|(_, names)| !names.is_empty())
            .map(|(how, names)| format!("{} {how}", names.join(", ")))
            .collect();
        if !shown.is_empty() {
            summary += &format!(": {}", shown.join("; "));
        }
        println!("{} ({summary})", composed.layout.component.display());
        let preloaded = if ws.settings.preload.is_empty() {
            String::new()
        } else {
            format!(", with {} preloaded", ws.settings.preload.join(", "))
        };
        println!(
            "{} (the same, pre-initialized{preloaded}: runs start from it)",
            composed.preinit().display()
        );
        if let Some(plan) = &composed.layout.plan {
            println!(
                "{} (linked at launch: {})",
                plan.display(),
                dynlinks.join(", ")
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
