//! `cargo pylon check-drift`: versions that must agree, do.

use std::process::ExitCode;

use anyhow::{Context, Result};
use pylon_sys::Home;

use super::output::Output;
use crate::checking::drift::{self, Row};
use crate::checking::facts::ApiTree;
use crate::composing::compose::{self, Target};
use crate::packages::sdist::Source;
use crate::{checking::facts, composing::capbuild, workspace::discover};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Answer PyPI questions from the cache only
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    output: Output,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let ws = discover::workspace(None)?;
        let caps: Vec<_> = ws.caps.iter().collect();
        let target = Target::for_workspace(&home, &ws);
        let build = target.out_dir.join("build");
        std::fs::create_dir_all(&build)?;
        // Library and package caps have no component, hence no WIT to compare.
        let with_components: Vec<_> = caps
            .iter()
            .copied()
            .filter(|c| c.meta.linkage.has_component())
            .collect();
        let components = capbuild::build_components(
            &with_components,
            &target,
            &build,
            &target.out_dir.join("compose.log"),
        )?;

        let mut rows: Vec<Row> = Vec::new();
        for (cap, component) in with_components.iter().zip(&components) {
            rows.extend(drift::wit(cap, &capbuild::exports(component)?)?);
        }
        rows.extend(drift::crates(&ws)?);
        rows.extend(caps.iter().filter_map(|cap| drift::library(cap)));
        let locked = crate::packages::Pylock::read(&ws.root)?;
        let mirrored: Vec<_> = caps
            .iter()
            .copied()
            .filter(|c| c.meta.upstream.is_some())
            .collect();
        let source = if locked.is_some() || !mirrored.is_empty() {
            Some(Source::of(
                ws.settings.pypi_index.as_deref(),
                &home,
                self.offline,
            )?)
        } else {
            None
        };
        if let (Some(lock), Some(source)) = (&locked, &source) {
            for package in &lock.packages {
                rows.push(drift::locked(
                    &package.name,
                    &package.version,
                    source.index.as_deref(),
                    &source.cache,
                    self.offline,
                ));
            }
        }
        if let (false, Some(source)) = (mirrored.is_empty(), &source) {
            for cap in &mirrored {
                rows.push(drift::pypi(
                    cap,
                    source.index.as_deref(),
                    &source.cache,
                    self.offline,
                ));
            }
            // Facades are parsed by CPython's own `ast` in the bare interpreter: a drifted
            // cap may not compose, and parsing needs none of the caps.
            let (toolchain, cpython) = compose::base(&home, ws.settings.python.as_deref())?;
            let bare = Target::bare(&home, &cpython);
            let interpreter = compose::compose(&toolchain, cpython, &[], &bare)?;
            // The upstream release's API, read from its wheel, against each facade's.
            let mut trees = Vec::new();
            let mut staged = Vec::new();
            let mut wheels = Vec::new();
            for cap in &mirrored {
                let Some(provides) = &cap.meta.provides else {
                    continue;
                };
                let facade = facts::staged_facade(cap)?;
                trees.push(ApiTree {
                    id: format!("facade {}", cap.package),
                    root: facade.path().to_path_buf(),
                    top: provides.module.clone(),
                    available: true,
                });
                staged.push(facade);
                let upstream = cap
                    .meta
                    .upstream
                    .as_ref()
                    .context("a mirrored cap has an upstream")?;
                let wheel =
                    crate::packages::sdist::wheel(&upstream.pypi, &upstream.version, &home, source)
                        .map_err(|e| format!("{e:#}"));
                if let Ok(dir) = &wheel {
                    trees.push(ApiTree {
                        id: format!("upstream {}", cap.package),
                        root: dir.clone(),
                        top: provides.module.clone(),
                        available: false,
                    });
                }
                wheels.push((cap, wheel));
            }
            let apis = facts::module_api(&interpreter, &trees, home.dir("precompiled")?)?;
            for (cap, wheel) in wheels {
                let facade = apis
                    .get(&format!("facade {}", cap.package))
                    .cloned()
                    .unwrap_or_default();
                let upstream = match &wheel {
                    Ok(_) => apis
                        .get(&format!("upstream {}", cap.package))
                        .ok_or("the API reader skipped it"),
                    Err(why) => Err(why.as_str()),
                };
                rows.push(drift::api(cap, upstream, &facade));
            }
        }
        let failed = rows.iter().filter(|r| r.failed()).count();
        self.output.emit(&rows, |rows| {
            println!(
                "{:<7} {:<8} {:<44} {:<28} found",
                "status", "check", "subject", "expected"
            );
            for row in rows {
                let status = serde_json::to_value(row.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                println!(
                    "{status:<7} {:<8} {:<44} {:<28} {}",
                    row.check, row.subject, row.expected, row.found
                );
            }
            println!("{} checks, {failed} drifted", rows.len());
        })?;
        Ok(if failed > 0 {
            ExitCode::from(crate::exit::FAILURE)
        } else {
            ExitCode::SUCCESS
        })
    }
}
