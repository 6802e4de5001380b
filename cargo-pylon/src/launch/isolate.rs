//! Isolation of runtime-linked providers: a trap inside one never kills the interpreter.
//!
//! Each provider is its own component instance in the interpreter's store. When a call
//! into it traps, the forwarding host function returns a placeholder result instead of
//! the error, records the trap here, and marks the instance dead; the interpreter's
//! generated extension then asks `pylon:runtime/isolation.take-crash` (defined below)
//! and raises `pylon.CapCrashed`. The next call instantiates the provider afresh, which
//! is sound because providers are stateless (compose refuses resources in them). The dead
//! instance's memory stays in the store until the run ends.

use std::sync::Arc;

use anyhow::{Context, Result};
use wasmtime::component::types::Type;
use wasmtime::component::{Component, Func, Linker, Val};
use wasmtime::StoreContextMut;

use super::{Guest, IntoAnyhow};

/// The interface the launcher itself provides to isolated interpreters.
pub const INTERFACE: &str = "pylon:runtime/isolation@0.1.0";

/// Per-store state: the providers' live instances and the last crash not yet reported.
#[derive(Default)]
pub struct Isolation {
    providers: Vec<Live>,
    /// A linker with WASI only, to instantiate a provider again after a trap.
    linker: Option<Arc<Linker<Guest>>>,
    crash: Option<String>,
}

/// One provider: where its functions are in the current instance.
struct Live {
    cap: String,
    component: Component,
    /// (interface, function) per forwarded function, in the order of `funcs`.
    names: Vec<(String, String)>,
    funcs: Vec<Func>,
    dead: bool,
}

/// Which function of which provider a forwarded import calls.
#[derive(Clone, Copy)]
pub struct Target {
    provider: usize,
    func: usize,
}

impl Isolation {
    pub fn set_linker(&mut self, linker: Arc<Linker<Guest>>) {
        self.linker = Some(linker);
    }

    /// Register a provider instance's functions; returns each one's [`Target`].
    pub fn add(&mut self, cap: &str, component: &Component, names: Vec<(String, String)>, funcs: Vec<Func>) -> Vec<Target> {
        let provider = self.providers.len();
        let targets = (0..funcs.len()).map(|func| Target { provider, func }).collect();
        self.providers.push(Live { cap: cap.to_string(), component: component.clone(), names, funcs, dead: false });
        targets
    }
}

/// Define `take-crash` for interpreters whose extensions check for provider crashes.
pub fn define(linker: &mut Linker<Guest>) -> Result<()> {
    linker
        .instance(INTERFACE)
        .anyhow()?
        .func_wrap("take-crash", |mut store: StoreContextMut<'_, Guest>, (): ()| Ok((store.data_mut().isolation.crash.take(),)))
        .anyhow()
        .context("cannot define pylon's isolation interface")
}

/// The function `target` names in the provider's live instance, instantiating the provider
/// again first if its last instance trapped.
pub async fn current(store: &mut StoreContextMut<'_, Guest>, target: Target) -> wasmtime::Result<Func> {
    let live = &store.data().isolation.providers[target.provider];
    if !live.dead {
        return Ok(live.funcs[target.func]);
    }
    let (component, names) = (live.component.clone(), live.names.clone());
    let linker = store.data().isolation.linker.clone().expect("the launcher sets the provider linker before linking");
    let instance = linker.instantiate_async(&mut *store, &component).await?;
    let mut funcs = Vec::with_capacity(names.len());
    for (interface, name) in &names {
        let iface = instance.get_export_index(&mut *store, None, interface).ok_or_else(|| wasmtime::format_err!("{interface} is gone"))?;
        let index = instance.get_export_index(&mut *store, Some(&iface), name).ok_or_else(|| wasmtime::format_err!("{interface}.{name} is gone"))?;
        funcs.push(instance.get_func(&mut *store, index).ok_or_else(|| wasmtime::format_err!("{interface}.{name} is not a function"))?);
    }
    let live = &mut store.data_mut().isolation.providers[target.provider];
    live.funcs = funcs;
    live.dead = false;
    Ok(live.funcs[target.func])
}

/// Record that the call to `target` failed with `error` (a trap, or the provider calling
/// exit) and mark its instance dead.
pub fn crashed(store: &mut StoreContextMut<'_, Guest>, target: Target, error: &wasmtime::Error) {
    let isolation = &mut store.data_mut().isolation;
    let live = &mut isolation.providers[target.provider];
    live.dead = true;
    let (interface, name) = &live.names[target.func];
    // The root cause and the guest backtrace, which names the provider's function.
    let detail: Vec<String> = format!("{error:?}").lines().take(12).map(str::to_string).collect();
    isolation.crash = Some(format!("runtime-linked cap {} crashed in {interface}.{name}: {}", live.cap, detail.join("\n")));
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
        Type::Record(record) => Val::Record(record.fields().map(|f| Ok((f.name.to_string(), placeholder(&f.ty)?))).collect::<Result<_>>()?),
        Type::Tuple(tuple) => Val::Tuple(tuple.types().map(|t| placeholder(&t)).collect::<Result<_>>()?),
        Type::Variant(variant) => {
            let case = variant.cases().next().context("a variant without cases")?;
            Val::Variant(case.name.to_string(), case.ty.map(|t| placeholder(&t).map(Box::new)).transpose()?)
        }
        Type::Enum(e) => Val::Enum(e.names().next().context("an enum without cases")?.to_string()),
        Type::Option(_) => Val::Option(None),
        Type::Result(result) => Val::Result(Err(result.err().map(|t| placeholder(&t).map(Box::new)).transpose()?)),
        Type::Flags(_) => Val::Flags(Vec::new()),
        other => anyhow::bail!("a runtime-linked provider cannot return {other:?}"),
    })
}
