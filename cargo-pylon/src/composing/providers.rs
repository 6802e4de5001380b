//! Dynlink caps at compose time: their components are kept beside `pylon.wasm` as
//! providers, checked for what runtime linking needs, and listed in the plan.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::workspace::discover::Cap;
use pylon_runtime::plan::{self, Import, Part, Plan, Provider};

/// A dynlink cap and its built component.
pub struct Dynlink<'a> {
    pub cap: &'a Cap,
    pub component: &'a Path,
}

/// Copy the providers beside `output` and return the plan linking them to the imports in
/// `unsatisfied` (what plugging the static caps left open). Providers must import only
/// WASI and hold no state (no resources), and no two may export the same import.
pub fn stage(
    dynlinks: &[Dynlink],
    unsatisfied: &BTreeSet<String>,
    output: &Path,
    interpreter: &[u8],
) -> Result<Option<Plan>> {
    let dir = plan::providers_dir(output);
    if dynlinks.is_empty() {
        remove_stale(&plan::beside(output), &dir)?;
        return Ok(None);
    }
    let mut providers = Vec::new();
    let mut claimed: BTreeSet<String> = BTreeSet::new();
    let mut kept = BTreeSet::new();
    for dynlink in dynlinks {
        let cap = dynlink.cap;
        let bytes = std::fs::read(dynlink.component)
            .with_context(|| format!("cannot read {}", dynlink.component.display()))?;
        let interfaces = super::inspect::interfaces(&bytes)
            .with_context(|| format!("cannot inspect {}", dynlink.component.display()))?;
        let fix = format!(
            "  fix: set linkage = \"static\" in {}",
            cap.manifest_path.display()
        );
        if let Some(resource) = interfaces.exported_resources.iter().next() {
            bail!("cap {}: linkage = \"dynlink\", but its component exports the resource {resource}; runtime-linked providers must be stateless\n{fix}", cap.package);
        }
        if let Some(import) = interfaces
            .imports
            .iter()
            .find(|i| !super::inspect::is_wasi(i))
        {
            bail!("cap {}: linkage = \"dynlink\", but its component imports {import}; runtime-linked providers may import only WASI\n{fix}", cap.package);
        }
        let satisfies: Vec<Import> = interfaces
            .exports
            .iter()
            .filter(|e| unsatisfied.contains(*e))
            .map(|e| Import::parse(e))
            .collect();
        for import in &satisfies {
            if !claimed.insert(import.name()) {
                bail!("cap {}: {} is exported by another dynlink cap too; the launcher links each import to one provider\n  fix: keep one of them", cap.package, import.name());
            }
        }
        let file_name = staged_name(cap);
        let dest = dir.join(&file_name);
        if std::fs::read(&dest).ok().as_deref() != Some(bytes.as_slice()) {
            // Rewritten only when changed, so the compiled copy the launcher caches stays valid.
            crate::support::fs::write_atomically(&dest, &bytes)?;
        }
        kept.insert(file_name.clone());
        providers.push(Provider {
            cap: cap.package.clone(),
            path: PathBuf::from(plan::PROVIDERS_DIR).join(file_name),
            sha256: hex::encode(Sha256::digest(&bytes)),
            satisfies,
        });
    }
    remove_others(&dir, &kept)?;
    let name = output.file_name().context("the output has no file name")?;
    Ok(Some(Plan {
        schema: plan::SCHEMA,
        interpreter: Part {
            path: PathBuf::from(name),
            sha256: hex::encode(Sha256::digest(interpreter)),
        },
        preinit: None,
        providers,
    }))
}

/// Whether every provider beside `output` is still its cap's component, byte for byte.
pub fn intact(dynlinks: &[Dynlink], output: &Path) -> bool {
    let dir = plan::providers_dir(output);
    dynlinks.iter().all(|d| {
        let staged = std::fs::read(dir.join(staged_name(d.cap)));
        staged.is_ok_and(|staged| std::fs::read(d.component).is_ok_and(|built| built == staged))
    })
}

/// Imports a plan satisfies.
pub fn claimed(plan: Option<&Plan>) -> BTreeSet<String> {
    plan.iter()
        .flat_map(|p| &p.providers)
        .flat_map(|p| &p.satisfies)
        .map(Import::name)
        .collect()
}

fn staged_name(cap: &Cap) -> String {
    format!("{}.wasm", cap.package)
}

/// No dynlink caps any more: a plan left from before would link stale providers.
fn remove_stale(plan: &Path, dir: &Path) -> Result<()> {
    if plan.exists() {
        std::fs::remove_file(plan)
            .with_context(|| format!("cannot remove the stale plan {}", plan.display()))?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot remove the stale providers in {}", dir.display()))?;
    }
    Ok(())
}

fn remove_others(dir: &Path, keep: &BTreeSet<String>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if !keep.contains(&entry.file_name().to_string_lossy().into_owned()) {
            std::fs::remove_file(entry.path()).with_context(|| {
                format!(
                    "cannot remove the stale provider {}",
                    entry.path().display()
                )
            })?;
        }
    }
    Ok(())
}
