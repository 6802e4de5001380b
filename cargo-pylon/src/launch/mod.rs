//! The launcher: runs a wasi:cli command component on an embedded wasmtime.
//!
//! A run stages the script in a fresh temporary folder mounted read-write at `/` (the
//! working directory), mounts the runtime prefix read-only at CPython's compiled-in
//! prefix, streams stdio live, and returns Python's exit code. Wall time, memory and
//! signals stop the guest; the staging folder is removed on every way out because it is
//! owned by a value that is dropped before the process exits.

mod engine;
mod forward;
mod isolate;
mod link;
pub mod phases;
mod sandbox;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use wasmtime::component::ResourceTable;
use wasmtime::{Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};

pub use engine::{engine, load, precompile, Ticker};
pub use forward::Path as Route;
pub use isolate::INTERFACE as ISOLATION;
pub use sandbox::{Grant, Program};

use crate::exit::Outcome;

/// Everything one run needs.
pub struct Launch {
    /// A wasi:cli command component.
    pub component: PathBuf,
    /// A dynlink plan: when set, the interpreter and its providers come from it.
    pub plan: Option<PathBuf>,
    /// The runtime prefix (stdlib), mounted read-only at the guest's prefix.
    pub prefix: PathBuf,
    /// Cap facades, mounted read-only at the guest's site-packages.
    pub site_packages: Option<(PathBuf, String)>,
    pub program: Program,
    pub timeout: Option<Duration>,
    pub max_memory: Option<u64>,
    pub grants: Vec<Grant>,
    pub env: Vec<(String, String)>,
    /// Where compiled code is cached.
    pub cache_dir: PathBuf,
    /// Keep stdout and stderr in memory instead of streaming them.
    pub capture: Option<Captured>,
}

/// Output kept by a run with [`Launch::capture`] set.
#[derive(Clone)]
pub struct Captured {
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
}

impl Captured {
    /// Keeps up to `limit` bytes of each stream.
    pub fn new(limit: usize) -> Self {
        Self { stdout: MemoryOutputPipe::new(limit), stderr: MemoryOutputPipe::new(limit) }
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
pub(crate) trait Limited: 'static {
    fn limits(&mut self) -> &mut StoreLimits;
}

impl Limited for Guest {
    fn limits(&mut self) -> &mut StoreLimits {
        &mut self.limits
    }
}

/// What bounds every store of a run, the interpreter's and each provider's.
#[derive(Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) max_memory: Option<u64>,
}

impl Bounds {
    pub(crate) fn limits(&self) -> StoreLimits {
        let mut limits = StoreLimitsBuilder::new();
        if let Some(bytes) = self.max_memory {
            limits = limits.memory_size(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
        limits.build()
    }

    /// Memory limits; the hostcall allocation cap; an epoch deadline that yields, so
    /// timeouts and signals are noticed between ticks.
    pub(crate) fn apply<T: Limited>(&self, store: &mut Store<T>) {
        store.limiter(|data| data.limits());
        // wasmtime caps what one guest-to-host call may make the host allocate (128 MiB by
        // default). Calls into runtime-linked providers cross the host, so a buffer the
        // guest can hold must fit: the cap follows the guest's own memory limit.
        store.set_hostcall_fuel(usize::try_from(self.max_memory.unwrap_or(WASM32_MEMORY)).unwrap_or(usize::MAX));
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
    }
}

impl WasiView for Guest {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
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

impl Launch {
    /// A run of `program` in a composed interpreter, with no limits or grants yet.
    pub fn new(composed: &crate::compose::Composed, program: Program, cache_dir: PathBuf) -> Self {
        let minor = composed.cpython.profile.minor();
        Self {
            component: composed.wasm.clone(),
            plan: composed.plan.clone(),
            prefix: composed.prefix.clone(),
            site_packages: Some((composed.site_packages.clone(), crate::stage::guest_site_packages(minor))),
            program,
            timeout: None,
            max_memory: None,
            grants: Vec::new(),
            env: Vec::new(),
            cache_dir,
            capture: None,
        }
    }

    /// Run to completion; `Ok(code)` is Python's own exit code.
    pub fn run(&self) -> Result<u8> {
        let phases = phases::Phases::from_env();
        let staging = sandbox::Staging::new(&self.program)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()
            .context("cannot start the async runtime")?;
        phases.mark("stage");
        let result = runtime.block_on(self.run_in(&staging, &phases));
        // The runtime's blocking workers may still hold guest files; stop them before
        // the staging folder goes.
        runtime.shutdown_timeout(Duration::from_secs(1));
        drop(staging);
        phases.mark("exit");
        phases.report();
        result
    }

    async fn run_in(&self, staging: &sandbox::Staging, phases: &phases::Phases) -> Result<u8> {
        let engine = engine::engine()?;
        phases.mark("engine");
        let (component, providers) = match &self.plan {
            Some(plan) => {
                let checked = crate::plan::Plan::check(plan, &self.cache_dir.join("digests"))?;
                let interpreter = engine::load(&engine, &checked.interpreter, &self.cache_dir)?;
                let providers = link::Providers::load(&engine, &checked, &interpreter, &self.cache_dir)?;
                (interpreter, Some(providers))
            }
            None => (engine::load(&engine, &self.component, &self.cache_dir)?, None),
        };
        phases.mark("load");
        let mut linker = wasmtime::component::Linker::<Guest>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).anyhow().context("cannot link WASI into the launcher")?;
        isolate::define(&mut linker)?;

        let wasi = staging.wasi_ctx(&self.prefix, self.site_packages.as_ref(), &self.grants, &self.env, self.capture.as_ref())?;
        let bounds = Bounds { max_memory: self.max_memory };
        let mut store = Store::new(&engine, Guest { wasi, table: ResourceTable::new(), limits: bounds.limits(), isolation: Default::default() });
        bounds.apply(&mut store);
        let _ticker = engine::Ticker::start(&engine, TICK);
        if let Some(providers) = &providers {
            store.data_mut().isolation.set_stores(isolate::Stores::new(&engine, self.capture.as_ref(), bounds)?);
            let routes = providers.link(&mut store, &mut linker).await?;
            if std::env::var_os("PYLON_TRACE_LINK").is_some() {
                for (name, route) in routes {
                    eprintln!("pylon: {name} forwarded {route:?}");
                }
            }
        }

        phases.mark("link");
        let run = async {
            let command = Command::instantiate_async(&mut store, &component, &linker).await?;
            phases.mark("instantiate");
            let result = command.wasi_cli_run().call_run(&mut store).await;
            phases.mark("run");
            result
        };
        let timeout = async {
            match self.timeout {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot watch for SIGTERM")?;
        let outcome = tokio::select! {
            result = run => exit_code(result),
            () = timeout => Err(Outcome::TimedOut { secs: self.timeout.unwrap_or_default().as_secs_f64() }.into()),
            _ = tokio::signal::ctrl_c() => Err(Outcome::Interrupted { signal: "SIGINT" }.into()),
            _ = sigterm.recv() => Err(Outcome::Interrupted { signal: "SIGTERM" }.into()),
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
