//! A package cap's distribution: a Python project with compiled code, built from its
//! pinned sdist by its own build backend, cross-compiled with pylon's WASI toolchain.
//!
//! The backend runs on the native build of the guest's CPython, in a virtual environment
//! holding the manifest's pinned build requirements, and is told the guest's truth: the
//! WASI build's sysconfig data and headers, and pylon's compilers. A link of a shared
//! module makes a static archive instead (see [`CC_WRAPPER`]), so each extension module
//! becomes a builtin module of the interpreter under its dotted name, and the wheel's
//! Python files are staged into the site folder. The result is kept in the pylon home,
//! keyed by everything that changes it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;
use pylon_sys::CxxRuntime;
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use super::cext::Build;
use crate::packages::uv::Uv;
use crate::support::fs::copy_dir;
use crate::support::stamp::Fingerprint;
use crate::workspace::discover::Cap;
use crate::workspace::manifest::PackageBuild;

/// Bumped when the way a distribution is built changes, so cached builds are remade.
const RECIPE: &str = "distribution-2";

/// Flags every C and C++ file of a distribution takes: WASI's emulations of POSIX parts
/// the interpreter links, which packages' portable code reaches for; and Cython's module
/// strings left uncompressed, since Cython 3.2 would decompress them with `zlib` at
/// import, a module the interpreter has only with the zlib cap.
const CFLAGS: &[&str] = &[
    "-D_WASI_EMULATED_SIGNAL",
    "-D_WASI_EMULATED_PROCESS_CLOCKS",
    "-D_WASI_EMULATED_MMAN",
    "-DCYTHON_COMPRESS_STRINGS=0",
];

/// The compiler a build backend is given: itself for compiling; for a link with `-shared`
/// (an extension module) a relocatable link (`wasm-ld -r`) of the objects and archives
/// named, which [`isolate`] then closes over its own symbols.
const CC_WRAPPER: &str = r#"#!/bin/sh
# pylon: compile with the WASI compiler; link an extension module into one relocatable object.
compiler="$1"; shift
case " $* " in
  *" -shared "*) ;;
  *) exec "$compiler" "$@" ;;
esac
out=; take=
set -- "$@" --pylon-end
for arg in "$@"; do
  if [ "$arg" = --pylon-end ]; then break; fi
  if [ -n "$take" ]; then out=$arg; take=; continue; fi
  case "$arg" in
    -o) take=1 ;;
    *.o|*.obj|*.a) set -- "$@" "$arg" ;;
    -Wl,--whole-archive|-Wl,--no-whole-archive) set -- "$@" "${arg#-Wl,}" ;;
  esac
done
while [ "$1" != --pylon-end ]; do shift; done
shift
[ -n "$out" ] || { echo "pylon-cc: a shared link without -o" >&2; exit 2; }
exec "$PYLON_WASM_LD" -r -o "$out" "$@"
"#;

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

/// A built distribution, as kept in the pylon home.
pub struct Built {
    pub dir: PathBuf,
    pub modules: Vec<Module>,
}

impl Built {
    /// The wheel's files but its compiled modules, to stage into the site folder.
    pub fn site(&self) -> PathBuf {
        self.dir.join("site")
    }

    /// What the interpreter links: each module's object.
    pub fn objects(&self) -> Vec<PathBuf> {
        self.modules
            .iter()
            .map(|m| self.dir.join(&m.object))
            .collect()
    }
}

const MODULES_FILE: &str = "modules.json";
const PATCH: &str = "/usr/bin/patch";

