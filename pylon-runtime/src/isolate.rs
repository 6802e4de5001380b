//! Isolation of runtime-linked providers: a trap inside one never kills the interpreter.
//!
//! Each provider runs in a store of its own (wasmtime refuses every later entry into a
//! store once any instance in it has trapped, so sharing the interpreter's store would
//! poison it). Forwarded values are owned host values between the two stores anyway.
//! When a call into a provider fails, the forwarding host function returns a placeholder
//! result instead of the error, records the failure here and drops the provider's store
//! (its memory goes with it); the interpreter's generated extension then asks
//! `pylon:runtime/isolation.take-crash` (defined below) and raises `pylon.CapCrashed`. The
//! next call instantiates the provider afresh, which is sound because providers are
//! stateless (compose refuses resources in them).

use std::sync::Arc;

use anyhow::{Context, Result};
use wasmtime::component::types::Type;
use wasmtime::component::{Component, Func, Linker, Val};
use wasmtime::{Engine, Store, StoreContextMut};
use wasmtime_wasi::WasiCtxBuilder;

use crate::error::IntoAnyhow;
use crate::interpreter::Guest;
use crate::sandbox::Captured;
use crate::state::{Bounds, Files, State};

/// The interface the launcher itself provides to isolated interpreters.
pub const INTERFACE: &str = "pylon:runtime/isolation@0.1.0";

/// A provider's store data: WASI with no files, the run's output streams and limits. It
/// is the interpreter's store type (its isolation state stays empty), so WASI's host
/// functions are compiled once for both.
pub type ProviderState = Guest;

/// How provider stores are made: the same engine, output streams and limits as the run.
#[derive(Clone)]
pub struct Stores {
    engine: Engine,
    linker: Arc<Linker<ProviderState>>,
    capture: Option<Captured>,
    bounds: Bounds,
}

impl Stores {
    pub(super) fn new(engine: &Engine, capture: Option<&Captured>, bounds: Bounds) -> Result<Self> {
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .anyhow()
            .context("cannot link WASI for the providers")?;
        Ok(Self {
            engine: engine.clone(),
            linker: Arc::new(linker),
            capture: capture.cloned(),
            bounds,
        })
    }

    fn store(&self) -> Store<ProviderState> {
        let mut wasi = WasiCtxBuilder::new();
        match &self.capture {
            Some(pipes) => wasi
                .stdout(pipes.stdout.clone())
                .stderr(pipes.stderr.clone()),
            None => wasi.inherit_stdout().inherit_stderr(),
        };
        let mut store = Store::new(
            &self.engine,
            State::new(
                wasi.build(),
                Files::default(),
                self.bounds,
                Isolation::default(),
            ),
        );
        self.bounds.apply(&mut store);
        store
    }

    /// A new store with an instance of `component`, and the functions `names` in it.
    pub async fn instantiate(
        &self,
        component: &Component,
        names: &[(String, String)],
    ) -> wasmtime::Result<(Store<ProviderState>, Vec<Func>)> {
        let mut store = self.store();
        let instance = self.linker.instantiate_async(&mut store, component).await?;
        let mut funcs = Vec::with_capacity(names.len());
        for (interface, name) in names {
            let iface = instance
                .get_export_index(&mut store, None, interface)
                .ok_or_else(|| wasmtime::format_err!("the provider does not export {interface}"))?;
            let index = instance
                .get_export_index(&mut store, Some(&iface), name)
                .ok_or_else(|| wasmtime::format_err!("the provider has no {interface}.{name}"))?;
            funcs.push(
                instance
                    .get_func(&mut store, index)
                    .ok_or_else(|| wasmtime::format_err!("{interface}.{name} is not a function"))?,
            );
        }
        Ok((store, funcs))
    }
}

/// Per-run state, kept in the interpreter's store: the providers and the last crash not
/// yet reported.
#[derive(Default)]
pub struct Isolation {
    providers: Vec<Live>,
    stores: Option<Stores>,
    crash: Option<String>,
}

/// One provider: its component, and its live store and functions unless its last call
/// failed (or a call is under way: the store is lent out for it).
struct Live {
    cap: String,
    component: Component,
    /// (interface, function) per forwarded function, in the order of `funcs`.
    names: Vec<(String, String)>,
    store: Option<Store<ProviderState>>,
    funcs: Vec<Func>,
}

/// Which function of which provider a forwarded import calls.
#[derive(Clone, Copy)]
pub struct Callee {
    provider: usize,
    func: usize,
}

/// A provider's store, lent to one call.
pub struct Lease {
    pub store: Store<ProviderState>,
    pub func: Func,
}

impl Isolation {
    pub fn set_stores(&mut self, stores: Stores) {
        self.stores = Some(stores);
    }

    pub fn stores(&self) -> Stores {
        self.stores
            .clone()
            .expect("the launcher sets the provider stores before linking")
    }

