//! `cargo pylon serve APP.py [--addr HOST:PORT]` / `cargo pylon serve APP.py --emit OUT.wasm`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use pylon_sys::Home;

use crate::composing::interpreter;
use crate::exit::Usage;
use crate::running::launch;
use crate::serving::server;
use crate::serving::snapshot::{self, App, Host};
use pylon_runtime::http::Handler;

#[derive(Debug, clap::Args)]
#[command(
    mut_arg("timeout", |a| a.help("Stop a request's instance after this many seconds of wall time")),
    mut_arg("max_memory", |a| a.help("Cap each request's linear memory, in MiB (at most 4096)")),
)]
pub struct Args {
    /// The Python file whose `application` is the WSGI callable (PEP 3333)
    #[arg(value_name = "APP.py")]
    app: PathBuf,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    addr: SocketAddr,
    /// Write a standalone wasi:http/proxy component (for `wasmtime serve`, Spin, ...) instead of serving
    #[arg(long, value_name = "OUT.wasm")]
    emit: Option<PathBuf>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
    /// Also import these modules into the snapshot, before the application
    #[arg(long, value_name = "MODULE", value_delimiter = ',')]
    preload: Vec<String>,
    /// How long in-flight requests may run after SIGINT/SIGTERM
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    grace: u64,
    /// Connections served at once; more are answered 503 with Retry-After
    #[arg(long, default_value_t = 256, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=65536))]
    max_connections: u64,
    /// How long a client may take to send a request's headers
    #[arg(long, default_value_t = 10.0, value_name = "SECS", value_parser = super::parse_timeout)]
    header_timeout: f64,
    /// No access log (otherwise a line per request on stderr: method, path, status, bytes, time)
    #[arg(long)]
    quiet: bool,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let file = self.app.canonicalize().map_err(|_| {
            Usage(format!(
                "cannot serve {}: no such file (give the Python file that defines `application`)",
                self.app.display()
            ))
        })?;
        if self.emit.is_some() && !self.sandbox.dirs.is_empty() {
            return Err(Usage(
                "--dir cannot go with --emit: a wasi:http/proxy component has no file system"
                    .into(),
            )
            .into());
        }
        let app = App {
            file,
            env: self.sandbox.env,
            grants: self.sandbox.dirs,
            preload: self.preload,
        };
        let home = Home::from_env()?;
        let composed = interpreter::prepare_with(&home, true)?;
        if let Some(out) = &self.emit {
            let component = snapshot::component(&composed, &app, Host::Proxy)?;
            std::fs::copy(&component, out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
            println!("wrote {} ({:.1} MiB), a wasi:http/proxy component; run it with `wasmtime serve {}`", out.display(), size as f64 / (1 << 20) as f64, out.display());
            return Ok(ExitCode::SUCCESS);
        }
        let component = snapshot::component(&composed, &app, Host::Pylon)?;
        let mut requests = server::requests(&composed, &app)?;
        requests.timeout = self.sandbox.timeout.map(Duration::from_secs_f64);
        requests.bounds.max_memory = self.sandbox.max_memory.map(|mib| mib << 20);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let cache = home.dir("precompiled")?;
        let engine = launch::engine::engine(Some(&cache))?;
        let loaded = launch::engine::load(&engine, &component, &cache)?;
        let handler = Handler::new(&engine, &loaded, requests)?.reporting(Arc::new(server::Logged));
        let server = Arc::new(handler);
        let _ticker = launch::engine::Ticker::start(&engine, Duration::from_millis(10));
        let served = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind(self.addr)
                .await
                .with_context(|| format!("cannot listen on {}", self.addr))?;
            let limits = server::Limits {
                max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
                header_timeout: Duration::from_secs_f64(self.header_timeout),
                quiet: self.quiet,
            };
            server::run(
                server,
                listener,
                &self.app,
                Duration::from_secs(self.grace),
                limits,
            )
            .await
        });
        // Requests stopped while waiting in a host call (a FIFO) leave their blocking
        // threads behind rather than holding the exit.
        runtime.shutdown_background();
        served?;
        Ok(ExitCode::SUCCESS)
    }
}
