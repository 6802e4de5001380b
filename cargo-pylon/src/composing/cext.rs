//! Compiling CPython extensions (and pylon's glue) as builtin modules of the interpreter.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use pylon_sys::cpython::LinkRecipe;
use pylon_sys::progress::Step;
use pylon_sys::Toolchain;

/// The C compiler set up for builtin modules of one CPython build.
pub struct Compiler<'a> {
    pub clang: PathBuf,
    pub recipe: &'a LinkRecipe,
}

/// Which of CPython's flag sets a file is compiled with.
#[derive(Clone, Copy)]
pub enum Flavor {
    /// An extension module linked in as a builtin.
    Builtin,
    /// The interpreter's own builtin-module table.
    Core,
}

impl<'a> Compiler<'a> {
    pub fn new(toolchain: &Toolchain, recipe: &'a LinkRecipe) -> Self {
        Self {
            clang: toolchain.bin("clang"),
            recipe,
        }
    }

    /// Compile `source` to `object`; `includes` are extra header folders, `defines` extra
    /// `-D` flags.
    #[allow(clippy::too_many_arguments)]
    pub fn compile(
        &self,
        step: &Step,
        source: &Path,
        object: &Path,
        includes: &[&Path],
        defines: &[String],
        flavor: Flavor,
        strict: bool,
    ) -> Result<()> {
        let mut cmd = Command::new(&self.clang);
        match flavor {
            Flavor::Builtin => cmd
                .args(&self.recipe.module_cflags)
                .arg("-DPy_BUILD_CORE_BUILTIN"),
            Flavor::Core => cmd.args(&self.recipe.core_cflags),
        };
        if strict {
            cmd.arg("-Werror");
        }
        for dir in includes {
            cmd.arg(format!("-I{}", dir.display()));
        }
        cmd.args(defines);
        if let Some(dir) = object.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        cmd.arg("-c").arg(source).arg("-o").arg(object);
        step.run(&mut cmd)
            .with_context(|| format!("compiling {} failed", source.display()))
    }
}

/// CPython's generated `Modules/config.c` with `modules` added to the builtin table.
pub fn config_c(recipe: &LinkRecipe, modules: &[String]) -> Result<String> {
    let text = std::fs::read_to_string(&recipe.config_source)
        .with_context(|| format!("cannot read {}", recipe.config_source.display()))?;
    let (marker1, marker2) = (
        "/* -- ADDMODULE MARKER 1 -- */",
        "/* -- ADDMODULE MARKER 2 -- */",
    );
    if !text.contains(marker1) || !text.contains(marker2) {
        bail!(
            "{} has no ADDMODULE markers; this CPython's config.c is not one pylon can extend",
            recipe.config_source.display()
        );
    }
    let externs: String = modules
        .iter()
        .map(|m| format!("extern PyObject* PyInit_{m}(void);\n"))
        .collect();
    let entries: String = modules
        .iter()
        .map(|m| format!("    {{\"{m}\", PyInit_{m}}},\n"))
        .collect();
    Ok(text
        .replacen(marker1, &format!("{externs}{marker1}"), 1)
        .replacen(marker2, &format!("{entries}{marker2}"), 1))
}
