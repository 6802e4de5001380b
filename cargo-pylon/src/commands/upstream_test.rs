//! `cargo pylon upstream-test`: each cap's upstream project's own test suite, inside pylon.

use std::process::ExitCode;

use anyhow::{bail, Result};
use pylon_sys::Home;

use crate::running::upstream::{self, Source};
use crate::workspace::manifest::Linkage;
use crate::{composing::compose, workspace::discover};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Caps to test (crate names, such as snappy-cap); all with upstream tests when none
    caps: Vec<String>,
    /// Use only what is cached; never ask the package index
    #[arg(long)]
    offline: bool,
    /// Run the same tests natively instead, on the native build of the same CPython with
    /// the release's own wheel: the baseline to read a run inside pylon against
    #[arg(long)]
    native: bool,
    #[command(flatten)]
    plan: super::PlanArg,
    /// Extra pytest arguments, after `--` (for example `-- -k xof -x`)
    #[arg(last = true)]
    pytest: Vec<String>,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let ws = discover::workspace(None)?;
        for name in &self.caps {
            if !ws.caps.iter().any(|c| &c.package == name) {
                let known: Vec<&str> = ws.caps.iter().map(|c| c.package.as_str()).collect();
                bail!(
                    "no cap named {name:?} in this workspace (caps: {})",
                    known.join(", ")
                );
            }
        }
        let chosen: Vec<_> = ws
            .caps
            .iter()
            .filter(|c| self.caps.is_empty() || self.caps.contains(&c.package))
            .filter(|c| {
                c.meta
                    .upstream
                    .as_ref()
                    .is_some_and(|u| !u.tests.is_empty())
            })
            .collect();
        if chosen.is_empty() {
            bail!("no cap names upstream tests: add `tests` to a cap's [package.metadata.pylon.upstream]");
        }
        let mut composed = compose::workspace(&home, &ws)?;
        self.plan.apply(&mut composed);
        let source = Source::of(&ws, &home, self.offline)?;
        let harness = upstream::harness(&home, &source)?;
        let precompiled = home.dir("precompiled")?;
        let mut results = Vec::new();
        for cap in &chosen {
            let up = cap.meta.upstream.as_ref().expect("filtered on upstream");
            println!(
                "== {}: {} {} (upstream tests) ==",
                cap.package, up.pypi, up.version
            );
            // A package cap's tests are those its build installed, when its wheel has them
            // (numpy's sdist cannot be imported: its generated files are in the build).
            let installed = cap.meta.linkage == Linkage::Package
                && up
                    .tests
                    .iter()
                    .all(|t| composed.site_packages().join(t).exists());
            let sdist = match installed {
                true => None,
                false => Some(upstream::sdist(cap, &home, &source)?),
            };
            let code = if self.native {
                upstream::run_native(
                    &composed.cpython,
                    cap,
                    &home,
                    &source,
                    sdist.as_deref(),
                    &self.pytest,
                )?
            } else {
                upstream::run(
                    &composed,
                    cap,
                    &harness,
                    sdist.as_deref(),
                    &self.pytest,
                    &precompiled,
                )?
            };
            results.push((cap.package.clone(), code));
        }
        let failed: Vec<&str> = results
            .iter()
            .filter(|(_, code)| *code != 0)
            .map(|(name, _)| name.as_str())
            .collect();
        for (name, code) in &results {
            println!(
                "{} {name} (pytest exit {code})",
                if *code == 0 { "PASS" } else { "FAIL" }
            );
        }
        println!(
            "{} passed, {} failed",
            results.len() - failed.len(),
            failed.len()
        );
        Ok(if failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(crate::exit::FAILURE)
        })
    }
}
