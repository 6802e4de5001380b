//! A composed interpreter loaded once, from which many sandboxes run.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::bindings::{Command, CommandPre};
use wasmtime_wasi::I32Exit;

use crate::error::{Classify, IntoAnyhow};
use crate::isolate::{self, Isolation};
use crate::layout::Layout;
use crate::phases::Phases;
use crate::report::{Quiet, Report};
use crate::sandbox::{Program, Sandbox};
use crate::staging::Staging;
use crate::state::{State, TICK};
use crate::{disk, engine, link, locks, plan, Error, Result};

/// The interpreter's store data: WASI, and the isolation state of its providers.
pub(crate) type Guest = State<Isolation>;

/// How an interpreter loads and runs: the switches a command line reads from its
/// environment, and who is told what it does.
#[derive(Clone)]
pub struct Options {
    /// Every run starts from the cold interpreter, never from the pre-initialized one
    /// (to compare the two, or to rule the snapshot out).
    pub cold: bool,
    /// Forward every call into a runtime-linked provider through dynamic values, never
    /// through typed functions (to measure what the typed path saves).
    pub dynamic_calls: bool,
    /// Told what takes time (compiling a component on first use) and how each import was
    /// linked.
    pub report: Arc<dyn Report>,
    /// How a run is stopped at its time limit or on a signal.
    pub stopping: Stopping,
    /// Tell `perf` the names of compiled functions ([`engine::Tuning::perfmap`]).
    pub perfmap: bool,
}

/// How a run is stopped at its time limit ([`Sandbox::timeout`]) or on SIGINT and SIGTERM
/// ([`Sandbox::stop_on_signals`]).
#[derive(Clone, Copy, Default)]
pub enum Stopping {
    /// The guest is compiled with wasmtime's epoch checks and yields to the launcher at
    /// every tick, so a run is stopped where it is and the interpreter goes on with the
    /// next sandbox. The checks, at every loop and call, cost about an eighth of compute
    /// speed.
    #[default]
    Cooperative,
    /// The guest is compiled without them and runs at full speed; a run past its limit or
    /// signalled ends the whole process, as SIGKILL would but tidily: the run's staging
    /// folder is removed, the host's stdout and stderr flushed, and this function called
    /// with the error (it must not return, so it ends the process). For a command line
    /// that runs one sandbox per process.
    EndsProcess(fn(Error) -> !),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cold: false,
            dynamic_calls: false,
            report: Arc::new(Quiet),
            stopping: Stopping::Cooperative,
            perfmap: false,
        }
    }
}

/// A composed interpreter loaded once, from which many sandboxes run.
///
/// [`Interpreter::run`] blocks the calling thread until Python is done (the guest's file
/// operations run on it), so call it from a thread of its own, not from inside an async
/// runtime (in Tokio, through `spawn_blocking`).
pub struct Interpreter {
    engine: Engine,
    layout: Layout,
    cache_dir: PathBuf,
    options: Options,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    /// Only for [`Stopping::Cooperative`].
    _ticker: Option<engine::Ticker>,
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
        component: Component,
        providers: link::Providers,
    },
}

impl Interpreter {
    /// Load the interpreter that runs start from by default (compiling it on first use,
    /// into `cache_dir`); the other one is loaded when a sandbox first needs it.
    pub fn load(layout: Layout, cache_dir: PathBuf, options: Options) -> Result<Self> {
        let interpreter = Self::new(layout, cache_dir, options)?;
        interpreter.prepare(&Sandbox::new(Program::Code {
            code: String::new(),
            args: Vec::new(),
        }))?;
        Ok(interpreter)
    }

    /// The engine and the files, with nothing loaded yet: [`Self::prepare`] (or the first
    /// run) loads what a sandbox starts.
    pub fn new(layout: Layout, cache_dir: PathBuf, options: Options) -> Result<Self> {
        let epochs = matches!(options.stopping, Stopping::Cooperative);
        let tuning = engine::Tuning {
            epochs,
            perfmap: options.perfmap,
        };
        let engine = engine::tuned(Some(&cache_dir), tuning)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")
            .hosting()?;
        let _ticker = epochs.then(|| engine::Ticker::start(&engine, TICK));
        Ok(Self {
            engine,
            layout,
            cache_dir,
            options,
            runtime: Some(runtime),
            _ticker,
            preinit: OnceLock::new(),
            cold: OnceLock::new(),
        })
    }

    /// Load what `sandbox` starts from, unless it is loaded already.
    pub fn prepare(&self, sandbox: &Sandbox) -> Result<()> {
        self.loaded(self.starts_preinitialized(sandbox)).map(drop)
    }

    /// Whether a run of `sandbox` starts from the pre-initialized interpreter.
    pub fn starts_preinitialized(&self, sandbox: &Sandbox) -> bool {
        !self.options.cold && sandbox.allows_preinitialized()
    }

