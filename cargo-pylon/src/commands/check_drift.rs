//! `cargo pylon check-drift`: versions that must agree, do.

use std::process::ExitCode;

use anyhow::Result;
use pylon_sys::Home;

use super::output::Output;
use crate::compose::{self, Target};
use crate::drift::{self, Row};
use crate::{capbuild, discover, facts, pypi};

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
        let target = Target::for_workspace(&ws);
        let build = target.out_dir.join("build");
        std::fs::create_dir_all(&build)?;
        let components = compose::build_components(&caps, &target, &build, &target.out_dir.join("compose.log"))?;

        let mut rows: Vec<Row> = Vec::new();
        for (cap, component) in caps.iter().zip(&components) {
            rows.extend(drift::wit(cap, &capbuild::exports(component)?)?);
        }
        rows.extend(drift::crates(&ws)?);
        let mirrored: Vec<_> = caps.iter().copied().filter(|c| c.meta.upstream.is_some()).collect();
        if !mirrored.is_empty() {
            let index = pypi::index_url(ws.settings.pypi_index.as_deref());
            let cache = pypi::cache_dir(&home)?;
            for cap in &mirrored {
                rows.push(drift::pypi(cap, index.as_deref().ok(), &cache, self.offline));
            }
            // Facades are parsed by CPython's own `ast` in the bare interpreter: a drifted
            // cap may not compose, and parsing needs none of the caps.
            let (toolchain, cpython) = compose::base(&home, ws.settings.python.as_deref())?;
            let bare = Target::bare(&cpython);
            let interpreter = compose::compose(&toolchain, cpython, &[], &bare)?;
            let _facts = facts::gather(&interpreter, &mirrored, |_| Vec::new(), home.dir("precompiled")?)?;
        }
        let failed = rows.iter().filter(|r| r.failed()).count();
        self.output.emit(&rows, |rows| {
            println!("{:<7} {:<8} {:<44} {:<28} found", "status", "check", "subject", "expected");
            for row in rows {
                let status = serde_json::to_value(row.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                println!("{status:<7} {:<8} {:<44} {:<28} {}", row.check, row.subject, row.expected, row.found);
            }
            println!("{} checks, {failed} drifted", rows.len());
        })?;
        Ok(if failed > 0 { ExitCode::from(crate::exit::FAILURE) } else { ExitCode::SUCCESS })
    }
}
