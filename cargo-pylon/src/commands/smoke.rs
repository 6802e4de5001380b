//! `cargo pylon smoke`: every smoke test under the composed interpreter.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use pylon_sys::Home;

use crate::composing::compose;
use crate::running::smoke::{self, Verdict};
use crate::workspace::discover;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    plan: super::PlanArg,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let ws = discover::workspace(None)?;
        let mut composed = compose::workspace(&home, &ws)?;
        self.plan.apply(&mut composed);
        let mut files = smoke::files(&ws.root, &composed)?;
        // The recipes' files, written where the run can read them (shown by their name).
        let recipes_dir = tempfile::tempdir().context("cannot make a folder for recipes' tests")?;
        if let Some(lock) = crate::packages::Pylock::read(&ws.root)? {
            let env = compose::packages(&home, &ws, false)?;
            files.extend(smoke::recipe_files(
                &lock,
                &env.recipes,
                recipes_dir.path(),
            )?);
        }
        if files.is_empty() {
            bail!("no smoke tests found: add tests/<name>_smoke.py or a cap's `smoke` file");
        }
        let require_fat = std::env::var("PYLON_REQUIRE_FAT").is_ok_and(|v| v == "1");
        let cache = home.dir("precompiled")?;
        let (mut passed, mut failed, mut skipped) = (0, 0, 0);
        for file in files {
            let outcome = smoke::run(&composed, &file, &cache, require_fat)?;
            let shown = match outcome.file.strip_prefix(recipes_dir.path()) {
                Ok(name) => format!("recipe {}", name.display()),
                Err(_) => outcome
                    .file
                    .strip_prefix(&ws.root)
                    .unwrap_or(&outcome.file)
                    .display()
                    .to_string(),
            };
            match outcome.verdict {
                Verdict::Pass => {
                    passed += 1;
                    println!("PASS {shown} ({:.2}s)", outcome.seconds);
                }
                Verdict::Skip(reason) => {
                    skipped += 1;
                    println!("SKIP {shown}: {reason}");
                }
                Verdict::Fail(detail) => {
                    failed += 1;
                    println!(
                        "FAIL {shown} ({:.2}s)\n{}",
                        outcome.seconds,
                        indent(&detail)
                    );
                }
            }
        }
        let skips = if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        };
        println!("{passed} passed, {failed} failed{skips}");
        Ok(if failed > 0 {
            ExitCode::from(crate::exit::FAILURE)
        } else {
            ExitCode::SUCCESS
        })
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
