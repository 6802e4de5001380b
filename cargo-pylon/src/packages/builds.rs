//! A lock's compiled packages built for the guest, each after the packages it builds
//! against (pandas after numpy, whose guest headers its build needs).

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;

use super::compiled::{self, Built, Job, Prepared};
use super::lock::{Archive, Package};
use super::requirement::name;
use super::store::Store;
use super::Env;

/// A package to compile, and its build requirements when the lock pins them.
pub struct Wanted<'a> {
    pub package: &'a Package,
    pub sdist: &'a Archive,
    pub pins: Option<Vec<String>>,
}

/// A package whose sdist is fetched and whose build requirements are pinned.
struct Ready<'a> {
    package: &'a Package,
    sdist: std::path::PathBuf,
    sha: &'a str,
    pins: Vec<String>,
    prepared: Option<Prepared>,
}

/// What became of one package.
pub struct Outcome<'a> {
    pub package: &'a Package,
    pub built: Result<Built>,
}

/// Build every `wanted` package (resolving build requirements the lock does not pin),
/// build requirements first; `constraints` are the guest lock's versions. A package whose
/// build, or whose build requirement's build, fails has the error as its outcome.
pub fn build_all<'a>(
    env: &Env,
    store: &Store,
    wanted: Vec<Wanted<'a>>,
    constraints: &[String],
) -> Result<Vec<Outcome<'a>>> {
    let guest = &env.guest;
    // Sdists fetched and, where the lock pins nothing, prepared (which pins).
    let mut ready: Vec<Ready> = Vec::new();
    let mut outcomes = Vec::new();
    for w in wanted {
        let fetched = store
            .fetch(&w.package.name, w.sdist, guest.offline)
            .and_then(|path| {
                let sha = w.sdist.sha256().context("a locked sdist has a sha256")?;
                Ok((path, sha))
            });
        let (path, sha) = match fetched {
            Ok(found) => found,
            Err(e) => {
                outcomes.push(Outcome {
                    package: w.package,
                    built: Err(e),
                });
                continue;
            }
        };
        match w.pins {
            Some(pins) => ready.push(Ready {
                package: w.package,
                sdist: path,
                sha,
                pins,
                prepared: None,
            }),
            None => {
                let job = job(env, w.package, &path, sha, constraints);
                let log = guest.home.logs()?.join(format!(
                    "build-{}-{}.log",
                    super::index::normalize(&w.package.name),
                    w.package.version
                ));
                let step = Step::start(format!(
                    "prepare {} {} (build requirements)",
                    w.package.name, w.package.version
                ))
                .log_to(&log)?;
                match compiled::prepare(guest, &job, None, &step) {
                    Ok(prepared) => {
                        step.finish();
                        let pins = prepared.pins().to_vec();
                        ready.push(Ready {
                            package: w.package,
                            sdist: path,
                            sha,
                            pins,
                            prepared: Some(prepared),
                        });
                    }
                    Err(e) => outcomes.push(Outcome {
                        package: w.package,
                        built: Err(e.context(format!("the build's log: {}", log.display()))),
                    }),
                }
            }
        }
    }
    let mut done: BTreeMap<String, Result<Built, String>> = outcomes
        .iter()
        .map(|o| (key(&o.package.name), Err(o.package.name.clone())))
        .collect();
    // Every package compiled here, as build requirements name them.
    let names: Vec<String> = ready
        .iter()
        .map(|r| key(&r.package.name))
        .chain(done.keys().cloned())
        .collect();
    while !ready.is_empty() {
        // The next package whose build requirements among these are all done.
        let next = ready.iter().position(|r| {
            deps_of(&r.pins, &names, &r.package.name)
                .iter()
                .all(|d| done.contains_key(d))
        });
        let Some(next) = next else {
            let names: Vec<&str> = ready.iter().map(|r| r.package.name.as_str()).collect();
            bail!(
                "these packages need each other to build: {}",
                names.join(", ")
            );
        };
        let Ready {
            package,
            sdist,
            sha,
            pins,
            prepared,
        } = ready.remove(next);
        let deps = deps_of(&pins, &names, &package.name);
        let failed: Vec<&String> = deps
            .iter()
            .filter(|d| done.get(*d).is_some_and(|r| r.is_err()))
            .collect();
        let built = if let Some(dep) = failed.first() {
            Err(anyhow::anyhow!("its build needs {dep}, whose build failed"))
        } else {
            let deps: Vec<&Built> = deps
                .iter()
                .filter_map(|d| done.get(d).and_then(|r| r.as_ref().ok()))
                .collect();
            let job = job(env, package, &sdist, sha, constraints);
            compiled::build(guest, &job, &pins, prepared, &deps)
        };
        done.insert(
            key(&package.name),
            built
                .as_ref()
                .map(Clone::clone)
                .map_err(|_| package.name.clone()),
        );
        outcomes.push(Outcome { package, built });
    }
    Ok(outcomes)
}

fn key(name: &str) -> String {
    super::index::normalize(name)
}

/// The packages among `names` (normalized) that `pins` name, but `own`.
fn deps_of(pins: &[String], names: &[String], own: &str) -> Vec<String> {
    let own = key(own);
    pins.iter()
        .filter_map(|p| name(p).ok())
        .filter(|n| *n != own && names.contains(n))
        .collect()
}

fn job<'a>(
    env: &'a Env,
    package: &'a Package,
    sdist: &'a std::path::Path,
    sha: &'a str,
    constraints: &'a [String],
) -> Job<'a> {
    Job {
        project: &package.name,
        version: &package.version,
        sdist,
        sha256: sha,
        recipe: env.recipes.get(&package.name),
        constraints,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_package_depends_on_the_compiled_packages_its_build_requires() {
        let names = vec!["numpy".to_string(), "pandas".to_string()];
        let pins = vec![
            "Cython==3.2.9".to_string(),
            "numpy==2.5.5".to_string(),
            "meson-python==0.22.1".to_string(),
        ];
        assert_eq!(super::deps_of(&pins, &names, "pandas"), ["numpy"]);
        assert!(super::deps_of(&["numpy==2.5.5".into()], &names, "NumPy").is_empty());
    }
}
