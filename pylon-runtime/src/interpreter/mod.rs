//! A composed interpreter loaded once, from which many sandboxes run.

mod load;
mod options;
mod run;
mod stopping;

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Context;
use wasmtime::component::{Component, Linker};
use wasmtime::Engine;
use wasmtime_wasi::p2::bindings::CommandPre;

use crate::error::Classify;
use crate::isolate::Isolation;
use crate::layout::Layout;
use crate::sandbox::{Program, Sandbox};
use crate::state::{State, TICK};
use crate::{engine, link, Result};

pub use options::Options;
pub use stopping::Stopping;

/// The interpreter's store data: WASI, and the isolation state of its providers.
pub(crate) type Guest = State<Isolation>;

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