    /// The target of function `func` of the provider [`Self::add`] registers next.
    pub fn next_callee(&self, func: usize) -> Callee {
        Callee {
            provider: self.providers.len(),
            func,
        }
    }

    /// Register a provider with its first instance (its functions numbered as `names`).
    pub fn add(
        &mut self,
        cap: &str,
        component: &Component,
        names: Vec<(String, String)>,
        store: Store<ProviderState>,
        funcs: Vec<Func>,
    ) {
        self.providers.push(Live {
            cap: cap.to_string(),
            component: component.clone(),
            names,
            store: Some(store),
            funcs,
        });
    }
}

/// Define `take-crash` for interpreters whose extensions check for provider crashes.
pub fn define(linker: &mut Linker<Guest>) -> Result<()> {
    linker
        .instance(INTERFACE)
        .anyhow()?
        .func_wrap(
            "take-crash",
            |mut store: StoreContextMut<'_, Guest>, (): ()| {
                Ok((store.data_mut().extra.crash.take(),))
            },
        )
        .anyhow()
        .context("cannot define pylon's isolation interface")
}

/// Lend the store of `target`'s provider for one call, instantiating the provider afresh
/// first if its last call failed.
pub async fn lease(
    store: &mut StoreContextMut<'_, Guest>,
    target: Callee,
) -> wasmtime::Result<Lease> {
    let isolation = &mut store.data_mut().extra;
    let live = &mut isolation.providers[target.provider];
    if let Some(provider) = live.store.take() {
        return Ok(Lease {
            store: provider,
            func: live.funcs[target.func],
        });
    }
    let (component, names) = (live.component.clone(), live.names.clone());
    let stores = isolation.stores();
    let (provider, funcs) = stores.instantiate(&component, &names).await?;
    let live = &mut store.data_mut().extra.providers[target.provider];
    live.funcs = funcs;
    Ok(Lease {
        store: provider,
        func: live.funcs[target.func],
    })
}

/// The call went well: the provider's store goes back for the next call.
pub fn give_back(store: &mut StoreContextMut<'_, Guest>, target: Callee, lease: Lease) {
    store.data_mut().extra.providers[target.provider].store = Some(lease.store);
}

/// The call to `target` failed with `error` (a trap, or the provider calling exit): the
/// provider's store is dropped and the failure waits for `take-crash`.
pub fn crashed(store: &mut StoreContextMut<'_, Guest>, target: Callee, error: &wasmtime::Error) {
    let isolation = &mut store.data_mut().extra;
    let live = &isolation.providers[target.provider];
    let (interface, name) = &live.names[target.func];
    // The root cause and the guest backtrace, which names the provider's function.
    let detail: Vec<String> = format!("{error:?}")
        .lines()
        .take(12)
        .map(str::to_string)
        .collect();
    isolation.crash = Some(format!(
        "runtime-linked cap {} crashed in {interface}.{name}: {}",
        live.cap,
        detail.join("\n")
    ));
}

/// A placeholder value of type `ty`, returned to the interpreter in place of a crashed
/// call's result (the extension discards it and raises `pylon.CapCrashed`).
pub fn placeholder(ty: &Type) -> Result<Val> {
    Ok(match ty {
        Type::Bool => Val::Bool(false),
        Type::S8 => Val::S8(0),
        Type::U8 => Val::U8(0),
        Type::S16 => Val::S16(0),
        Type::U16 => Val::U16(0),
        Type::S32 => Val::S32(0),
        Type::U32 => Val::U32(0),
        Type::S64 => Val::S64(0),
        Type::U64 => Val::U64(0),
        Type::Float32 => Val::Float32(0.0),
        Type::Float64 => Val::Float64(0.0),
        Type::Char => Val::Char('\0'),
        Type::String => Val::String(String::new()),
        Type::List(_) => Val::List(Vec::new()),
        Type::Record(record) => Val::Record(
            record
                .fields()
                .map(|f| Ok((f.name.to_string(), placeholder(&f.ty)?)))
                .collect::<Result<_>>()?,
        ),
        Type::Tuple(tuple) => Val::Tuple(
            tuple
                .types()
                .map(|t| placeholder(&t))
                .collect::<Result<_>>()?,
        ),
        Type::Variant(variant) => {
            let case = variant.cases().next().context("a variant without cases")?;
            Val::Variant(
                case.name.to_string(),
                case.ty.map(|t| placeholder(&t).map(Box::new)).transpose()?,
            )
        }
        Type::Enum(e) => Val::Enum(
            e.names()
                .next()
                .context("an enum without cases")?
                .to_string(),
        ),
        Type::Option(_) => Val::Option(None),
        Type::Result(result) => Val::Result(Err(result
            .err()
            .map(|t| placeholder(&t).map(Box::new))
            .transpose()?)),
        Type::Flags(_) => Val::Flags(Vec::new()),
        other => anyhow::bail!("a runtime-linked provider cannot return {other:?}"),
    })
}
