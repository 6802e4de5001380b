//! C bindings for a cap's import world, generated with the wit-bindgen-c library.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use wit_parser::{Resolve, WorldId, WorldItem, WorldKey};

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
        self.interfaces(|w| &w.imports)
    }

    /// `ns:pkg/iface@version` of every interface the world exports.
    pub fn exported_interfaces(&self) -> BTreeSet<String> {
        self.interfaces(|w| &w.exports)
    }

    fn interfaces(
        &self,
        items: impl Fn(&wit_parser::World) -> &wit_parser::IndexMap<WorldKey, WorldItem>,
    ) -> BTreeSet<String> {
        items(&self.resolve.worlds[self.world])
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

/// Generated files of one cap.
pub struct Bindings {
    pub dir: PathBuf,
    pub sources: Vec<PathBuf>,
    /// The component-type object wit-bindgen-c emits; it carries the world's type
    /// information into the linked module, where wit-component reads it.
    pub type_object: PathBuf,
}

/// Write the C bindings for `wit`'s world into `dir`.
pub fn generate(wit: &mut Wit, dir: &Path) -> Result<Bindings> {
    let mut files = wit_bindgen_core::Files::default();
    let mut generator = wit_bindgen_c::Opts::default().build();
    generator
        .generate(&mut wit.resolve, wit.world, &mut files)
        .context("wit-bindgen-c could not generate bindings for the world")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (mut sources, mut type_object) = (Vec::new(), None);
    for (name, bytes) in files.iter() {
        let path = dir.join(name);
        write_if_changed(&path, bytes)?;
        if name.ends_with(".c") {
            sources.push(path);
        } else if name.ends_with(".o") {
            type_object = Some(path);
        }
    }
    let Some(type_object) = type_object else {
        bail!("wit-bindgen-c produced no component-type object")
    };
    Ok(Bindings {
        dir: dir.to_path_buf(),
        sources,
        type_object,
    })
}

/// Leave unchanged files alone so their timestamps keep later steps incremental.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
