//! Compiling CPython extensions (and pylon's glue) as builtin modules of the interpreter.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use pylon_sys::cpython::LinkRecipe;
use pylon_sys::progress::Step;
use pylon_sys::{Cpython, Toolchain};

use super::target::Target;
use crate::support::stamp::{Fingerprint, Stamp};

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

/// One C file to compile, with its flags.
pub struct Unit<'a> {
    pub source: &'a Path,
    pub object: &'a Path,
    /// Extra header folders.
    pub includes: &'a [&'a Path],
    /// Extra `-D` flags.
    pub defines: &'a [String],
    pub flavor: Flavor,
    /// Warnings are errors (pylon's own generated C compiles without one).
    pub strict: bool,
}

impl<'a> Unit<'a> {
    /// `source` to `object` as a builtin module, lenient, with no extra flags.
    pub fn builtin(source: &'a Path, object: &'a Path) -> Self {
        Self {
            source,
            object,
            includes: &[],
            defines: &[],
            flavor: Flavor::Builtin,
            strict: false,
        }
    }
}

impl<'a> Compiler<'a> {
    pub fn new(toolchain: &Toolchain, recipe: &'a LinkRecipe) -> Self {
        Self {
            clang: toolchain.bin("clang"),
            recipe,
        }
    }

    /// Compile `unit`, its output shown by `step`.
    pub fn compile(&self, step: &Step, unit: &Unit) -> Result<()> {
        let mut cmd = Command::new(&self.clang);
        match unit.flavor {
            Flavor::Builtin => cmd
                .args(&self.recipe.module_cflags)
                .arg("-DPy_BUILD_CORE_BUILTIN"),
            Flavor::Core => cmd.args(&self.recipe.core_cflags),
        };
        if unit.strict {
            cmd.arg("-Werror");
        }
        for dir in unit.includes {
            cmd.arg(format!("-I{}", dir.display()));
        }
        cmd.args(unit.defines);
        if let Some(dir) = unit.object.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        cmd.arg("-c").arg(unit.source).arg("-o").arg(unit.object);
        step.run(&mut cmd)
            .with_context(|| format!("compiling {} failed", unit.source.display()))
    }
}

/// What every stage of one compose shares: the toolchain, the CPython build, where the
/// composition goes, the compiler, the build folder and the log.
pub struct Build<'a> {
    pub toolchain: &'a Toolchain,
    pub cpython: &'a Cpython,
    pub target: &'a Target,
    pub compiler: Compiler<'a>,
    /// `<out>/build`: objects, stamps and the interpreter's links.
    pub dir: PathBuf,
    /// `<out>/compose.log`, which every step's output goes to.
    pub log: PathBuf,
}

impl Build<'_> {
    /// Compile `unit` unless its source, the headers beside it and the flags are
    /// unchanged (its stamp is kept beside the object).
    pub fn compile(&self, unit: &Unit) -> Result<()> {
        let recipe = self.compiler.recipe;
        let mut fp = Fingerprint::new("compile");
        fp.text(if unit.strict { "strict" } else { "lenient" })
            .text(&unit.defines.join(" "));
        fp.file(unit.source)?
            .text(&recipe.module_cflags.join(" "))
            .text(&recipe.core_cflags.join(" "));
        for dir in unit.includes {
            fp.headers(dir)?;
        }
        let name = unit
            .object
            .file_name()
            .context("an object without a file name")?
            .to_string_lossy()
            .into_owned();
        let stamps = unit.object.parent().context("an object without a folder")?;
        let stamp = Stamp::new(stamps, &name, &fp);
        if stamp.fresh(&[unit.object]) {
            return Ok(());
        }
        let step = Step::start(format!(
            "compile {}",
            unit.source
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        ))
        .log_to(&self.log)?;
        self.compiler.compile(&step, unit)?;
        step.finish();
        stamp.record()
    }
}

/// CPython's generated `Modules/config.c` with `modules` added to the builtin table.
pub fn config_c(recipe: &LinkRecipe, modules: &[(String, String)]) -> Result<String> {
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
    let mut externs: String = modules
        .iter()
        .map(|(_, init)| format!("extern PyObject* {init}(void);\n"))
        .collect();
    // A module of a package (`regex._regex`) that creates itself under its short name
    // (single-phase init, `PyModule_Create` of "_regex") is named in full, as the
    // loader of a shared library names it: CPython's package context, set for its init.
    let dotted: Vec<&(String, String)> = modules.iter().filter(|(n, _)| n.contains('.')).collect();
    if !dotted.is_empty() {
        externs.push_str("extern const char *_PyImport_SwapPackageContext(const char *);\n");
    }
    for (name, init) in &dotted {
        externs.push_str(&format!(
            "static PyObject* pylon_in_package_{init}(void) {{\n    \
             const char *outer = _PyImport_SwapPackageContext(\"{name}\");\n    \
             PyObject *module = {init}();\n    \
             _PyImport_SwapPackageContext(outer);\n    return module;\n}}\n"
        ));
    }
    let entries: String = modules
        .iter()
        .map(|(name, init)| match name.contains('.') {
            true => format!("    {{\"{name}\", pylon_in_package_{init}}},\n"),
            false => format!("    {{\"{name}\", {init}}},\n"),
        })
        .collect();
    Ok(text
        .replacen(marker1, &format!("{externs}{marker1}"), 1)
        .replacen(marker2, &format!("{entries}{marker2}"), 1))
}
