//! What a component imports and exports, as `ns:pkg/iface@version` names.

use std::collections::BTreeSet;

use anyhow::{bail, Context, Result};
use wit_parser::{Resolve, TypeDefKind, WorldItem, WorldKey};

pub use pylon_runtime::{is_host_provided, is_wasi};

pub struct Interfaces {
    pub imports: BTreeSet<String>,
    pub exports: BTreeSet<String>,
    /// `iface@version/resource` of every resource the exported interfaces define.
    pub exported_resources: BTreeSet<String>,
}

pub fn interfaces(component: &[u8]) -> Result<Interfaces> {
    let decoded = wit_component::decode(component).context("not a valid component")?;
    let wit_component::DecodedWasm::Component(resolve, world) = decoded else {
        bail!("a WIT package, not a component");
    };
    let world = &resolve.worlds[world];
    let exported_resources = world
        .exports
        .values()
        .filter_map(|item| match item {
            WorldItem::Interface { id, .. } => Some(*id),
            _ => None,
        })
        .flat_map(|id| {
            let interface = &resolve.interfaces[id];
            let prefix = resolve.id_of(id).unwrap_or_default();
            interface
                .types
                .iter()
                .filter(|(_, ty)| matches!(resolve.types[**ty].kind, TypeDefKind::Resource))
                .map(move |(name, _)| format!("{prefix}/{name}"))
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(Interfaces {
        imports: names(&resolve, world.imports.iter()),
        exports: names(&resolve, world.exports.iter()),
        exported_resources,
    })
}

fn names<'a>(
    resolve: &Resolve,
    items: impl Iterator<Item = (&'a WorldKey, &'a WorldItem)>,
) -> BTreeSet<String> {
    items
        .filter_map(|(_, item)| match item {
            WorldItem::Interface { id, .. } => resolve.id_of(*id),
            _ => None,
        })
        .collect()
}
