//! pylon-runtime: runs pylon's composed CPython components on an embedded wasmtime.
//!
//! An [`Interpreter`] is loaded once from the files `cargo pylon compose` writes
//! ([`Files`]): each component compiled once (then memory-mapped from the cache), a dynlink
//! plan checked and its providers matched to the interpreter's imports, the component
//! pre-instantiated. Every [`Sandbox`] run then gets an instance of its own: a fresh
//! staging folder as `/` (its working directory, holding the script), the runtime prefix
//! and the site folder read-only, the folders it is granted, its own environment, wall-time
//! and memory limits, and its output streamed or captured. Runs start from the
//! pre-initialized interpreter when the sandbox allows it ([`Sandbox::starts_preinitialized`]).
//!
//! ```no_run
//! use std::time::Duration;
//! use pylon_runtime::{Captured, Files, Interpreter, Program, Sandbox};
//!
//! # fn main() -> anyhow::Result<()> {
//! let out = std::path::Path::new("target/pylon");
//! let files = Files::beside(&out.join("pylon.wasm"), "/path/to/runtime-prefix".into(), "/usr/local");
//! let interpreter = Interpreter::load(files, "/tmp/pylon-cache".into())?;
//! for n in 0..3 {
//!     let mut sandbox = Sandbox::new(Program::Code { code: "import sys; print(sys.argv[1])".into(), args: vec![n.to_string()] });
//!     sandbox.timeout = Some(Duration::from_secs(5));
//!     sandbox.max_memory = Some(256 << 20);
//!     let output = Captured::new(1 << 20);
//!     sandbox.capture = Some(output.clone());
//!     assert_eq!(interpreter.run(&sandbox)?, 0);
//!     assert_eq!(output.stdout_text(), format!("{n}\n"));
//! }
//! # Ok(())
//! # }
//! ```

mod engine;
pub mod files;
mod forward;
mod isolate;
mod link;
mod outcome;
pub mod phases;
pub mod plan;
mod sandbox;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result};
use wasmtime::component::{InstancePre, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::bindings::{Command, CommandPre};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};

pub use engine::{engine, is_compiled, load, precompile, Ticker};
pub use forward::Path as Route;
pub use isolate::INTERFACE as ISOLATION;
pub use link::{is_host_provided, is_wasi};
pub use outcome::Outcome;
pub use sandbox::{Grant, Program};

/// The files of a composed interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// The cold interpreter: a wasi:cli command component (`pylon.wasm`).
    pub component: PathBuf,
    /// The same interpreter pre-initialized (`pylon-preinit.wasm`), if there is one.
    pub preinit: Option<PathBuf>,
    /// A dynlink plan: when set, the interpreters and their providers come from it.
    pub plan: Option<PathBuf>,
    /// The runtime prefix (the standard library) and where the guest finds it (CPython's
    /// compiled-in prefix); mounted read-only.
    pub prefix: (PathBuf, String),
    /// Cap facades and staged packages, with the guest's site-packages; read-only.
    pub site_packages: Option<(PathBuf, String)>,
}

impl Files {
    /// What compose wrote beside `pylon_wasm`: the pre-initialized interpreter and the
    /// plan when they exist, and the site folder `site-packages` beside it, mounted at the
    /// guest prefix's site-packages of the interpreter's Python version found in `prefix`.
    pub fn beside(pylon_wasm: &Path, prefix: PathBuf, guest_prefix: &str) -> Self {
        let preinit = preinit_beside(pylon_wasm);
        let plan = plan::beside(pylon_wasm);
        let site = pylon_wasm.with_file_name("site-packages");
        let minor = std::fs::read_dir(prefix.join("lib"))
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .find_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_prefix("python"))
                    .map(str::to_string)
            });
        Self {
            component: pylon_wasm.to_path_buf(),
            preinit: preinit.is_file().then_some(preinit),
            plan: plan.is_file().then_some(plan),
            site_packages: minor
                .filter(|_| site.is_dir())
                .map(|m| (site, format!("{guest_prefix}/lib/python{m}/site-packages"))),
            prefix: (prefix, guest_prefix.to_string()),
        }
    }

    /// The component a run of `sandbox` starts, unless a plan names its own.
    pub fn start_component(&self, sandbox: &Sandbox) -> &Path {
        self.start(sandbox.starts_preinitialized())
    }

    fn start(&self, preinitialized: bool) -> &Path {
        self.preinit
            .as_deref()
            .filter(|p| preinitialized && p.is_file())
            .unwrap_or(&self.component)
    }
}

