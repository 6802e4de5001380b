//! A run's own root folder: fresh, holding the script, removed when the run is done.

use std::path::Path;

use anyhow::{Context, Result};
use wasmtime_wasi::WasiCtx;

use crate::layout::Layout;
use crate::sandbox::{Program, Sandbox};
use crate::Error;

/// The per-run staging folder; removed when dropped.
pub struct Staging {
    dir: tempfile::TempDir,
    argv: Vec<String>,
}

/// argv[0] of the guest; CPython derives nothing from it since the prefix is compiled in.
const ARGV0: &str = "python3";

impl Staging {
    /// A fresh folder holding the program's script, if it has one.
    pub fn new(program: &Program) -> Result<Self> {
        let argv = match program {
            Program::Script { path, args } => {
                if !path.is_file() {
                    return Err(Error::Usage(format!(
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

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The run's WASI context: `layout`'s view with this folder as `/`, the sandbox's
    /// grants, environment and output.
    pub fn wasi_ctx(&self, layout: &Layout, sandbox: &Sandbox) -> Result<WasiCtx> {
        // File operations run on the launcher's own thread (they are short, and timeouts
        // and signals are noticed between them).
        let mut builder = layout.wasi(Some(self.path()), &sandbox.grants, &sandbox.env, true)?;
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
