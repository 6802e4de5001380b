//! Where each library cap's C library is: found through cargo's dependency graph, or
//! taken from the cap its `library-from` names.

use std::path::Path;

use anyhow::{bail, Context, Result};
use cargo_metadata::MetadataCommand;

use super::cap::{Cap, LocatedLibrary};

/// Where cargo keeps each library cap's vendoring crate (`cargo metadata` with the
/// dependencies: cargo fetches them as Cargo.lock pins them).
pub(super) fn locate_libraries(
    caps: &mut [Cap],
    cwd: &Path,
    manifest_path: Option<&Path>,
) -> Result<()> {
    let mut cmd = MetadataCommand::new();
    cmd.current_dir(cwd);
    if let Some(path) = manifest_path {
        cmd.manifest_path(path);
    }
    let metadata = cmd
        .exec()
        .context("`cargo metadata` could not resolve the library caps' dependencies")?;
    let resolve = metadata
        .resolve
        .as_ref()
        .context("`cargo metadata` gave no dependency graph")?;
    for cap in caps.iter_mut() {
        let Some(library) = &cap.meta.library else {
            continue;
        };
        let node = resolve
            .nodes
            .iter()
            .find(|n| metadata[&n.id].name.as_str() == cap.package)
            .context("a cap missing from the dependency graph")?;
        let dep = node.deps.iter().find(|d| metadata[&d.pkg].name.as_str() == library.krate).with_context(|| {
            format!("{}: [package.metadata.pylon.library] crate {:?} is not a dependency of the cap\n  fix: add it under [dependencies]", cap.manifest_path.display(), library.krate)
        })?;
        let dir = metadata[&dep.pkg]
            .manifest_path
            .parent()
            .context("a crate without a folder")?
            .as_std_path()
            .to_path_buf();
        // A configured library's headers may appear only with its build.
        if let Some(configure) = &library.configure {
            if !dir.join(&configure.root).is_dir() {
                bail!(
                    "{}: [package.metadata.pylon.library.configure] root: {} is not a folder of {}",
                    cap.manifest_path.display(),
                    configure.root.display(),
                    dir.display()
                );
            }
        } else if let Some(missing) = library.include.iter().find(|p| !dir.join(p).is_dir()) {
            bail!("{}: [package.metadata.pylon.library] include: {} is not a folder of {}\n  fix: name folders relative to that crate's folder", cap.manifest_path.display(), missing.display(), dir.display());
        }
        let sources = library.files(&dir).with_context(|| {
            format!(
                "{}: [package.metadata.pylon.library]",
                cap.manifest_path.display()
            )
        })?;
        cap.located = Some(LocatedLibrary { dir, sources });
    }
    Ok(())
}

/// A cap with `library-from` takes the library of the cap it names, located: both modules
/// compile against the same build, which the link takes once.
pub(super) fn share_libraries(caps: &mut [Cap]) -> Result<()> {
    for i in 0..caps.len() {
        let Some(from) = caps[i].meta.library_from.clone() else {
            continue;
        };
        let (library, located) = match caps.iter().find(|c| c.package == from) {
            Some(other) if other.meta.library.is_some() => {
                (other.meta.library.clone(), other.located.clone())
            }
            Some(_) => bail!(
                "{}: [package.metadata.pylon] library-from: cap {from:?} has no library of its own\n  fix: name a cap with a [package.metadata.pylon.library] table",
                caps[i].manifest_path.display()
            ),
            None => bail!(
                "{}: [package.metadata.pylon] library-from: {from:?} is not a cap of this workspace\n  fix: add that cap to the workspace's members, or leave this cap out too",
                caps[i].manifest_path.display()
            ),
        };
        caps[i].meta.library = library;
        caps[i].located = located;
    }
    Ok(())
}
