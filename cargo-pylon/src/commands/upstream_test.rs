//! `cargo pylon upstream-test`: a project's own test suite inside pylon (a cap's upstream
//! project, or a package the workspace locks), or natively beside it.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use pylon_sys::Home;

use crate::packages::index::normalize;
use crate::packages::sdist::Source;
use crate::packages::store::Store;
use crate::packages::Pylock;
use crate::running::upstream::{self, Suite};
use crate::{composing::compose, workspace::discover};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Caps (crate names, such as snappy-cap) or locked packages (such as pyyaml) to
    /// test; every cap with upstream tests, and every locked package whose recipe names
    /// tests, when none
    names: Vec<String>,
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
        let mut composed = compose::workspace(&home, &ws)?;
        self.plan.apply(&mut composed);
        let source = Source::of(ws.settings.pypi_index.as_deref(), &home, self.offline)?;
        let suites = self.suites(&ws, &home, &source, composed.site_packages())?;
        if suites.is_empty() {
            bail!("nothing names upstream tests: add `tests` to a cap's [package.metadata.pylon.upstream], or name a locked package");
        }
        let harness = upstream::harness(&home, &source)?;
        let precompiled = home.dir("precompiled")?;
        let mut results = Vec::new();
        for suite in &suites {
            println!(
                "== {}: {} {} (upstream tests) ==",
                suite.name, suite.project, suite.version
            );
            let code = if self.native {
                upstream::run_native(&composed.cpython, suite, &home, &source, &self.pytest)?
            } else {
                let requires = upstream::requirements(suite, &composed.cpython, &home, &source)?;
                upstream::run(
                    &composed,
                    suite,
                    &harness,
                    requires.as_deref(),
                    &self.pytest,
                    &precompiled,
                )?
            };
            results.push((suite.name.clone(), code));
        }
        let failed = results.iter().filter(|(_, code)| *code != 0).count();
        for (name, code) in &results {
            let verdict = if *code == 0 { "PASS" } else { "FAIL" };
            println!("{verdict} {name} (pytest exit {code})");
        }
        println!("{} passed, {failed} failed", results.len() - failed);
        Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(crate::exit::FAILURE)
        })
    }

    /// The suites named (caps first, then locked packages), or every one there is.
    fn suites(
        &self,
        ws: &discover::Workspace,
        home: &Home,
        source: &Source,
        site: &std::path::Path,
    ) -> Result<Vec<Suite>> {
        let env = compose::packages(home, ws, self.offline)?;
        let lock = Pylock::read(&ws.root)?;
        let packages = lock
            .as_ref()
            .map(|l| l.packages.as_slice())
            .unwrap_or_default();
        let store = Store::new(home)?;
        let package_suite = |package: &crate::packages::lock::Package| -> Result<Suite> {
            let archive = package.sdist.as_ref().with_context(|| {
                format!(
                    "{} {} is locked without an sdist, whose tests would run",
                    package.name, package.version
                )
            })?;
            let sdist = store.fetch(&package.name, archive, self.offline)?;
            Suite::of_package(package, env.recipes.get(&package.name), &sdist, site, home)
        };
        let mut suites = Vec::new();
        if self.names.is_empty() {
            for cap in &ws.caps {
                suites.extend(Suite::of_cap(cap, site, home, source)?);
            }
            for package in packages {
                let named = env
                    .recipes
                    .get(&package.name)
                    .is_some_and(|r| !r.recipe.upstream.tests.is_empty());
                if named {
                    suites.push(package_suite(package)?);
                }
            }
            return Ok(suites);
        }
        for name in &self.names {
            if let Some(cap) = ws.caps.iter().find(|c| &c.package == name) {
                match Suite::of_cap(cap, site, home, source)? {
                    Some(suite) => suites.push(suite),
                    None => bail!(
                        "{}: cap {name} names no upstream tests\n  fix: add `tests` to its [package.metadata.pylon.upstream]",
                        cap.manifest_path.display()
                    ),
                }
            } else if let Some(package) = packages
                .iter()
                .find(|p| normalize(&p.name) == normalize(name))
            {
                suites.push(package_suite(package)?);
            } else {
                let caps: Vec<&str> = ws.caps.iter().map(|c| c.package.as_str()).collect();
                let locked: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
                bail!(
                    "no cap or locked package named {name:?} in this workspace (caps: {}; packages: {})\n  fix: name one of them, or `cargo pylon add {name}` first",
                    caps.join(", "),
                    locked.join(", ")
                );
            }
        }
        Ok(suites)
    }
}
