//! `cargo pylon check-licenses`: every shipped part has an allowed licence and its text.

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::output::Output;
use crate::checking::licenses::{self, Report};
use crate::composing::compose;
use crate::packages::Refresh;
use crate::workspace::discover;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    output: Output,
    /// Read locked packages' wheels only from the pylon home, never the network
    #[arg(long)]
    offline: bool,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let ws = discover::workspace(None)?;
        let policy = ws.settings.licenses.clone().with_context(|| {
            format!("{}: no licence policy; add [workspace.metadata.pylon.licenses] allow = [\"MIT\", \"Apache-2.0\", ...]", ws.root.join("Cargo.toml").display())
        })?;
        let home = pylon_sys::Home::from_env()?;
        let packages = match ws.settings.requirements.is_empty() {
            true => Vec::new(),
            false => {
                let env = compose::packages(&home, &ws, self.offline)?;
                match env.lock(Refresh::IfStale)? {
                    Some(lock) => env.install(&lock)?,
                    None => Vec::new(),
                }
            }
        };
        let report = licenses::check(
            licenses::gather(&ws, &packages)?,
            &policy.allow,
            &ws.root.join("LICENSES"),
        )?;
        self.output.emit(&report, print_table)?;
        Ok(if report.violations > 0 {
            ExitCode::from(crate::exit::FAILURE)
        } else {
            ExitCode::SUCCESS
        })
    }
}

fn print_table(report: &Report) {
    let mut shipping = BTreeSet::new();
    let mut parts = 0;
    for component in &report.components {
        println!("{}", component.component);
        for verdict in &component.parts {
            parts += 1;
            let who = format!("{} {}", verdict.part.name, verdict.part.version);
            match &verdict.violation {
                None => {
                    shipping.extend(verdict.ships.iter().cloned());
                    println!(
                        "  ok    {who:<44} {:<48} ships {}",
                        verdict.part.license,
                        verdict.ships.join(" AND ")
                    );
                }
                Some(why) => println!("  FAIL  {who:<44} {}\n        {why}", verdict.part.license),
            }
        }
    }
    for id in &report.missing_texts {
        println!("missing text: LICENSES/{id}.txt\n        fix: add the published text of {id} as LICENSES/{id}.txt (REUSE layout)");
    }
    println!(
        "{} components, {parts} parts, {} licences ship ({}); {} violation{}",
        report.components.len(),
        shipping.len(),
        shipping.into_iter().collect::<Vec<_>>().join(", "),
        report.violations,
        if report.violations == 1 { "" } else { "s" }
    );
}
