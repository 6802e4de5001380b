//! Runtime dynlink: the plan's providers, checked against the interpreter and linked to
//! its imports before Python starts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use wasmtime::component::types::{self, ComponentFunc, ComponentItem, Type};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use crate::engine;
use crate::error::IntoAnyhow;
use crate::forward::{self, Path as Route};
use crate::interpreter::Guest;
use crate::plan::Checked;

/// The providers of a checked plan, compiled and matched to the interpreter's imports.
pub struct Providers {
    plan: PathBuf,
    parts: Vec<Part>,
    /// Forward through dynamic values only.
    dynamic_only: bool,
}

struct Part {
    cap: String,
    path: PathBuf,
    component: Component,
    /// Each satisfied import with the functions the interpreter calls through it.
    imports: BTreeMap<String, Vec<(String, ComponentFunc)>>,
}

/// Whether `name` is a WASI interface.
pub fn is_wasi(name: &str) -> bool {
    name.starts_with("wasi:")
}

/// Whether the launcher satisfies `name` for an interpreter: WASI, and pylon's own
/// interfaces (isolation, which interpreters with runtime-linked caps import; the file
/// locks SQLite asks for).
pub fn is_host_provided(name: &str) -> bool {
    is_wasi(name) || name == crate::ISOLATION || name == crate::LOCKS
}

/// The interpreter's non-WASI imports: interface name -> its functions.
fn foreign_imports(
    engine: &Engine,
    interpreter: &Component,
) -> Result<BTreeMap<String, Vec<(String, ComponentFunc)>>> {
    let mut out = BTreeMap::new();
    for (name, item) in interpreter.component_type().imports(engine) {
        if is_host_provided(name) {
            continue;
        }
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            bail!("the interpreter imports {name}, which is not an interface; pylon links only interfaces");
        };
        out.insert(name.to_string(), functions(engine, name, &instance)?);
    }
    Ok(out)
}

fn functions(
    engine: &Engine,
    interface: &str,
    instance: &types::ComponentInstance,
) -> Result<Vec<(String, ComponentFunc)>> {
    let mut funcs = Vec::new();
    for (name, item) in instance.exports(engine) {
        match item.ty {
            ComponentItem::ComponentFunc(func) => funcs.push((name.to_string(), func)),
            ComponentItem::Resource(_) => bail!(
                "{interface} has the resource `{name}`: a runtime-linked provider must be stateless\n  fix: give its cap linkage = \"static\""
            ),
            _ => {}
        }
    }
    Ok(funcs)
}

fn same_type(a: &ComponentFunc, b: &ComponentFunc) -> bool {
    a.params().map(|(_, t)| t).eq(b.params().map(|(_, t)| t)) && a.results().eq(b.results())
}

fn signature(func: &ComponentFunc) -> String {
    let params: Vec<String> = func
        .params()
        .map(|(name, ty)| format!("{name}: {}", describe(&ty)))
        .collect();
    let results: Vec<String> = func.results().map(|ty| describe(&ty)).collect();
    format!(
        "func({}) -> {}",
        params.join(", "),
        if results.is_empty() {
            "()".into()
        } else {
            results.join(", ")
        }
    )
}

