//! The host environment a build backend runs in, and the guest's facts it is shown.
//!
//! The backend runs on the native build of the guest's CPython, in a virtual environment
//! holding exactly the pinned build requirements, and is told the guest's truth: the WASI
//! build's sysconfig data and headers, pylon's compilers (environment variables for
//! setuptools-style backends, a cross file for meson), the C libraries pylon built for it,
//! and, for a build requirement that is itself built for the guest (numpy for pandas), that
//! build's headers in place of the host wheel's.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;
use pylon_sys::CxxRuntime;
use walkdir::WalkDir;

use super::clib::Prefix;
use super::source::Tree;
use super::{wrapper, Built, Guest};
use crate::packages::uv::Uv;
use crate::support::fs::copy_dir;
use crate::workspace::manifest::PackageBuild;

/// The file the compiler wrapper leaves in the work folder when it compiled C++.
pub const CXX_MARK: &str = "compiled-cxx";

/// The build environment of one distribution.
pub struct Backend {
    uv: Uv,
    /// The venv's site folder.
    site: PathBuf,
    /// The venv's `bin`, put first on `PATH`.
    bin: PathBuf,
    wasm_ld: PathBuf,
    /// Environment for every backend: compilers and the guest's sysconfig data.
    vars: Vec<(String, String)>,
    cross_file: PathBuf,
    build_dir: PathBuf,
    out_dir: PathBuf,
}

impl Backend {
    /// A venv in `work` with `pins` installed, the guest's headers and sysconfig data, and
    /// the compiler wrapper.
    pub fn create(
        guest: &Guest,
        recipe: &PackageBuild,
        pins: &[String],
        libraries: &[Prefix],
        cxx: &CxxRuntime,
        work: &Path,
        step: &Step,
    ) -> Result<Self> {
        step.message("make the build environment");
        let venv = work.join("venv");
        let uv = guest.uv()?.venv(&venv, step)?;
        let minor = guest.cpython.profile.minor();
        let site = venv.join(format!("lib/python{minor}/site-packages"));

        // The guest's headers and sysconfig data, as the backend's Python sees them.
        let include = work.join("include").join(format!("python{minor}"));
        copy_dir(&guest.cpython.source_dir().join("Include"), &include)?;
        let pyconfig = guest.cpython.wasi_dir().join("pyconfig.h");
        std::fs::copy(&pyconfig, include.join("pyconfig.h"))
            .with_context(|| format!("cannot copy {}", pyconfig.display()))?;
        let sysconfig = work.join("sysconfig");
        let data_name = sysconfig_data(guest, &include, &sysconfig)?;

        let scripts = work.join("scripts");
        std::fs::create_dir_all(&scripts)
            .with_context(|| format!("cannot create {}", scripts.display()))?;
        let guest_python = scripts.join("python");
        executable(
            &guest_python,
            &format!(
                "#!/bin/sh\nexport _PYTHON_SYSCONFIGDATA_NAME={data_name}\nexport PYTHONPATH=\"{}${{PYTHONPATH:+:$PYTHONPATH}}\"\nexec \"{}\" \"$@\"\n",
                sysconfig.display(),
                uv.python().display()
            ),
        )?;
        let cc = scripts.join("pylon-cc");
        executable(&cc, wrapper::CC)?;

        let toolchain = &guest.toolchain;
        let mut flags: Vec<String> = wrapper::CFLAGS.iter().map(|f| f.to_string()).collect();
        flags.extend(recipe.cflags.iter().cloned());
        flags.push(format!("-I{}", include.display()));
        let mut ldflags = Vec::new();
        for library in libraries {
            flags.push(format!("-I{}", library.include().display()));
            ldflags.push(format!("-L{}", library.lib().display()));
        }
        let cxx_prefix = [
            cc.display().to_string(),
            toolchain.bin("clang++").display().to_string(),
            "-nostdinc++".to_string(),
            "-isystem".to_string(),
            cxx.headers().display().to_string(),
        ];
        let c_prefix = [
            cc.display().to_string(),
            toolchain.bin("clang").display().to_string(),
        ];
        let ar = toolchain.bin("llvm-ar").display().to_string();
        let pkg_config_path = libraries
            .iter()
            .map(|l| l.pkg_config().display().to_string())
            .collect::<Vec<_>>()
            .join(":");
        let cross_file = work.join("wasi.cross");
        std::fs::write(
            &cross_file,
            cross_file_text(&c_prefix, &cxx_prefix, &ar, &flags, &ldflags, &guest_python),
        )
        .with_context(|| format!("cannot write {}", cross_file.display()))?;

        let joined = |items: &[String]| items.join(" ");
        let mut vars = vec![
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
            ("LDFLAGS".to_string(), joined(&ldflags)),
            ("PKG_CONFIG_LIBDIR".to_string(), pkg_config_path.clone()),
            ("PKG_CONFIG_PATH".to_string(), pkg_config_path),
            ("_PYTHON_SYSCONFIGDATA_NAME".to_string(), data_name),
            ("PYTHONPATH".to_string(), sysconfig.display().to_string()),
            ("SOURCE_DATE_EPOCH".to_string(), "315532800".to_string()),
            (
                "PYLON_CXX_MARK".to_string(),
                work.join(CXX_MARK).display().to_string(),
            ),
        ];
        // `{libxml2}` in a value is that library's prefix (`{libxml2}/bin/xml2-config`).
        vars.extend(recipe.env.iter().map(|(key, value)| {
            let value = libraries.iter().fold(value.clone(), |v, l| {
                v.replace(&format!("{{{}}}", l.name), &l.dir.display().to_string())
            });
            (key.clone(), value)
        }));
        let backend = Self {
            uv,
            site,
            bin: venv.join("bin"),
            wasm_ld: toolchain.bin("wasm-ld"),
            vars,
            cross_file,
            build_dir: work.join("build"),
            out_dir: work.join("dist"),
        };
        backend.install(pins, work, step)?;
        Ok(backend)
    }

