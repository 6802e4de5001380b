//! Calls from the interpreter into a provider instance.
//!
//! wasmtime's component linker satisfies imports only with host definitions (it cannot
//! alias one instance's export into another's import), so each imported function becomes
//! a host function that calls the provider's export in the same store. With dynamic
//! values (`Val`) that works for every signature, but a `list<u8>` is converted byte by
//! byte into a `Val` each (16 MiB of input is 16 Mi values of 40 bytes). Signatures built
//! from the byte-oriented types below go through typed functions instead, where a byte
//! list is one copy out of the caller and one into the provider.
//!
//! Every call goes through [`isolate`]: a trap in the provider becomes a placeholder result
//! and a recorded crash, and the next call reaches a fresh instance.

use anyhow::Result;
use wasmtime::component::types::{ComponentFunc, Type};
use wasmtime::component::{ComponentNamedList, Func, Lift, LinkerInstance, Lower, TypedFunc};
use wasmtime::{Store, StoreContextMut};

use crate::error::IntoAnyhow;
use crate::interpreter::Guest;
use crate::isolate::{self, Callee, ProviderState};

/// How an import of the interpreter was forwarded to its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Through typed functions: a byte list is one copy out and one copy in.
    Typed,
    /// Through dynamic values, one per list element.
    Dynamic,
}

/// Define `name` in `slot` as a call of the provider function `target` (now `func` in
/// `store`), whose type is `ty`. With `dynamic_only`, every function goes through dynamic
/// values, to measure what the typed path saves.
pub fn define(
    store: &Store<ProviderState>,
    slot: &mut LinkerInstance<'_, Guest>,
    name: &str,
    ty: &ComponentFunc,
    func: Func,
    target: Callee,
    dynamic_only: bool,
) -> Result<Path> {
    let params: Vec<Type> = ty.params().map(|(_, t)| t).collect();
    let results: Vec<Type> = ty.results().collect();
    let want = Want {
        params: &params,
        results: &results,
    };
    if !dynamic_only && typed_table(store, slot, name, &want, func, target)? {
        return Ok(Path::Typed);
    }
    let placeholders = results
        .iter()
        .map(isolate::placeholder)
        .collect::<Result<Vec<_>>>()?;
    slot.func_new_async(name, move |mut store, _ty, params, results| {
        let placeholders = placeholders.clone();
        Box::new(async move {
            let mut lease = isolate::lease(&mut store, target).await?;
            match lease
                .func
                .call_async(&mut lease.store, params, results)
                .await
            {
                Ok(()) => isolate::give_back(&mut store, target, lease),
                Err(error) => {
                    isolate::crashed(&mut store, target, &error);
                    results.clone_from_slice(&placeholders);
                }
            }
            Ok(())
        })
    })
    .anyhow()?;
    Ok(Path::Dynamic)
}

/// A Rust type whose component-model type can be recognised at run time, with the
/// placeholder a crashed call returns in its place.
trait Shape {
    fn is(ty: &Type) -> bool;
    fn placeholder() -> Self;
}

macro_rules! scalar_shape {
    ($($rust:ty => $wit:ident),* $(,)?) => {
        $(impl Shape for $rust {
            fn is(ty: &Type) -> bool {
                matches!(ty, Type::$wit)
            }
            fn placeholder() -> Self {
                Self::default()
            }
        })*
    };
}

scalar_shape!(bool => Bool, u32 => U32, u64 => U64, String => String);

impl Shape for Vec<u8> {
    fn is(ty: &Type) -> bool {
        matches!(ty, Type::List(list) if list.ty() == Type::U8)
    }
    fn placeholder() -> Self {
        Vec::new()
    }
}

impl<T: Shape> Shape for Option<T> {
    fn is(ty: &Type) -> bool {
        matches!(ty, Type::Option(option) if T::is(&option.ty()))
    }
    fn placeholder() -> Self {
        None
    }
}

impl<T: Shape, E: Shape> Shape for Result<T, E> {
    fn is(ty: &Type) -> bool {
        matches!(ty, Type::Result(result)
            if result.ok().is_some_and(|t| T::is(&t)) && result.err().is_some_and(|e| E::is(&e)))
    }
    fn placeholder() -> Self {
        Err(E::placeholder())
    }
}