/// The distribution of package cap `cap`, from the pylon home or built into it.
pub fn ensure(build: &Build, cap: &Cap, cxx: Option<&CxxRuntime>) -> Result<Built> {
    let (Some(recipe), Some(upstream)) = (&cap.meta.build, &cap.meta.upstream) else {
        bail!(
            "{}: a package cap names its distribution in [package.metadata.pylon.upstream] and how it builds in [package.metadata.pylon.build]",
            cap.manifest_path.display()
        );
    };
    let sha = upstream
        .sdist_sha256
        .as_deref()
        .context("validated: a package cap pins its sdist")?;
    let mut fp = Fingerprint::new("distribution");
    fp.text(RECIPE)
        .text(&format!("{} {} {sha}", upstream.pypi, upstream.version))
        .text(&serde_json::to_string(recipe)?)
        .text(&build.toolchain.identity)
        .text(&build.cpython.key)
        .text(CC_WRAPPER)
        .text(&CFLAGS.join(" "));
    if let Some(cxx) = cxx {
        fp.text(&cxx.identity());
    }
    // By content and name in the crate, so a copy of the cap elsewhere shares the build.
    for patch in &recipe.patches {
        let path = cap.dir.join(patch);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        fp.text(&patch.display().to_string()).bytes(&bytes);
    }
    let key = fp.finish();
    let name = format!("{}-{}", upstream.pypi.to_lowercase(), upstream.version);
    let dir = build
        .target
        .libraries
        .join(format!("{name}-{}", &key[..16]));
    pylon_sys::home::fill_once(&dir, |scratch| {
        let home = &build.target.home;
        let source = crate::running::upstream::Source {
            index: crate::support::pypi::index_url(build.target.pypi_index.as_deref()).ok(),
            cache: crate::support::pypi::cache_dir(home)?,
            offline: false,
        };
        let log = home.logs()?.join(format!("build-{name}.log"));
        let step = Step::start(format!("build {name} for WASI (once)")).log_to(&log)?;
        step.message("fetch the source distribution");
        let sdist = crate::running::upstream::unpacked(
            &upstream.pypi,
            &upstream.version,
            sha,
            home,
            &source,
        )?;
        let work = tempfile::Builder::new()
            .prefix(".work-")
            .tempdir_in(&build.target.libraries)
            .context("cannot make a folder to build in")?;
        let src = work.path().join("src");
        copy_dir(&sdist, &src)?;
        apply_patches(cap, &recipe.patches, &src, &step)?;
        let env = Env::create(build, recipe, cxx, work.path(), &source, &step)?;
        step.message("run the build backend (see the log for its output)");
        let wheel = env.build_wheel(&src, recipe, &step)?;
        step.message("take the extension modules out of the wheel");
        let modules = unpack(&wheel, scratch)?;
        if modules.is_empty() {
            bail!(
                "{}: {} built no extension module; a distribution with no compiled code belongs in `requirements`, not in a package cap",
                cap.manifest_path.display(),
                wheel.display()
            );
        }
        std::fs::write(
            scratch.join(MODULES_FILE),
            serde_json::to_vec_pretty(&modules)?,
        )
        .context("cannot record the built modules")?;
        step.finish();
        Ok(())
    })?;
    let file = dir.join(MODULES_FILE);
    let modules = serde_json::from_slice(
        &std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?,
    )
    .with_context(|| {
        format!(
            "{} is damaged; remove {} to build again",
            file.display(),
            dir.display()
        )
    })?;
    Ok(Built { dir, modules })
}

/// The host environment a backend runs in, and the guest's facts it is shown.
struct Env {
    uv: Uv,
    /// The linker the compiler wrapper links modules with.
    wasm_ld: PathBuf,
    /// Folders put first on `PATH` (the venv's tools).
    bin: PathBuf,
    /// Environment for setuptools-style backends, which read compilers from it.
    vars: Vec<(String, String)>,
    /// The meson cross file.
    cross_file: PathBuf,
    build_dir: PathBuf,
}

