//! A cap's WIT contract: its folder parsed with wit-parser, and the world its extension
//! is built against.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use wit_parser::{Resolve, WorldId, WorldItem};

/// A cap's WIT folder, parsed, with the world its extension is built against.
pub struct Wit {
    pub resolve: Resolve,
    pub world: WorldId,
}

impl Wit {
    pub fn load(dir: &Path, world: &str) -> Result<Self> {
        let mut resolve = Resolve::default();
        let (package, _) = resolve
            .push_dir(dir)
            .with_context(|| format!("cannot parse the WIT in {}", dir.display()))?;
        let world = resolve
            .select_world(&[package], Some(world))
            .with_context(|| format!("{} has no world `{world}`; name the extension's import world in `extension.world`", dir.display()))?;
        Ok(Self { resolve, world })
    }

    /// `ns:pkg/iface@version` of every interface the world imports.
    pub fn imported_interfaces(&self) -> BTreeSet<String> {
        self.resolve.worlds[self.world]
            .imports
            .iter()
            .filter_map(|(_, item)| match item {
                WorldItem::Interface { id, .. } => self.resolve.id_of(*id),
                _ => None,
            })
            .collect()
    }

    /// The C identifier prefix wit-bindgen-c derives from the world name.
    pub fn c_prefix(&self) -> String {
        self.resolve.worlds[self.world].name.replace('-', "_")
    }
}
