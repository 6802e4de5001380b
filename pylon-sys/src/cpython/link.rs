//! How the interpreter is linked, read from the WASI build's own Makefile so that
//! cargo-pylon can relink `python.wasm` with more builtin modules without `make`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// Everything needed to compile a builtin extension module and relink the interpreter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkRecipe {
    /// Flags for compiling a builtin module (`PY_STDMODULE_CFLAGS`, paths made absolute).
    pub module_cflags: Vec<String>,
    /// Flags for compiling `config.c` (`PY_CORE_CFLAGS`, paths made absolute).
    pub core_cflags: Vec<String>,
    /// Linker flags (`PY_CORE_LDFLAGS LINKFORSHARED`).
    pub ldflags: Vec<String>,
    /// `Programs/python.o` and every object of the interpreter, in link order.
    pub objects: Vec<PathBuf>,
    /// The builtin-module table object among `objects`, which a relink replaces.
    pub config_object: PathBuf,
    /// The generated builtin-module table source.
    pub config_source: PathBuf,
    /// Libraries after the objects (`LIBS MODLIBS SYSLIBS`).
    pub libs: Vec<String>,
}

const VARIABLES: &[&str] = &[
    "PY_STDMODULE_CFLAGS",
    "PY_CORE_CFLAGS",
    "PY_CORE_LDFLAGS",
    "LINKFORSHARED",
    "LINK_PYTHON_OBJS",
    "LIBS",
    "MODLIBS",
    "SYSLIBS",
];

impl LinkRecipe {
    /// Ask `make` in the WASI build folder for the variables of the interpreter's link.
    pub fn from_build(wasi: &Path) -> Result<Self> {
        let printer = wasi.join(".pylon-print.mk");
        std::fs::write(&printer, "print-%:\n\t@echo '$($*)'\n")
            .with_context(|| format!("cannot write {}", printer.display()))?;
        let mut values = Vec::new();
        for var in VARIABLES {
            let out = Command::new("make")
                .args(["-s", "-f", "Makefile", "-f"])
                .arg(&printer)
                .arg(format!("print-{var}"))
                .current_dir(wasi)
                .output()
                .context("cannot run make to read the interpreter's link recipe")?;
            if !out.status.success() {
                bail!(
                    "make print-{var} failed in {}: {}",
                    wasi.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            values.push(
                String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .map(|w| absolute(wasi, w))
                    .collect::<Vec<_>>(),
            );
        }
        let _ = std::fs::remove_file(&printer);
        let [module_cflags, core_cflags, core_ldflags, linkforshared, objects, libs, modlibs, syslibs] =
            <[Vec<String>; 8]>::try_from(values).expect("one value per variable");
        let mut all_objects = vec![wasi.join("Programs/python.o")];
        all_objects.extend(objects.into_iter().map(PathBuf::from));
        let config_object = wasi.join("Modules/config.o");
        if !all_objects.contains(&config_object) {
            bail!("the WASI build does not link Modules/config.o; pylon cannot add builtin modules to it");
        }
        Ok(Self {
            module_cflags,
            core_cflags,
            ldflags: [core_ldflags, linkforshared].concat(),
            objects: all_objects,
            config_object,
            config_source: wasi.join("Modules/config.c"),
            libs: [libs, modlibs, syslibs].concat(),
        })
    }
}

/// Make relative `-Ifoo`, `foo.a`, `foo.o` paths absolute against the build folder.
fn absolute(base: &Path, word: &str) -> String {
    if let Some(dir) = word.strip_prefix("-I") {
        if !dir.starts_with('/') {
            return format!("-I{}", base.join(dir).display());
        }
    } else if !word.starts_with(['-', '/']) && (word.ends_with(".a") || word.ends_with(".o")) {
        return base.join(word).display().to_string();
    }
    word.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_build_relative_paths_absolute() {
        let base = Path::new("/b/wasi");
        assert_eq!(
            absolute(base, "-I../src/Include"),
            "-I/b/wasi/../src/Include"
        );
        assert_eq!(absolute(base, "-I/abs"), "-I/abs");
        assert_eq!(
            absolute(base, "Modules/expat/libexpat.a"),
            "/b/wasi/Modules/expat/libexpat.a"
        );
        assert_eq!(absolute(base, "-lm"), "-lm");
        assert_eq!(absolute(base, "-O3"), "-O3");
    }
}