impl Env {
    fn create(
        build: &Build,
        recipe: &PackageBuild,
        cxx: Option<&CxxRuntime>,
        work: &Path,
        source: &crate::running::upstream::Source,
        step: &Step,
    ) -> Result<Self> {
        let home = &build.target.home;
        let native = build.cpython.native_python();
        step.message("make the build environment");
        let venv = work.join("venv");
        let venv_uv =
            Uv::ensure(home, &native, source.index.as_deref(), false)?.venv(&venv, step)?;
        let venv_python = venv_uv.python().to_path_buf();
        step.message(&format!("install {}", recipe.requires.join(" ")));
        step.run(venv_uv.command("pip install", work).args(&recipe.requires))?;

        // The guest's headers and sysconfig data, as the backend's Python sees them.
        let minor = build.cpython.profile.minor();
        let include = work.join("include").join(format!("python{minor}"));
        copy_dir(&build.cpython.source_dir().join("Include"), &include)?;
        let pyconfig = build.cpython.wasi_dir().join("pyconfig.h");
        std::fs::copy(&pyconfig, include.join("pyconfig.h"))
            .with_context(|| format!("cannot copy {}", pyconfig.display()))?;
        let sysconfig = work.join("sysconfig");
        let data_name = sysconfig_data(build, &include, &sysconfig)?;

        let scripts = work.join("scripts");
        std::fs::create_dir_all(&scripts)
            .with_context(|| format!("cannot create {}", scripts.display()))?;
        let guest_python = scripts.join("python");
        executable(
            &guest_python,
            &format!(
                "#!/bin/sh\nexport _PYTHON_SYSCONFIGDATA_NAME={data_name}\nexport PYTHONPATH=\"{}${{PYTHONPATH:+:$PYTHONPATH}}\"\nexec \"{}\" \"$@\"\n",
                sysconfig.display(),
                venv_python.display()
            ),
        )?;
        let cc = scripts.join("pylon-cc");
        executable(&cc, CC_WRAPPER)?;

        let toolchain = build.toolchain;
        let mut flags: Vec<String> = CFLAGS.iter().map(|f| f.to_string()).collect();
        flags.extend(recipe.cflags.iter().cloned());
        flags.push(format!("-I{}", include.display()));
        let mut cxx_prefix = vec![
            cc.display().to_string(),
            toolchain.bin("clang++").display().to_string(),
        ];
        if let Some(cxx) = cxx {
            cxx_prefix.extend([
                "-nostdinc++".to_string(),
                "-isystem".to_string(),
                cxx.headers().display().to_string(),
            ]);
        }
        let c_prefix = [
            cc.display().to_string(),
            toolchain.bin("clang").display().to_string(),
        ];
        let ar = toolchain.bin("llvm-ar").display().to_string();
        let cross_file = work.join("wasi.cross");
        let list = |items: &[String]| -> String {
            let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
            format!("[{}]", quoted.join(", "))
        };
        std::fs::write(
            &cross_file,
            format!(
                "[binaries]\nc = {c}\ncpp = {cpp}\nar = '{ar}'\npython = '{python}'\n\n\
                 [built-in options]\nc_args = {flags}\ncpp_args = {flags}\n\n\
                 [properties]\nneeds_exe_wrapper = true\nskip_sanity_check = true\n\
                 longdouble_format = 'IEEE_QUAD_LE'\n\n\
                 [host_machine]\nsystem = 'wasi'\ncpu_family = 'wasm32'\ncpu = 'wasm32'\nendian = 'little'\n",
                c = list(&c_prefix),
                cpp = list(&cxx_prefix),
                flags = list(&flags),
                python = guest_python.display(),
            ),
        )
        .with_context(|| format!("cannot write {}", cross_file.display()))?;

        let joined = |items: &[String]| items.join(" ");
        let vars = vec![
            ("CC".to_string(), joined(&c_prefix)),
            ("CXX".to_string(), joined(&cxx_prefix)),
            (
                "LDSHARED".to_string(),
                format!("{} -shared", joined(&c_prefix)),
            ),
            (
                "LDCXXSHARED".to_string(),
                format!("{} -shared", joined(&cxx_prefix)),
            ),
            ("AR".to_string(), ar),
            ("CFLAGS".to_string(), joined(&flags)),
            ("CXXFLAGS".to_string(), joined(&flags)),
            ("_PYTHON_SYSCONFIGDATA_NAME".to_string(), data_name),
            ("PYTHONPATH".to_string(), sysconfig.display().to_string()),
            ("SOURCE_DATE_EPOCH".to_string(), "315532800".to_string()),
        ];
        Ok(Self {
            uv: venv_uv,
            wasm_ld: toolchain.bin("wasm-ld"),
            bin: venv.join("bin"),
            vars,
            cross_file,
            build_dir: work.join("build"),
        })
    }

