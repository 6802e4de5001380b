//! What the guest may see: a fresh staging folder as `/` (its working directory), the
//! runtime prefix read-only, and only the extra folders the user grants.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result};

use super::IntoAnyhow;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder};

use crate::Outcome;

/// What Python runs.
#[derive(Debug, Clone)]
pub enum Program {
    Script { path: PathBuf, args: Vec<String> },
    Code { code: String, args: Vec<String> },
}

/// `--dir HOST[:GUEST]`: a host folder the guest may read and write (or only read).
#[derive(Debug, Clone)]
pub struct Grant {
    pub host: PathBuf,
    pub guest: String,
    pub read_only: bool,
}

impl Grant {
    pub fn new(host: impl Into<PathBuf>, guest: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            guest: guest.into(),
            read_only: false,
        }
    }

    pub fn read_only(host: impl Into<PathBuf>, guest: impl Into<String>) -> Self {
        Self {
            read_only: true,
            ..Self::new(host, guest)
        }
    }
}

impl FromStr for Grant {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (host, guest) = match text.split_once(':') {
            Some((host, guest)) => (host, guest.to_string()),
            None => (text, String::new()),
        };
        let host = PathBuf::from(host);
        let host = host
            .canonicalize()
            .map_err(|e| format!("cannot grant {}: {e}", host.display()))?;
        if !host.is_dir() {
            return Err(format!(
                "{} is not a folder; --dir takes a folder",
                host.display()
            ));
        }
        let guest = if guest.is_empty() {
            host.display().to_string()
        } else {
            guest
        };
        if !guest.starts_with('/') {
            return Err(format!(
                "guest path {guest:?} must be absolute (for example /data)"
            ));
        }
        Ok(Self::new(host, guest))
    }
}

/// The per-run staging folder; removed when dropped.
pub struct Staging {
    dir: tempfile::TempDir,
    argv: Vec<String>,
}

/// argv[0] of the guest; CPython derives nothing from it since the prefix is compiled in.
const ARGV0: &str = "python3";

impl Staging {
    pub fn new(program: &Program) -> Result<Self> {
        let argv = match program {
            Program::Script { path, args } => {
                if !path.is_file() {
                    return Err(Outcome::Usage(format!(
                        "cannot run {}: no such file (give the path of a Python file, or use -c CODE)",
                        path.display()
                    ))
                    .into());
                }
                let name = path
                    .file_name()
                    .context("the script path has no file name")?
                    .to_string_lossy()
                    .into_owned();
                let mut argv = vec![ARGV0.to_string(), format!("/{name}")];
                argv.extend(args.iter().cloned());
                (argv, Some((path, name)))
            }
            Program::Code { code, args } => {
                let mut argv = vec![ARGV0.to_string(), "-c".to_string(), code.clone()];
                argv.extend(args.iter().cloned());
                (argv, None)
            }
        };
        let dir = tempfile::Builder::new()
            .prefix("pylon-run-")
            .tempdir()
            .context("cannot create a staging folder in the temporary folder (check TMPDIR)")?;
        let (argv, script) = argv;
        if let Some((path, name)) = script {
            std::fs::copy(path, dir.path().join(&name))
                .with_context(|| format!("cannot stage {}", path.display()))?;
        }
        Ok(Self { dir, argv })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn wasi_ctx(
        &self,
        (prefix, guest_prefix): &(PathBuf, String),
        site_packages: Option<&(PathBuf, String)>,
        grants: &[Grant],
        env: &[(String, String)],
        capture: Option<&super::Captured>,
    ) -> Result<WasiCtx> {
        let mut builder = WasiCtxBuilder::new();
        // File operations run on the launcher's own thread instead of hopping to a blocking
        // pool and back per call (imports make thousands of them); they are short, and
        // timeouts and signals are noticed between them.
        builder.allow_blocking_current_thread(true);
        builder.args(&self.argv).envs(env);
        match capture {
            Some(pipes) => builder
                .stdout(pipes.stdout.clone())
                .stderr(pipes.stderr.clone()),
            None => builder.inherit_stdio(),
        };
        // Every mount point exists in the root too, so `/a` lists `b` when `/a/b` is mounted
        // (wasi-libc resolves `/a` against the root mount, the longest matching prefix).
        let guests = [guest_prefix.as_str()]
            .into_iter()
            .chain(site_packages.map(|(_, g)| g.as_str()))
            .chain(grants.iter().map(|g| g.guest.as_str()));
        for guest in guests {
            let relative = guest.trim_start_matches('/');
            if !relative.is_empty() && !relative.split('/').any(|part| part == "..") {
                let point = self.path().join(relative);
                std::fs::create_dir_all(&point).with_context(|| {
                    format!("cannot make the mount point {guest} in the staging folder")
                })?;
            }
        }
        builder
            .preopened_dir(self.path(), "/", FsPerms::ReadWrite)
            .anyhow()
            .with_context(|| {
                format!("cannot mount the staging folder {}", self.path().display())
            })?;
        builder
            .preopened_dir(prefix, guest_prefix, FsPerms::ReadOnly)
            .anyhow()
            .with_context(|| {
                format!(
                    "cannot mount the Python runtime {}; rerun to rebuild it",
                    prefix.display()
                )
            })?;
        if let Some((host, guest)) = site_packages {
            builder
                .preopened_dir(host, guest, FsPerms::ReadOnly)
                .anyhow()
                .with_context(|| {
                    format!(
                        "cannot mount the cap facades {}; run `cargo pylon compose`",
                        host.display()
                    )
                })?;
        }
        for grant in grants {
            let perms = if grant.read_only {
                FsPerms::ReadOnly
            } else {
                FsPerms::ReadWrite
            };
            builder
                .preopened_dir(&grant.host, &grant.guest, perms)
                .anyhow()
                .with_context(|| {
                    format!("cannot mount {} at {}", grant.host.display(), grant.guest)
                })?;
        }
        Ok(builder.build())
    }
}
