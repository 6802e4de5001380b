//! What every store pylon makes holds, and what bounds it.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::{Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::disk::Quota;
use crate::locks::Locks;

/// A store's data: a WASI context, its resource table, the file locks it holds, the
/// memory limits, and what one kind of store adds (`extra`: the isolation state of the
/// interpreter, which providers' stores share as a type and leave empty; a request's
/// wasi:http context).
pub struct State<X> {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) files: Files,
    limits: StoreLimits,
    pub(crate) extra: X,
}

impl<X> State<X> {
    pub(crate) fn new(wasi: WasiCtx, files: Files, bounds: Bounds, extra: X) -> Self {
        Self {
            wasi,
            table: ResourceTable::new(),
            files,
            limits: bounds.limits(),
            extra,
        }
    }
}

impl<X: Send + 'static> WasiView for State<X> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// What the launcher keeps of a guest's files beside WASI: the locks it holds, and the
/// bound on what it may write to its root.
#[derive(Default)]
pub(crate) struct Files {
    pub(crate) locks: Locks,
    pub(crate) quota: Option<Arc<Quota>>,
}

/// The most a wasm32 linear memory can hold.
pub const WASM32_MEMORY: u64 = 4 << 30;

/// How often a guest yields to its host, so timeouts and signals are noticed.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// What bounds every store of a run: the interpreter's, each provider's, a request's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bounds {
    /// The most linear memory, in bytes; `None` for wasm32's own limit.
    pub max_memory: Option<u64>,
}

impl Bounds {
    fn limits(&self) -> StoreLimits {
        let mut limits = StoreLimitsBuilder::new();
        if let Some(bytes) = self.max_memory {
            limits = limits.memory_size(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
        limits.build()
    }

    /// Memory limits; the hostcall allocation cap; an epoch deadline that yields, so
    /// timeouts and signals are noticed between ticks.
    pub(crate) fn apply<X: 'static>(&self, store: &mut Store<State<X>>) {
        store.limiter(|state| &mut state.limits);
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
