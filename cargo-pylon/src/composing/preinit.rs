//! Pre-initialization: an interpreter's `wizer.initialize` runs once, at compose, and the
//! memory it leaves becomes the module's initial state (a wizer snapshot), so a run
//! starts with CPython already initialized.
//!
//! The snapshot is taken of the core module, before the preview1 adapter exists, so no
//! adapter state is captured; the guest resets wasi-libc's preopen table itself. CPython
//! draws its hash secret while initializing, so every snapshot has its own.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;
use wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;
use wasmtime_wasi::WasiCtxBuilder;

use super::{component, plug};
use crate::support::stamp::{Fingerprint, Stamp};

/// A component from the core module at `core`: its `wizer.initialize` run with `wasi`
/// (without DWARF unless `debug`; the name section stays, so traps still name functions),
/// encoded with the preview1 `adapter`, and the caps `plugged` composed in. `failed` says
/// what a failing initialization means.
pub fn build(
    step: &Step,
    core: &Path,
    debug: bool,
    wasi: WasiCtxBuilder,
    adapter: &[u8],
    plugged: &[(String, PathBuf)],
    failed: impl FnOnce() -> String,
) -> Result<Vec<u8>> {
    let mut module =
        std::fs::read(core).with_context(|| format!("cannot read {}", core.display()))?;
    if !debug {
        module = component::strip_debug(&module)
            .with_context(|| format!("cannot read the sections of {}", core.display()))?;
    }
    let snapshot = snapshot(&module, wasi).with_context(failed)?;
    step.message("encode as a component");
    let encoded = component::encode(&snapshot, adapter)
        .context("cannot encode the snapshot as a component")?;
    if plugged.is_empty() {
        return Ok(encoded);
    }
    step.message("compose the caps in");
    plug::plug(&encoded, plugged)
}

/// Run `module`'s `wizer.initialize` with `wasi` (preview1) and return the initialized
/// module. Imports other than WASI and the locks' `supported` trap if called: caps are
/// not reachable while initializing.
fn snapshot(module: &[u8], mut wasi: WasiCtxBuilder) -> Result<Vec<u8>> {
    // The module runs once, briefly: compiling it quickly matters more than fast code.
    let mut config = wasmtime::Config::new();
    config.cranelift_opt_level(wasmtime::OptLevel::None);
    let engine = wasmtime::Engine::new(&config).map_err(anyhow::Error::from)?;
    let mut store = wasmtime::Store::new(&engine, wasi.build_p1());
    let mut linker = wasmtime::Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |cx| cx).map_err(anyhow::Error::from)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut wizer = wasmtime_wizer::Wizer::new();
    wizer.init_func(INIT_FUNC);
    // Wizer instruments the module and rewrites it from the instance's state; running it in
    // between is this engine's (wizer's own runner would bring wasmtime features, such as
    // its on-disk cache and GC, that pylon never uses into every build of cargo-pylon).
    let (cx, instrumented) = wizer.instrument(module).map_err(anyhow::Error::from)?;
    let module = wasmtime::Module::new(&engine, &instrumented).map_err(anyhow::Error::from)?;
    // A database opened while initializing locks with lock folders (caps/sqlite3): the
    // launcher's locks belong to each run's store.
    linker
        .func_wrap(pylon_runtime::LOCKS, "supported", || 0i32)
        .map_err(anyhow::Error::from)?;
    linker
        .define_unknown_imports_as_traps(&module)
        .map_err(anyhow::Error::from)?;
    runtime.block_on(async {
        let instance = linker
            .instantiate_async(&mut store, &module)
            .await
            .map_err(anyhow::Error::from)?;
        // A reactor's constructors first, as wizer's own runner does.
        if let Ok(ctors) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
            ctors
                .call_async(&mut store, ())
                .await
                .map_err(anyhow::Error::from)
                .context("the reactor's `_initialize` trapped")?;
        }
        instance
            .get_typed_func::<(), ()>(&mut store, INIT_FUNC)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("the interpreter exports no `{INIT_FUNC}`"))?
            .call_async(&mut store, ())
            .await
            .map_err(|err| match err.downcast_ref::<wasmtime::Trap>() {
                // The guest has said why on stderr; its wasm backtrace says nothing more.
                Some(trap) => anyhow::anyhow!("`{INIT_FUNC}` stopped ({trap})"),
                None => anyhow::Error::from(err),
            })?;
        let mut state = Initialized {
            store: &mut store,
            instance,
        };
        wizer
            .snapshot(&cx, &mut state)
            .await
            .map_err(anyhow::Error::from)
    })
}