impl<A: Shape, B: Shape> Shape for (A, B) {
    fn is(ty: &Type) -> bool {
        let Type::Tuple(tuple) = ty else { return false };
        let types: Vec<Type> = tuple.types().collect();
        matches!(types.as_slice(), [a, b] if A::is(a) && B::is(b))
    }
    fn placeholder() -> Self {
        (A::placeholder(), B::placeholder())
    }
}

/// A parameter or result list.
trait Signature: ComponentNamedList + Lift + Lower + Send + Sync + 'static {
    fn is(types: &[Type]) -> bool;
    fn placeholder() -> Self;
}

impl Signature for () {
    fn is(types: &[Type]) -> bool {
        types.is_empty()
    }
    fn placeholder() -> Self {}
}

impl<A> Signature for (A,)
where
    A: Shape + Lift + Lower + Send + Sync + 'static,
{
    fn is(types: &[Type]) -> bool {
        matches!(types, [a] if A::is(a))
    }
    fn placeholder() -> Self {
        (A::placeholder(),)
    }
}

impl<A, B> Signature for (A, B)
where
    A: Shape + Lift + Lower + Send + Sync + 'static,
    B: Shape + Lift + Lower + Send + Sync + 'static,
{
    fn is(types: &[Type]) -> bool {
        matches!(types, [a, b] if A::is(a) && B::is(b))
    }
    fn placeholder() -> Self {
        (A::placeholder(), B::placeholder())
    }
}

/// The imported function's parameter and result types.
struct Want<'a> {
    params: &'a [Type],
    results: &'a [Type],
}

/// Forward through `TypedFunc<P, R>` when the types are `P` and `R`.
fn typed<P: Signature, R: Signature>(
    store: &Store<ProviderState>,
    slot: &mut LinkerInstance<'_, Guest>,
    name: &str,
    want: &Want,
    func: Func,
    target: Callee,
) -> Result<bool> {
    if !(P::is(want.params) && R::is(want.results)) {
        return Ok(false);
    }
    // Checked once here; a fresh instance of the same component has the same types.
    func.typed::<P, R>(store).anyhow()?;
    slot.func_wrap_async(
        name,
        move |mut store: StoreContextMut<'_, Guest>, args: P| {
            Box::new(async move {
                let mut lease = isolate::lease(&mut store, target).await?;
                // SAFETY: the provider's function was type-checked as `P -> R` above, and every
                // instance a lease holds comes from the same component.
                let typed = unsafe { TypedFunc::<P, R>::new_unchecked(lease.func) };
                match typed.call_async(&mut lease.store, args).await {
                    Ok(results) => {
                        isolate::give_back(&mut store, target, lease);
                        Ok(results)
                    }
                    Err(error) => {
                        isolate::crashed(&mut store, target, &error);
                        Ok(R::placeholder())
                    }
                }
            })
        },
    )
    .anyhow()?;
    Ok(true)
}

type Bytes = Vec<u8>;

/// Every pairing of the parameter lists with the result lists below is forwarded typed:
/// byte lists with a scalar (a seed, a length, a flag) in, bytes, a scalar or a
/// bytes-or-message result out.
macro_rules! typed_table {
    (params: [$($p:ty),* $(,)?], results: $results:tt) => {
        fn typed_table(store: &Store<ProviderState>, slot: &mut LinkerInstance<'_, Guest>, name: &str, want: &Want, func: Func, target: Callee) -> Result<bool> {
            $(if typed_table!(@results store, slot, name, want, func, target, $p, $results) {
                return Ok(true);
            })*
            Ok(false)
        }
    };
    (@results $store:ident, $slot:ident, $name:ident, $want:ident, $func:ident, $target:ident, $p:ty, [$($r:ty),* $(,)?]) => {
        false $(|| typed::<$p, $r>($store, $slot, $name, $want, $func, $target)?)*
    };
}

typed_table! {
    params: [
        (Bytes,), (Bytes, u32), (u32, Bytes), (Bytes, u64), (u64, Bytes),
        (Bytes, bool), (Bytes, Option<bool>), (Bytes, Bytes), (String, Bytes),
    ],
    results: [
        (), (Bytes,), (u32,), (u64,), (bool,), (String,),
        (Result<Bytes, String>,), (Result<(Bytes, u32), String>,),
    ]
}
