//! A run's own root folder: fresh, holding the script and the guest's home folder,
//! removed when the run is done.

use std::path::Path;

use anyhow::{Context, Result};
use wasmtime_wasi::WasiCtx;

use crate::layout::Layout;
use crate::sandbox::{Grant, Program, Sandbox};
use crate::Error;

/// The per-run staging folder; removed when dropped.
pub struct Staging {
    dir: tempfile::TempDir,
    argv: Vec<String>,
    /// The script's own folder, granted read-only where the host has it.
    folder: Option<Grant>,
    /// The guest's working folder when it is not `/`: the host's, when the guest sees it.
    cwd: Option<String>,
}

/// argv[0] of the guest; CPython derives nothing from it since the prefix is compiled in.
const ARGV0: &str = "python3";

/// The guest's home folder (`HOME`, unless the sandbox sets it): a folder of its own
/// root, so `~` expands and per-user files (`platformdirs`, caches) have a place.
pub const HOME: &str = "/home";

/// The variable that tells the guest's glue (guest/pylon_cwd.c) its working folder.
const CWD_VARIABLE: &str = "PYLON_CWD";

impl Staging {
    /// A fresh folder for `program`: the guest's root, with its home folder in it. A
    /// script's folder is granted read-only at its host path, and the guest works in the
    /// host's working folder when that is the script's folder or above it (so `sys.path[0]`
    /// and paths relative to the working folder mean what they mean under `python`); a
    /// script whose folder cannot be mounted there (the host's `/`, or inside pylon's own
    /// mounts) is copied into the root instead.
    pub fn new(program: &Program, layout: &Layout) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("pylon-run-")
            .tempdir()
            .context("cannot create a staging folder in the temporary folder (check TMPDIR)")?;
        let home = dir.path().join(HOME.trim_start_matches('/'));
        std::fs::create_dir(&home).with_context(|| format!("cannot create {}", home.display()))?;
        let mut staging = Self {
            dir,
            argv: vec![ARGV0.to_string()],
            folder: None,
            cwd: None,
        };
        let args = match program {
            Program::Script { path, args } => {
                let script = staging.place(path, layout)?;
                staging.argv.push(script);
                args
            }
            Program::Code { code, args } => {
                staging.argv.extend(["-c".to_string(), code.clone()]);
                args
            }
            Program::Module { name, args } => {
                // `python -m` imports from, and works in, the working folder.
                if let Some(cwd) = host_cwd() {
                    if staging.mount(&cwd, layout).is_some() {
                        staging.cwd = cwd.to_str().map(str::to_string);
                    }
                }
                staging.argv.extend(["-m".to_string(), name.clone()]);
                args
            }
        };
        staging.argv.extend(args.iter().cloned());
        Ok(staging)
    }

    /// Grant `folder` read-only at its host path, unless it is the host's `/`, not UTF-8,
    /// or meets pylon's own mounts; returns the guest path.
    fn mount(&mut self, folder: &Path, layout: &Layout) -> Option<String> {
        let guest = folder.to_str()?.to_string();
        let own = layout.mounts(&[]);
        if guest == "/"
            || own
                .iter()
                .any(|m| within(&guest, &m.guest) || within(&m.guest, &guest))
        {
            return None;
        }
        self.folder = Some(Grant::read_only(folder, guest.clone()));
        Some(guest)
    }

    /// Make the script at `path` visible to the guest; returns its guest path.
    fn place(&mut self, path: &Path, layout: &Layout) -> Result<String> {
        let missing = || {
            Error::Usage(format!(
                "cannot run {}: no such file (give the path of a Python file, or use -c CODE or -m MODULE)",
                path.display()
            ))
        };
        if !path.is_file() {
            return Err(missing().into());
        }
        let full = path.canonicalize().map_err(|_| missing())?;
        let name = full
            .file_name()
            .context("the script path has no file name")?
            .to_string_lossy()
            .into_owned();
        let folder = full.parent().context("the script has no folder")?;
        let Some(guest) = self.mount(folder, layout) else {
            std::fs::copy(path, self.path().join(&name))
                .with_context(|| format!("cannot stage {}", path.display()))?;
            return Ok(format!("/{name}"));
        };
        match host_cwd().filter(|cwd| folder.starts_with(cwd)) {
            Some(cwd) if cwd.to_str().is_some() => {
                let relative = full.strip_prefix(&cwd).unwrap_or(&full);
                self.cwd = cwd.to_str().map(str::to_string);
                Ok(relative.to_string_lossy().into_owned())
            }
            _ => Ok(format!("{guest}/{name}")),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The folders the guest is granted: the sandbox's, and the script's own.
    pub fn grants(&self, sandbox: &Sandbox) -> Vec<Grant> {
        // A grant of the same guest path by the sandbox wins (it may be read-write).
        let own = self
            .folder
            .iter()
            .filter(|f| !sandbox.grants.iter().any(|g| g.guest == f.guest));
        sandbox.grants.iter().chain(own).cloned().collect()
    }

    /// The run's WASI context: `layout`'s view with this folder as `/`, the grants, the
    /// environment (with `HOME` unless the sandbox sets it) and output.
    pub fn wasi_ctx(&self, layout: &Layout, sandbox: &Sandbox) -> Result<WasiCtx> {
        let mut env = sandbox.env.clone();
        if !env.iter().any(|(key, _)| key == "HOME") {
            env.push(("HOME".into(), HOME.into()));
        }
        if let Some(cwd) = &self.cwd {
            env.push((CWD_VARIABLE.into(), cwd.clone()));
        }
        // File operations in pylon's own folders run on the launcher's own thread (they
        // are short, and timeouts and signals are noticed between them).
        let mut builder = layout.wasi(Some(self.path()), &self.grants(sandbox), &env, true)?;
        builder.args(&self.argv);
        match &sandbox.capture {
            Some(pipes) => builder
                .stdout(pipes.stdout.clone())
                .stderr(pipes.stderr.clone()),
            None => builder.inherit_stdio(),
        };
        Ok(builder.build())
    }
}

/// The host's working folder, symlinks resolved as in the script's path.
fn host_cwd() -> Option<std::path::PathBuf> {
    std::env::current_dir().ok()?.canonicalize().ok()
}

/// Whether guest path `path` is `folder` or inside it.
fn within(path: &str, folder: &str) -> bool {
    path.strip_prefix(folder)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || folder.ends_with('/'))
}