    /// `uv build --wheel` of `src` with its own backend, in this environment.
    fn build_wheel(&self, src: &Path, recipe: &PackageBuild, step: &Step) -> Result<PathBuf> {
        let out = self.build_dir.with_file_name("dist");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.bin.clone()];
        paths.extend(std::env::split_paths(&path));
        let mut cmd = self.uv.command("build", src);
        cmd.args(["--wheel", "--no-build-isolation", "--out-dir"])
            .arg(&out)
            .env("PATH", std::env::join_paths(paths)?)
            .env("PYLON_WASM_LD", &self.wasm_ld);
        for setting in &recipe.config_settings {
            cmd.arg("-C").arg(setting);
        }
        match backend(src)?.as_str() {
            "mesonpy" => {
                cmd.arg("-C")
                    .arg(format!(
                        "setup-args=--cross-file={}",
                        self.cross_file.display()
                    ))
                    .arg("-C")
                    .arg(format!("build-dir={}", self.build_dir.display()));
            }
            // setuptools and the backends that drive it read compilers and the
            // interpreter's sysconfig data from the environment.
            _ => {
                cmd.envs(self.vars.iter().map(|(k, v)| (k, v)));
            }
        }
        cmd.arg(".");
        step.run(&mut cmd)?;
        let wheels: Vec<PathBuf> = std::fs::read_dir(&out)
            .with_context(|| format!("the build left no {}", out.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "whl"))
            .collect();
        match wheels.as_slice() {
            [wheel] => Ok(wheel.clone()),
            _ => bail!(
                "the build left {} wheels in {}, not one",
                wheels.len(),
                out.display()
            ),
        }
    }
}

/// Apply the cap's `patches` to the source tree `src`, in order.
fn apply_patches(cap: &Cap, patches: &[PathBuf], src: &Path, step: &Step) -> Result<()> {
    if patches.is_empty() {
        return Ok(());
    }
    if !Path::new(PATCH).exists() {
        pylon_sys::debian::install(&["patch"], step)
            .with_context(|| format!("cap {}: its sdist is patched with patch(1)", cap.package))?;
    }
    for patch in patches {
        step.message(&format!("apply {}", patch.display()));
        step.run(
            std::process::Command::new(PATCH)
                .args(["-p1", "--forward", "--batch", "-d"])
                .arg(src)
                .arg("-i")
                .arg(cap.dir.join(patch)),
        )
        .with_context(|| {
            format!(
                "cap {}: {} does not apply to the sdist; refresh it for this release",
                cap.package,
                patch.display()
            )
        })?;
    }
    Ok(())
}

/// The build backend `src`'s `pyproject.toml` names (setuptools' legacy one when none).
fn backend(src: &Path) -> Result<String> {
    let path = src.join("pyproject.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok("setuptools.build_meta:__legacy__".to_string());
    };
    let doc: toml::Value =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
    Ok(doc
        .get("build-system")
        .and_then(|b| b.get("build-backend"))
        .and_then(|b| b.as_str())
        .unwrap_or("setuptools.build_meta:__legacy__")
        .to_string())
}

/// Copy the WASI build's sysconfig data into `into` with its header folder pointing at
/// `include`; returns the module's name.
fn sysconfig_data(build: &Build, include: &Path, into: &Path) -> Result<String> {
    let wasi = build.cpython.wasi_dir();
    let pattern = wasi.join("build/lib.*/_sysconfigdata_*.py");
    let found = glob::glob(&pattern.to_string_lossy())
        .context("a sysconfig pattern")?
        .filter_map(|p| p.ok())
        .next()
        .with_context(|| format!("the WASI build in {} has no sysconfig data", wasi.display()))?;
    let text = std::fs::read_to_string(&found)
        .with_context(|| format!("cannot read {}", found.display()))?;
    let rewritten: String = text
        .lines()
        .map(
            |line| match line.trim_start().strip_prefix("'INCLUDEPY':") {
                Some(_) => format!(" 'INCLUDEPY': '{}',\n", include.display()),
                None => format!("{line}\n"),
            },
        )
        .collect();
    std::fs::create_dir_all(into).with_context(|| format!("cannot create {}", into.display()))?;
    let name = found.file_name().expect("a file");
    std::fs::write(into.join(name), rewritten)
        .with_context(|| format!("cannot write {}", into.join(name).display()))?;
    Ok(found
        .file_stem()
        .expect("a file")
        .to_string_lossy()
        .into_owned())
}

/// Unzip `wheel` into `dir/site`, moving each compiled module (a relocatable object, by
/// [`CC_WRAPPER`]) to `dir/modules`, closed over its own symbols; returns the modules.
fn unpack(wheel: &Path, dir: &Path) -> Result<Vec<Module>> {
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

fn executable(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(())
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