/// The function the pre-initialized interpreter exports to initialize CPython.
const INIT_FUNC: &str = "wizer.initialize";

/// An instance after its initialization, as wizer reads it for the snapshot.
struct Initialized<'a, T: 'static> {
    store: &'a mut wasmtime::Store<T>,
    instance: wasmtime::Instance,
}

impl<T: Send> wasmtime_wizer::InstanceState for Initialized<'_, T> {
    async fn global_get(
        &mut self,
        name: &str,
        _type: wasmtime_wizer::ValType,
    ) -> wasmtime_wizer::SnapshotVal {
        use wasmtime_wizer::SnapshotVal;
        let global = self
            .instance
            .get_global(&mut *self.store, name)
            .expect("wizer names the instance's own globals");
        match global.get(&mut *self.store) {
            wasmtime::Val::I32(x) => SnapshotVal::I32(x),
            wasmtime::Val::I64(x) => SnapshotVal::I64(x),
            wasmtime::Val::F32(x) => SnapshotVal::F32(x),
            wasmtime::Val::F64(x) => SnapshotVal::F64(x),
            wasmtime::Val::V128(x) => SnapshotVal::V128(x.as_u128()),
            other => panic!("a global of a type wizer does not snapshot: {other:?}"),
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        let memory = self
            .instance
            .get_memory(&mut *self.store, name)
            .expect("wizer names the instance's own memories");
        contents(memory.data(&*self.store))
    }
}

/// What the pre-initialized interpreter is made from.
pub struct Inputs<'a> {
    /// The reactor link of the interpreter (guest/pylon_preinit_main.c inside).
    pub core: &'a Path,
    /// The composition's layout: its runtime prefix and site folder are mounted as a run
    /// mounts them, so the snapshot's import caches name the same folders.
    pub layout: &'a pylon_runtime::Layout,
    /// Statically composed caps (package, component).
    pub statics: &'a [(String, PathBuf)],
    pub preload: &'a [String],
    /// Keep DWARF.
    pub debug: bool,
    /// Where the workspace sets `preload` (for errors).
    pub manifest: Option<&'a Path>,
}

/// Write the pre-initialized interpreter to `out` unless its inputs are unchanged.
pub fn ensure(inputs: &Inputs, out: &Path, stamps: &Path, log: &Path) -> Result<()> {
    for name in inputs.preload {
        if name.is_empty()
            || !name.split('.').all(|part| {
                part.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && part.chars().all(|c| c.is_alphanumeric() || c == '_')
            })
        {
            bail!("{}: [workspace.metadata.pylon] preload: {name:?} is not a module name\n  fix: list importable modules, such as \"json\" or \"email.message\"", where_set(inputs));
        }
    }
    let mut fp = Fingerprint::new("preinit");
    let layout = inputs.layout;
    let site = layout
        .site_packages
        .as_ref()
        .context("a layout without a site folder")?;
    fp.identity(inputs.core)?
        .tree(&site.host)?
        .text(&layout.prefix.host.display().to_string())
        .text(&site.guest);
    fp.text(&inputs.preload.join(","))
        .text(if inputs.debug { "dwarf" } else { "stripped" });
    for (package, path) in inputs.statics {
        fp.text(package).identity(path)?;
    }
    let stamp = Stamp::new(stamps, "preinit", &fp);
    if stamp.fresh(&[out]) {
        return Ok(());
    }
    let step = Step::start("pre-initialize the interpreter").log_to(log)?;
    let env: Vec<(String, String)> = (!inputs.preload.is_empty())
        .then(|| ("PYLON_PRELOAD".to_string(), inputs.preload.join(",")))
        .into_iter()
        .collect();
    let mut wasi = layout.wasi(None, &[], &env, false)?;
    wasi.args(&["python3"]).inherit_stdout().inherit_stderr();
    let built = build(
        &step,
        inputs.core,
        inputs.debug,
        wasi,
        WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        inputs.statics,
        || {
            if inputs.preload.is_empty() {
                format!("pre-initializing the interpreter failed (Python's account is above; the compose log is {})\n  fix: run `cargo pylon doctor` to check the CPython build, then compose again", log.display())
            } else {
                format!("pre-initializing the interpreter with preload = {:?} failed (Python's account is above)\n  fix: correct `preload` in {}", inputs.preload, where_set(inputs))
            }
        },
    )?;
    crate::support::fs::write_atomically(out, &built)?;
    step.finish();
    stamp.record()
}

fn where_set(inputs: &Inputs) -> String {
    inputs
        .manifest
        .map_or("the workspace's Cargo.toml".to_string(), |m| {
            m.display().to_string()
        })
}
