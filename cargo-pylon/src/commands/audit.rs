//! `cargo pylon audit`: what caps show Python users is sound (fast: one compose check and
//! one run inside pylon).

use std::process::ExitCode;

use anyhow::Result;
use pylon_sys::Home;

use super::output::Output;
use crate::checking::audit;
use crate::{checking::facts, composing::interpreter, workspace::discover};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    output: Output,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let ws = discover::workspace(None)?;
        // Composing proves every path in the manifests resolves and every import is satisfied.
        let composed = interpreter::prepare(&home)?;
        let caps: Vec<_> = composed.caps.iter().collect();
        let facts = facts::gather(
            &composed,
            &caps,
            audit::provided_modules,
            home.dir("precompiled")?,
        )?;
        let mut findings = Vec::new();
        for cap in &ws.caps {
            findings.extend(audit::check(
                cap,
                facts.iter().find(|f| f.cap == cap.package),
            ));
        }
        let failed = findings.iter().filter(|f| !f.ok).count();
        self.output.emit(&findings, |findings| {
            for f in findings {
                println!(
                    "{} {:<16} {:<15} {}",
                    if f.ok { "ok  " } else { "FAIL" },
                    f.cap,
                    f.check,
                    f.detail
                );
            }
            println!("{} checks, {failed} failed", findings.len());
        })?;
        Ok(if failed > 0 {
            ExitCode::from(crate::exit::FAILURE)
        } else {
            ExitCode::SUCCESS
        })
    }
}