/// The pre-initialized interpreter's name beside `pylon.wasm`.
pub const PREINIT_FILE_NAME: &str = "pylon-preinit.wasm";

/// The pre-initialized interpreter beside `pylon_wasm`.
pub fn preinit_beside(pylon_wasm: &Path) -> PathBuf {
    pylon_wasm.with_file_name(PREINIT_FILE_NAME)
}

/// One run: what Python runs and what it may see and use.
pub struct Sandbox {
    pub program: Program,
    pub timeout: Option<Duration>,
    /// The most linear memory the guest (and each provider) may have, in bytes.
    pub max_memory: Option<u64>,
    pub grants: Vec<Grant>,
    pub env: Vec<(String, String)>,
    /// Keep stdout and stderr in memory instead of streaming them to the host's.
    pub capture: Option<Captured>,
    /// Stop the guest on SIGINT and SIGTERM, as a command line does (a library host
    /// usually has its own handling of signals).
    pub stop_on_signals: bool,
}

impl Sandbox {
    pub fn new(program: Program) -> Self {
        Self {
            program,
            timeout: None,
            max_memory: None,
            grants: Vec::new(),
            env: Vec::new(),
            capture: None,
            stop_on_signals: false,
        }
    }

    /// Whether the run may start from the pre-initialized interpreter: its snapshot was
    /// initialized with no PYTHON* variables and the C locale, so a run that sets any of
    /// them starts cold, as does every run under `PYLON_COLD=1`. PYTHONPATH is the
    /// exception: the resumed interpreter puts its folders on `sys.path` as a cold start
    /// would (and recomputes `time`'s zone constants for TZ).
    pub fn starts_preinitialized(&self) -> bool {
        let asks_otherwise = |name: &str| {
            (name.starts_with("PYTHON") && name != "PYTHONPATH")
                || matches!(name, "LC_ALL" | "LC_CTYPE" | "LANG")
        };
        !cold_forced() && !self.env.iter().any(|(name, _)| asks_otherwise(name))
    }
}

/// `PYLON_COLD=1`: every run starts cold (to compare, or to rule the snapshot out).
pub fn cold_forced() -> bool {
    std::env::var_os("PYLON_COLD").is_some_and(|v| v == "1")
}

/// Output kept by a run with [`Sandbox::capture`] set.
#[derive(Clone)]
pub struct Captured {
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
}

impl Captured {
    /// Keeps up to `limit` bytes of each stream.
    pub fn new(limit: usize) -> Self {
        Self {
            stdout: MemoryOutputPipe::new(limit),
            stderr: MemoryOutputPipe::new(limit),
        }
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout.contents()).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents()).into_owned()
    }
}

struct Guest {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    isolation: isolate::Isolation,
}

/// Store data that carries the run's memory limits.
pub trait Limited: 'static {
    fn limits(&mut self) -> &mut StoreLimits;
}

impl Limited for Guest {
    fn limits(&mut self) -> &mut StoreLimits {
        &mut self.limits
    }
}

/// What bounds every store of a run, the interpreter's and each provider's.
#[derive(Clone, Copy)]
pub struct Bounds {
    pub max_memory: Option<u64>,
}

