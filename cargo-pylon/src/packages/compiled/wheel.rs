//! A wheel the backend built for the guest, taken apart: its Python files for the site
//! folder, and each compiled module (a relocatable object, by [`super::wrapper::CC`]) closed
//! over its own symbols, to link into the interpreter as a builtin module.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

/// One extension module of a built distribution.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Module {
    /// The dotted name it is imported by (`numpy._core._multiarray_umath`).
    pub name: String,
    /// Its object, relative to the build's folder.
    pub object: PathBuf,
}

impl Module {
    /// The init function the module's C defines, named after the last part of its name.
    fn defined_init(&self) -> String {
        let last = self.name.rsplit('.').next().unwrap_or(&self.name);
        format!("PyInit_{last}")
    }

    /// The init function as linked: named after the whole dotted name, so that the
    /// `_common` modules of two packages do not collide.
    pub fn init_symbol(&self) -> String {
        format!("PyInit_{}", self.name.replace('.', "__"))
    }
}

/// Unzip `wheel` into `dir/site`, moving each compiled module to `dir/modules`, closed
/// over its own symbols; returns the modules.
pub fn unpack(wheel: &Path, dir: &Path) -> Result<Vec<Module>> {
    let site = dir.join("site");
    crate::support::archive::unzip(wheel, &site)?;
    let modules_dir = dir.join("modules");
    std::fs::create_dir_all(&modules_dir)
        .with_context(|| format!("cannot create {}", modules_dir.display()))?;
    let mut modules = Vec::new();
    for entry in WalkDir::new(&site).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot walk {}", site.display()))?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "so") {
            continue;
        }
        let relative = path.strip_prefix(&site).expect("below site");
        let name = module_name(relative)?;
        let module = Module {
            object: PathBuf::from("modules").join(format!("{name}.o")),
            name,
        };
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let isolated = super::isolate::localize(&bytes, &module.defined_init(), &module.init_symbol())
            .with_context(|| {
                format!(
                    "{} in {} is not an extension module pylon can link (was it linked by the compiler pylon gave the backend?)",
                    relative.display(),
                    wheel.display()
                )
            })?;
        std::fs::write(dir.join(&module.object), isolated)
            .with_context(|| format!("cannot write {}", dir.join(&module.object).display()))?;
        std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
        modules.push(module);
    }
    Ok(modules)
}

/// `numpy/_core/_multiarray_umath.cpython-313-wasm32-wasi.so` -> `numpy._core._multiarray_umath`.
fn module_name(relative: &Path) -> Result<String> {
    let mut parts: Vec<String> = relative
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let file = relative
        .file_name()
        .context("a module file")?
        .to_string_lossy()
        .into_owned();
    let stem = file.split('.').next().unwrap_or_default();
    if stem.is_empty() || parts.iter().any(|p| p.contains('.')) {
        bail!("{} is not an importable module's path", relative.display());
    }
    parts.push(stem.to_string());
    Ok(parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_modules_by_their_path() {
        let name = module_name(Path::new(
            "numpy/_core/_multiarray_umath.cpython-313-wasm32-wasi.so",
        ))
        .unwrap();
        assert_eq!(name, "numpy._core._multiarray_umath");
        let module = Module {
            name,
            object: PathBuf::new(),
        };
        assert_eq!(module.defined_init(), "PyInit__multiarray_umath");
        assert_eq!(
            module.init_symbol(),
            "PyInit_numpy___core___multiarray_umath"
        );
        assert!(module_name(Path::new("numpy.libs/x.so")).is_err());
    }
}