/// A type in WIT's spelling (named types by their kind).
fn describe(ty: &Type) -> String {
    let opt = |t: Option<Type>| t.map_or("_".to_string(), |t| describe(&t));
    match ty {
        Type::List(list) => format!("list<{}>", describe(&list.ty())),
        Type::Option(option) => format!("option<{}>", describe(&option.ty())),
        Type::Result(result) => format!("result<{}, {}>", opt(result.ok()), opt(result.err())),
        Type::Tuple(tuple) => format!(
            "tuple<{}>",
            tuple
                .types()
                .map(|t| describe(&t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Type::Record(_) => "record".into(),
        Type::Variant(_) => "variant".into(),
        Type::Enum(_) => "enum".into(),
        Type::Flags(_) => "flags".into(),
        other => format!("{other:?}").to_lowercase().replace("float", "f"),
    }
}

impl Providers {
    /// Compile (or load the cached) providers and check every claim of the plan: each
    /// provider exports each import it claims, with the same functions and types, imports
    /// nothing but WASI, and every non-WASI import of the interpreter is claimed.
    pub fn load(
        engine: &Engine,
        plan: &Checked,
        interpreter: &Component,
        cache_dir: &Path,
        dynamic_only: bool,
    ) -> Result<Self> {
        let mut wanted = foreign_imports(engine, interpreter)?;
        let mut parts = Vec::new();
        for provider in &plan.providers {
            let at = || {
                format!(
                    "{}: provider {} ({})",
                    plan.path.display(),
                    provider.cap,
                    provider.path.display()
                )
            };
            let component = engine::load(engine, &provider.path, cache_dir).with_context(at)?;
            let ty = component.component_type();
            if let Some((name, _)) = ty.imports(engine).find(|(name, _)| !is_wasi(name)) {
                bail!("{}: it imports {name}; a runtime-linked provider may import only WASI\n  fix: give its cap linkage = \"static\"", at());
            }
            let mut imports = BTreeMap::new();
            for import in &provider.satisfies {
                let Some(funcs) = wanted.remove(import) else {
                    bail!("{}: the plan says it satisfies {import}, which the interpreter {} does not import\n  fix: run `cargo pylon compose` to rewrite the plan", at(), plan.interpreter.display());
                };
                let exported = match ty.get_export(engine, import).map(|e| e.ty) {
                    Some(ComponentItem::ComponentInstance(instance)) => instance,
                    _ => {
                        let offered: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
                        bail!("{}: the plan says it satisfies {import}, but it does not export it (it exports {})\n  fix: rebuild the provider from the cap's WIT, or correct the plan", at(), if offered.is_empty() { "nothing".into() } else { offered.join(", ") });
                    }
                };
                for (name, func) in &funcs {
                    match exported.get_export(engine, name).map(|e| e.ty) {
                        Some(ComponentItem::ComponentFunc(offered)) if same_type(func, &offered) => {}
                        Some(ComponentItem::ComponentFunc(offered)) => bail!(
                            "{}: {import}.{name} is {} but the interpreter calls {}\n  fix: rebuild the provider and the interpreter from the same WIT",
                            at(), signature(&offered), signature(func)
                        ),
                        _ => bail!("{}: {import} has no function `{name}`, which the interpreter calls\n  fix: rebuild the provider from the cap's WIT", at()),
                    }
                }
                imports.insert(import.clone(), funcs);
            }
            parts.push(Part {
                cap: provider.cap.clone(),
                path: provider.path.clone(),
                component,
                imports,
            });
        }
        if let Some(missing) = wanted.keys().next() {
            let claimed: BTreeSet<&String> =
                plan.providers.iter().flat_map(|p| &p.satisfies).collect();
            bail!(
                "{}: the interpreter imports {missing}, which no provider in the plan satisfies (they satisfy {})\n  fix: run `cargo pylon compose`, or add the provider that exports it to the plan",
                plan.path.display(),
                if claimed.is_empty() { "nothing".to_string() } else { claimed.into_iter().cloned().collect::<Vec<_>>().join(", ") }
            );
        }
        Ok(Self {
            plan: plan.path.clone(),
            parts,
            dynamic_only,
        })
    }

    /// Instantiate every provider in a store of its own and define the interpreter's
    /// imports in `linker` as calls into them. Returns how each function was forwarded.
    pub async fn link(
        &self,
        store: &mut Store<Guest>,
        linker: &mut Linker<Guest>,
    ) -> Result<Vec<(String, Route)>> {
        let mut routes = Vec::new();
        let stores = store.data().extra.stores();
        for part in &self.parts {
            let (names, types): (Vec<(String, String)>, Vec<&ComponentFunc>) = part
                .imports
                .iter()
                .flat_map(|(import, funcs)| {
                    funcs
                        .iter()
                        .map(move |(name, ty)| ((import.clone(), name.clone()), ty))
                })
                .unzip();
            let (provider, funcs) = stores
                .instantiate(&part.component, &names)
                .await
                .anyhow()
                .with_context(|| {
                    format!(
                        "{}: cannot instantiate provider {} ({})",
                        self.plan.display(),
                        part.cap,
                        part.path.display()
                    )
                })?;
            let mut defined = Vec::new();
            for (i, ((import, name), ty)) in names.iter().zip(&types).enumerate() {
                let mut slot = linker.instance(import).anyhow()?;
                // The target's index is the function's place in `names`, as `add` numbers them.
                let target = store.data().extra.next_callee(i);
                let route = forward::define(
                    &provider,
                    &mut slot,
                    name,
                    ty,
                    funcs[i],
                    target,
                    self.dynamic_only,
                )
                .with_context(|| format!("cannot forward {import}.{name}"))?;
                defined.push((format!("{import}.{name}"), route));
            }
            store
                .data_mut()
                .extra
                .add(&part.cap, &part.component, names, provider, funcs);
            routes.extend(defined);
        }
        Ok(routes)
    }
}