    /// Install `pins` into the environment.
    pub fn install(&self, pins: &[String], work: &Path, step: &Step) -> Result<()> {
        if pins.is_empty() {
            return Ok(());
        }
        step.message(&format!("install {}", pins.join(" ")));
        step.run(self.uv.command("pip install", work).args(pins))
    }

    /// Put `dep`'s guest headers over the host copy of the same release that the
    /// environment installed.
    pub fn overlay(&self, dep: &Built) -> Result<()> {
        overlay_headers(&dep.site(), &self.site)
    }

    /// The interpreter of the environment.
    pub fn python(&self) -> &Path {
        self.uv.python()
    }

    fn path(&self) -> Result<std::ffi::OsString> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.bin.clone()];
        paths.extend(std::env::split_paths(&path));
        Ok(std::env::join_paths(paths)?)
    }

    /// What the backend asks for beyond `build-system.requires`
    /// (`get_requires_for_build_wheel`, PEP 517), asked in this environment.
    pub fn dynamic_requires(&self, tree: &Tree, settings: &[String]) -> Result<Vec<String>> {
        let backend = tree.backend()?;
        let (module, object) = backend.split_once(':').unwrap_or((&backend, ""));
        let settings: serde_json::Map<String, serde_json::Value> = settings
            .iter()
            .filter_map(|s| s.split_once('='))
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        let script = format!(
            "import importlib, json, sys\n\
             sys.path[:0] = {paths}\n\
             backend = importlib.import_module({module:?})\n\
             for part in {object:?}.split('.'):\n    backend = getattr(backend, part) if part else backend\n\
             hook = getattr(backend, 'get_requires_for_build_wheel', None)\n\
             print(json.dumps(hook({settings}) if hook else []))\n",
            paths = serde_json::to_string(&tree.backend_path()?)?,
            settings = serde_json::Value::Object(settings),
        );
        let out = std::process::Command::new(self.python())
            .arg("-c")
            .arg(&script)
            .current_dir(&tree.root)
            .env("PATH", self.path()?)
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .output()
            .with_context(|| format!("cannot run {}", self.python().display()))?;
        if !out.status.success() {
            bail!(
                "the build backend {backend} did not say what it needs (get_requires_for_build_wheel):\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let last = text.lines().last().unwrap_or("[]");
        serde_json::from_str(last)
            .with_context(|| format!("the build backend {backend} answered {last:?}"))
    }

    /// `uv build --wheel` of `tree` with its own backend, in this environment.
    pub fn build_wheel(&self, tree: &Tree, recipe: &PackageBuild, step: &Step) -> Result<PathBuf> {
        let mut cmd = self.uv.command("build", &tree.root);
        cmd.args(["--wheel", "--no-build-isolation", "--out-dir"])
            .arg(&self.out_dir)
            .env("PATH", self.path()?)
            .env("PYLON_WASM_LD", &self.wasm_ld)
            .envs(self.vars.iter().map(|(k, v)| (k, v)));
        let mut settings = recipe.config_settings.clone();
        if tree.backend()? == "mesonpy" {
            settings.push(format!(
                "setup-args=--cross-file={}",
                self.cross_file.display()
            ));
            settings.push(format!("build-dir={}", self.build_dir.display()));
        }
        // In one argument: a setting may start with dashes (`--build-option=...`).
        for setting in settings {
            cmd.arg(format!("--config-setting={setting}"));
        }
        cmd.arg(".");
        step.run(&mut cmd)?;
        let wheels: Vec<PathBuf> = std::fs::read_dir(&self.out_dir)
            .with_context(|| format!("the build left no {}", self.out_dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "whl"))
            .collect();
        match wheels.as_slice() {
            [wheel] => Ok(wheel.clone()),
            _ => bail!(
                "the build left {} wheels in {}, not one",
                wheels.len(),
                self.out_dir.display()
            ),
        }
    }
}

/// meson's view of the guest: pylon's compilers, the flags, and a host machine that is
/// wasm32 WASI.
fn cross_file_text(
    c: &[String],
    cpp: &[String],
    ar: &str,
    flags: &[String],
    ldflags: &[String],
    python: &Path,
) -> String {
    let list = |items: &[String]| -> String {
        let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
        format!("[{}]", quoted.join(", "))
    };
    format!(
        "[binaries]\nc = {c}\ncpp = {cpp}\nar = '{ar}'\npython = '{python}'\npkg-config = 'pkg-config'\n\n\
         [built-in options]\nc_args = {flags}\ncpp_args = {flags}\nc_link_args = {ld}\ncpp_link_args = {ld}\n\n\
         [properties]\nneeds_exe_wrapper = true\nskip_sanity_check = true\n\
         longdouble_format = 'IEEE_QUAD_LE'\n\n\
         [host_machine]\nsystem = 'wasi'\ncpu_family = 'wasm32'\ncpu = 'wasm32'\nendian = 'little'\n",
        c = list(c),
        cpp = list(cpp),
        flags = list(flags),
        ld = list(ldflags),
        python = python.display(),
    )
}

/// Copy every C header of a guest build's site folder over the same path in `site` (the
/// host wheel's copy of the same release): the guest's `_numpyconfig.h` says what wasm32
/// is, the host's what x86_64 is.
fn overlay_headers(guest_site: &Path, site: &Path) -> Result<()> {
    for entry in WalkDir::new(guest_site) {
        let entry = entry.with_context(|| format!("cannot walk {}", guest_site.display()))?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "h") {
            continue;
        }
        let relative = path.strip_prefix(guest_site).expect("walked below it");
        let to = site.join(relative);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(path, &to).with_context(|| format!("cannot copy {}", path.display()))?;
    }
    Ok(())
}

/// Copy the WASI build's sysconfig data into `into` with its header folder pointing at
/// `include`; returns the module's name.
fn sysconfig_data(guest: &Guest, include: &Path, into: &Path) -> Result<String> {
    let wasi = guest.cpython.wasi_dir();
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