    /// The files it was loaded from.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The wasmtime engine every component of this interpreter is compiled for.
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
        let loaded = self.load_one(preinitialized).loading()?;
        Ok(cell.get_or_init(|| loaded))
    }

    fn component(&self, file: &std::path::Path) -> anyhow::Result<Component> {
        let report = &self.options.report;
        let compiling = !engine::is_compiled(&self.engine, file, &self.cache_dir);
        if compiling {
            report.compiling(file);
        }
        let component = engine::load(&self.engine, file, &self.cache_dir)?;
        if compiling {
            report.compiled(file);
        }
        Ok(component)
    }

    fn load_one(&self, preinitialized: bool) -> anyhow::Result<Loaded> {
        let mut linker = Linker::<Guest>::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .anyhow()
            .context("cannot link WASI into the launcher")?;
        isolate::define(&mut linker)?;
        locks::define(&mut linker)?;
        disk::define(&mut linker)?;
        let ready = match &self.layout.plan {
            Some(plan) => {
                let checked = plan::Plan::check(plan, &self.cache_dir.join("digests"))?;
                let file = checked
                    .preinit
                    .as_ref()
                    .filter(|_| preinitialized)
                    .unwrap_or(&checked.interpreter);
                let component = self.component(file)?;
                let providers = link::Providers::load(
                    &self.engine,
                    &checked,
                    &component,
                    &self.cache_dir,
                    self.options.dynamic_calls,
                )?;
                Ready::Linked {
                    component,
                    providers,
                }
            }
            None => {
                let file = self.layout.start(preinitialized);
                let component = self.component(file)?;
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
        self.run_with_phases(sandbox, &Phases::off())
    }

    /// As [`Self::run`], marking the end of each phase in `phases`.
    pub fn run_with_phases(&self, sandbox: &Sandbox, phases: &Phases) -> Result<u8> {
        let loaded = self.loaded(self.starts_preinitialized(sandbox))?;
        phases.mark("load");
        let staging = Staging::new(&sandbox.program, &self.layout).hosting()?;
        phases.mark("stage");
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the interpreter")
            .block_on(self.run_in(loaded, sandbox, &staging, phases))
    }

    async fn run_in(
        &self,
        loaded: &Loaded,
        sandbox: &Sandbox,
        staging: &Staging,
        phases: &Phases,
    ) -> Result<u8> {
        let wasi = staging.wasi_ctx(&self.layout, sandbox).hosting()?;
        let files = self.layout.files(
            Some(staging.path()),
            &staging.grants(sandbox),
            sandbox.max_disk,
        );
        let bounds = sandbox.bounds();
        let mut store = Store::new(
            &self.engine,
            State::new(wasi, files, bounds, Isolation::default()),
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
                let stores = isolate::Stores::new(&self.engine, sandbox.capture.as_ref(), bounds)
                    .hosting()?;
                store.data_mut().extra.set_stores(stores);
                let routes = providers.link(&mut store, &mut linker).await.loading()?;
                for (name, route) in routes {
                    self.options.report.forwarded(&name, route);
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
        if let Stopping::EndsProcess(end) = self.options.stopping {
            let _watchdog = Watchdog::start(sandbox, staging.path(), end).hosting()?;
            let outcome = exit_code(run.await);
            flush_stdio();
            return outcome;
        }
        // Both handlers are installed before the guest runs: a signal that arrives before
        // the select below first polls them is kept, not the process's default death.
        let mut signals = Signals::watch(sandbox).hosting()?;
        let outcome = tokio::select! {
            result = run => exit_code(result),
            err = stop(sandbox.timeout, &mut signals) => Err(err),
        };
        flush_stdio();
        outcome
    }
}

/// Why a run must stop, once its time limit passes or a watched signal comes (pending
/// forever with neither).
async fn stop(timeout: Option<std::time::Duration>, signals: &mut Signals) -> Error {
    let limit = async {
        match timeout {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = limit => Error::TimedOut { secs: timeout.unwrap_or_default().as_secs_f64() },
        signal = signals.next() => Error::Interrupted { signal },
    }
}

/// SIGINT and SIGTERM, watched when the sandbox stops on signals.
struct Signals(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

impl Signals {
    /// Installs the handlers now (inside a Tokio runtime).
    fn watch(sandbox: &Sandbox) -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        let watched = sandbox
            .stop_on_signals
            .then(|| -> std::io::Result<_> {
                Ok((
                    signal(SignalKind::interrupt())?,
                    signal(SignalKind::terminate())?,
                ))
            })
            .transpose()
            .context("cannot watch for SIGINT and SIGTERM")?;
        Ok(Self(watched))
    }

    /// The next signal's name; pending forever when none is watched.
    async fn next(&mut self) -> &'static str {
        let Some((sigint, sigterm)) = self.0.as_mut() else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = sigint.recv() => "SIGINT",
            _ = sigterm.recv() => "SIGTERM",
        }
    }
}

/// For [`Stopping::EndsProcess`]: a thread that ends the process when the run passes its
/// limit or is signalled; dropping it (the run ended first) closes the channel the thread
/// waits on, which stops it.
struct Watchdog {
    _done: tokio::sync::oneshot::Sender<()>,
}

impl Watchdog {
    fn start(
        sandbox: &Sandbox,
        staging: &std::path::Path,
        end: fn(Error) -> !,
    ) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the watchdog's runtime")?;
        // Installed before the guest runs, on this thread, as in the cooperative case.
        let mut signals = {
            let _entered = runtime.enter();
            Signals::watch(sandbox)?
        };
        let (_done, finished) = tokio::sync::oneshot::channel::<()>();
        let (timeout, staging) = (sandbox.timeout, staging.to_path_buf());
        std::thread::Builder::new()
            .name("pylon-watchdog".into())
            .spawn(move || {
                let stopped = runtime.block_on(async {
                    tokio::select! {
                        _ = finished => None,
                        err = stop(timeout, &mut signals) => Some(err),
                    }
                });
                if let Some(err) = stopped {
                    let _ = std::fs::remove_dir_all(&staging);
                    flush_stdio();
                    end(err);
                }
            })
            .context("cannot start the watchdog thread")?;
        Ok(Self { _done })
    }
}

impl Drop for Interpreter {
    /// A guest stopped while a blocking thread waits in a host call for it (opening or
    /// reading a FIFO nobody writes) leaves that thread behind instead of waiting for it.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn exit_code(result: wasmtime::Result<Result<(), ()>>) -> Result<u8> {
    match result {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => Ok(u8::try_from(*code).unwrap_or(1)),
            None => Err(Error::Trap(format!("{err:?}"))),
        },
    }
}

fn flush_stdio() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}