impl Bounds {
    pub fn limits(&self) -> StoreLimits {
        let mut limits = StoreLimitsBuilder::new();
        if let Some(bytes) = self.max_memory {
            limits = limits.memory_size(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
        limits.build()
    }

    /// Memory limits; the hostcall allocation cap; an epoch deadline that yields, so
    /// timeouts and signals are noticed between ticks.
    pub fn apply<T: Limited>(&self, store: &mut Store<T>) {
        store.limiter(|data| data.limits());
        // wasmtime caps what one guest-to-host call may make the host allocate (128 MiB by
        // default). Calls into runtime-linked providers cross the host, so a buffer the
        // guest can hold must fit: the cap follows the guest's own memory limit.
        store.set_hostcall_fuel(
            usize::try_from(self.max_memory.unwrap_or(WASM32_MEMORY)).unwrap_or(usize::MAX),
        );
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
    }
}

impl WasiView for Guest {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// wasmtime 48 has its own error type; results cross into anyhow before getting context.
trait IntoAnyhow<T> {
    fn anyhow(self) -> Result<T>;
}

impl<T> IntoAnyhow<T> for wasmtime::Result<T> {
    fn anyhow(self) -> Result<T> {
        self.map_err(anyhow::Error::from)
    }
}

/// The most a wasm32 linear memory can hold.
const WASM32_MEMORY: u64 = 4 << 30;

/// How often the guest yields to the launcher, so timeouts and signals are noticed.
const TICK: Duration = Duration::from_millis(10);

/// A composed interpreter loaded once, from which many sandboxes run.
///
/// [`Interpreter::run`] blocks the calling thread until Python is done (the guest's file
/// operations run on it), so call it from a thread of its own, not from inside an async
/// runtime (in Tokio, through `spawn_blocking`).
pub struct Interpreter {
    engine: Engine,
    files: Files,
    cache_dir: PathBuf,
    runtime: tokio::runtime::Runtime,
    _ticker: Ticker,
    preinit: OnceLock<Loaded>,
    cold: OnceLock<Loaded>,
}

/// One of the interpreter's components, ready to instantiate.
struct Loaded {
    /// WASI and pylon's isolation interface, before any provider.
    linker: Linker<Guest>,
    ready: Ready,
}

enum Ready {
    /// Nothing to link at launch: instantiated straight from the pre-instantiation.
    Alone(CommandPre<Guest>),
    /// Providers are instantiated and linked into each run's store.
    Linked {
        component: wasmtime::component::Component,
        providers: link::Providers,
    },
}

impl Interpreter {
    /// Load the interpreter that runs start from by default (compiling it on first use);
    /// the other one is loaded when a sandbox first needs it.
    pub fn load(files: Files, cache_dir: PathBuf) -> Result<Self> {
        let interpreter = Self::new(files, cache_dir)?;
        interpreter.prepare(&Sandbox::new(Program::Code {
            code: String::new(),
            args: Vec::new(),
        }))?;
        Ok(interpreter)
    }

    /// The engine and the files, with nothing loaded yet: [`Self::prepare`] (or the first
    /// run) loads what a sandbox starts, compiling it if [`is_compiled`] says it is not.
    pub fn new(files: Files, cache_dir: PathBuf) -> Result<Self> {
        let engine = engine::engine()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let _ticker = Ticker::start(&engine, TICK);
        Ok(Self {
            engine,
            files,
            cache_dir,
            runtime,
            _ticker,
            preinit: OnceLock::new(),
            cold: OnceLock::new(),
        })
    }

    /// Load what `sandbox` starts from, unless it is loaded already.
    pub fn prepare(&self, sandbox: &Sandbox) -> Result<()> {
        self.loaded(sandbox.starts_preinitialized()).map(drop)
    }

    /// The files it was loaded from.
    pub fn files(&self) -> &Files {
        &self.files
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn loaded(&self, preinitialized: bool) -> Result<&Loaded> {
        let cell = if preinitialized {
            &self.preinit
        } else {
            &self.cold
        };
        if let Some(loaded) = cell.get() {
            return Ok(loaded);
        }
        let loaded = self.load_one(preinitialized)?;
        Ok(cell.get_or_init(|| loaded))
    }

    fn load_one(&self, preinitialized: bool) -> Result<Loaded> {
        let mut linker = Linker::<Guest>::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .anyhow()
            .context("cannot link WASI into the launcher")?;
        isolate::define(&mut linker)?;
        let ready = match &self.files.plan {
            Some(plan) => {
                let checked = plan::Plan::check(plan, &self.cache_dir.join("digests"))?;
                let file = checked
                    .preinit
                    .as_ref()
                    .filter(|_| preinitialized)
                    .unwrap_or(&checked.interpreter);
                let component = engine::load(&self.engine, file, &self.cache_dir)?;
                let providers =
                    link::Providers::load(&self.engine, &checked, &component, &self.cache_dir)?;
                Ready::Linked {
                    component,
                    providers,
                }
            }
            None => {
                let file = self.files.start(preinitialized);
                let component = engine::load(&self.engine, file, &self.cache_dir)?;
                let pre: InstancePre<Guest> = linker
                    .instantiate_pre(&component)
                    .anyhow()
                    .with_context(|| {
                        format!(
                            "{} imports what pylon's launcher cannot give",
                            file.display()
                        )
                    })?;
                Ready::Alone(
                    CommandPre::new(pre)
                        .anyhow()
                        .with_context(|| format!("{} is not a wasi:cli command", file.display()))?,
                )
            }
        };
        Ok(Loaded { linker, ready })
    }

    /// Run `sandbox` to completion; `Ok(code)` is Python's own exit code.
    pub fn run(&self, sandbox: &Sandbox) -> Result<u8> {
        self.run_with_phases(sandbox, &phases::Phases::off())
    }

    /// As [`Self::run`], marking the end of each phase in `phases`.
    pub fn run_with_phases(&self, sandbox: &Sandbox, phases: &phases::Phases) -> Result<u8> {
        let loaded = self.loaded(sandbox.starts_preinitialized())?;
        phases.mark("load");
        let staging = sandbox::Staging::new(&sandbox.program)?;
        phases.mark("stage");
        self.runtime
            .block_on(self.run_in(loaded, sandbox, &staging, phases))
    }

    async fn run_in(
        &self,
        loaded: &Loaded,
        sandbox: &Sandbox,
        staging: &sandbox::Staging,
        phases: &phases::Phases,
    ) -> Result<u8> {
        let files = &self.files;
        let wasi = staging.wasi_ctx(
            &files.prefix,
            files.site_packages.as_ref(),
            &sandbox.grants,
            &sandbox.env,
            sandbox.capture.as_ref(),
        )?;
        let bounds = Bounds {
            max_memory: sandbox.max_memory,
        };
        let mut store = Store::new(
            &self.engine,
            Guest {
                wasi,
                table: ResourceTable::new(),
                limits: bounds.limits(),
                isolation: Default::default(),
            },
        );
        bounds.apply(&mut store);
        let command = match &loaded.ready {
            Ready::Alone(pre) => {
                phases.mark("link");
                let command = pre.instantiate_async(&mut store).await;
                phases.mark("instantiate");
                command
            }
            Ready::Linked {
                component,
                providers,
            } => {
                let mut linker = loaded.linker.clone();
                store.data_mut().isolation.set_stores(isolate::Stores::new(
                    &self.engine,
                    sandbox.capture.as_ref(),
                    bounds,
                )?);
                let routes = providers.link(&mut store, &mut linker).await?;
                if std::env::var_os("PYLON_TRACE_LINK").is_some() {
                    for (name, route) in routes {
                        eprintln!("pylon: {name} forwarded {route:?}");
                    }
                }
                phases.mark("link");
                let command = Command::instantiate_async(&mut store, component, &linker).await;
                phases.mark("instantiate");
                command
            }
        };
        let run = async {
            let result = command?.wasi_cli_run().call_run(&mut store).await;
            phases.mark("run");
            result
        };
        let timeout = async {
            match sandbox.timeout {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        // Both handlers are installed before the guest runs: a signal that arrives before
        // the select below first polls them is kept, not the process's default death.
        let mut signals = sandbox
            .stop_on_signals
            .then(|| -> std::io::Result<_> {
                use tokio::signal::unix::{signal, SignalKind};
                Ok((
                    signal(SignalKind::interrupt())?,
                    signal(SignalKind::terminate())?,
                ))
            })
            .transpose()
            .context("cannot watch for SIGINT and SIGTERM")?;
        let signal = async {
            let Some((sigint, sigterm)) = signals.as_mut() else {
                return std::future::pending().await;
            };
            tokio::select! {
                _ = sigint.recv() => "SIGINT",
                _ = sigterm.recv() => "SIGTERM",
            }
        };
        let outcome = tokio::select! {
            result = run => exit_code(result),
            () = timeout => Err(Outcome::TimedOut { secs: sandbox.timeout.unwrap_or_default().as_secs_f64() }.into()),
            signal = signal => Err(Outcome::Interrupted { signal }.into()),
        };
        flush_stdio();
        outcome
    }
}

fn exit_code(result: wasmtime::Result<Result<(), ()>>) -> Result<u8> {
    match result {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => Ok(u8::try_from(*code).unwrap_or(1)),
            None => Err(Outcome::Trap(format!("{err:?}")).into()),
        },
    }
}

fn flush_stdio() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}
