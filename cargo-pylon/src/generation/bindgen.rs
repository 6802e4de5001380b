//! C bindings for a cap's import world, generated with the wit-bindgen-c library.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

pub use crate::workspace::wit::Wit;

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
        crate::support::fs::write_if_changed(&path, bytes)?;
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
