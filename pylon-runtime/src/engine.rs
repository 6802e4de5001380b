//! The wasmtime engine and the cache of compiled components.
//!
//! Compiling CPython's component takes tens of seconds; the compiled artefact is
//! serialized once under the cache and memory-mapped on every later run. The key covers
//! the component file's identity and the engine's compatibility hash, so a new
//! component or another wasmtime build compiles afresh.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::error::{Classify, IntoAnyhow};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// CPython's own WASI runner gives the guest this much native stack (8 MiB, as `ulimit -s`).
const MAX_WASM_STACK: usize = 8 << 20;

/// The engine pylon's components run on: the component model, epoch interruption (for
/// timeouts and signals) and CPython's stack. With a `cache_dir`, Cranelift keeps what it
/// compiled per function under `cache_dir/functions`, so a component that differs from one
/// compiled before in a few functions (an interpreter relinked after one cap changed)
/// compiles only those.
pub fn engine(cache_dir: Option<&Path>) -> crate::Result<Engine> {
    tuned(cache_dir, Tuning::default())
}

/// What an engine is set up for beyond what every pylon engine has.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Epoch interruption: compiled code checks at its loops and calls whether to yield,
    /// so a guest can be stopped from the host; without it code runs an eighth faster at
    /// compute (docs/PERFORMANCE.md) and a guest stops only when it returns or calls out.
    pub epochs: bool,
    /// Tell `perf` the names of compiled functions (`/tmp/perf-PID.map`), for
    /// `perf record` of a run.
    pub perfmap: bool,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            epochs: true,
            perfmap: false,
        }
    }
}

/// As [`engine`], with `tuning`.
pub fn tuned(cache_dir: Option<&Path>, tuning: Tuning) -> crate::Result<Engine> {
    configure(cache_dir, tuning).loading()
}

fn configure(cache_dir: Option<&Path>, tuning: Tuning) -> Result<Engine> {
    let mut config = Config::new();
    if let Some(dir) = cache_dir {
        config
            .enable_incremental_compilation(Arc::new(FunctionCache::new(dir.join("functions"))))
            .anyhow()?;
    }
    config
        .wasm_component_model(true)
        .epoch_interruption(tuning.epochs)
        .max_wasm_stack(MAX_WASM_STACK)
        // The guest runs on an async fiber whose stack must hold the wasm stack and
        // the host calls made from it.
        .async_stack_size(MAX_WASM_STACK + (1 << 20));
    if tuning.perfmap {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    Engine::new(&config)
        .anyhow()
        .context("cannot configure wasmtime")
}

/// `component` compiled for `engine`: memory-mapped from `cache_dir` when it was compiled
/// before, else compiled now and kept there.
pub fn load(engine: &Engine, component: &Path, cache_dir: &Path) -> crate::Result<Component> {
    compile_or_map(engine, component, cache_dir).loading()
}

fn compile_or_map(engine: &Engine, component: &Path, cache_dir: &Path) -> Result<Component> {
    let (source, cached) = cached(engine, component, cache_dir)?;
    if cached.is_file() {
        // SAFETY: the file was written by `precompile_component` of an engine with the
        // same compatibility hash (it is in the key), and pylon's cache is pylon's own.
        if let Ok(loaded) = unsafe { Component::deserialize_file(engine, &cached) } {
            return Ok(loaded);
        }
    }
    let bytes =
        std::fs::read(component).with_context(|| format!("cannot read {}", component.display()))?;
    let compiled = precompile(engine, &bytes)
        .with_context(|| format!("cannot compile {}", component.display()))?;
    crate::files::write_atomically(&cached, &compiled)?;
    prune(cache_dir, &source, &cached);
    // SAFETY: as above; just written by this engine.
    unsafe { Component::deserialize_file(engine, &cached) }
        .anyhow()
        .with_context(|| format!("cannot load {}", cached.display()))
}

/// Whether `component` is in the cache already (else [`load`] compiles it, which takes
/// seconds: worth telling a user about).
pub fn is_compiled(engine: &Engine, component: &Path, cache_dir: &Path) -> bool {
    cached(engine, component, cache_dir).is_ok_and(|(_, cached)| cached.is_file())
}

/// `component` compiled for `engine`, serialized (what [`load`] keeps in its cache).
pub fn precompile(engine: &Engine, component: &[u8]) -> crate::Result<Vec<u8>> {
    engine.precompile_component(component).anyhow().loading()
}

/// (which file, where its compiled version is cached).
fn cached(engine: &Engine, component: &Path, cache_dir: &Path) -> Result<(String, PathBuf)> {
    let (source, version) = cache_key(engine, component)?;
    let cached = cache_dir.join(format!("{source}-{version}.cwasm"));
    Ok((source, cached))
}

/// (which file for which engine, which version of it): the file's path and the engine's
/// compatibility hash, and the file's size and modification time.
fn cache_key(engine: &Engine, component: &Path) -> Result<(String, String)> {
    let meta = std::fs::metadata(component).with_context(|| {
        format!(
            "cannot find the interpreter component {}",
            component.display()
        )
    })?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let path = component.canonicalize().unwrap_or(component.to_path_buf());
    // An engine's settings are part of the source: a command line's uninterruptible engine
    // and a server's interruptible one each keep their compiled copy of one file.
    let mut source = Sha256::new();
    source.update(path.as_os_str().as_encoded_bytes());
    source.update(compat.finish().to_le_bytes());
    let source = hex::encode(&source.finalize()[..8]);
    let version = hex::encode(&Sha256::digest(format!("{}|{}", meta.len(), mtime.as_nanos()))[..8]);
    Ok((source, version))
}

/// Remove compiled versions of the same file that `keep` supersedes (each is tens of MiB).
fn prune(cache_dir: &Path, source: &str, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(cache_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let stale = path != keep
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{source}-")) && n.ends_with(".cwasm"));
        if stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Advances the engine's epoch on a timer so running guests yield to the launcher.
pub struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Ticker {
    /// Advance `engine`'s epoch `every` so long, until dropped.
    pub fn start(engine: &Engine, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (engine.clone(), stop.clone());
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                engine.increment_epoch();
            }
        });
        Self { stop }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Cranelift's incremental cache as files: one per compiled function, named by the
/// sha256 of Cranelift's key, written atomically (a killed compile leaves no half entry).
#[derive(Debug)]
struct FunctionCache {
    dir: PathBuf,
}

impl FunctionCache {
    fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn path(&self, key: &[u8]) -> PathBuf {
        let name = hex::encode(Sha256::digest(key));
        self.dir.join(&name[..2]).join(&name[2..])
    }
}

impl wasmtime::CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
        std::fs::read(self.path(key)).ok().map(Into::into)
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        crate::files::write_atomically(&self.path(key), &value).is_ok()
    }
}
