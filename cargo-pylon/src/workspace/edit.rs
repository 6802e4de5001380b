//! Changes pylon makes to the workspace's `Cargo.toml`, keeping its formatting and
//! comments (toml_edit).

use std::path::Path;

use anyhow::{Context, Result};

/// Set `[workspace.metadata.pylon] requirements`; returns the file as it was, so a
/// failed resolution can put it back.
pub fn set_requirements(root: &Path, requirements: &[String]) -> Result<String> {
    let path = root.join("Cargo.toml");
    let before = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut doc: toml_edit::DocumentMut = before
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let pylon = doc
        .entry("workspace")
        .or_insert(toml_edit::table())
        .as_table_like_mut()
        .and_then(|t| {
            t.entry("metadata")
                .or_insert(toml_edit::table())
                .as_table_like_mut()
        })
        .and_then(|t| {
            t.entry("pylon")
                .or_insert(toml_edit::table())
                .as_table_like_mut()
        })
        .with_context(|| {
            format!(
                "{}: [workspace.metadata.pylon] is not a table",
                path.display()
            )
        })?;
    if requirements.is_empty() {
        pylon.remove("requirements");
    } else {
        let mut list: toml_edit::Array = requirements.iter().map(String::as_str).collect();
        if requirements.len() > 2 {
            for item in list.iter_mut() {
                item.decor_mut().set_prefix("\n    ");
            }
            list.set_trailing("\n");
            list.set_trailing_comma(true);
        }
        pylon.insert("requirements", toml_edit::value(list));
    }
    std::fs::write(&path, doc.to_string())
        .with_context(|| format!("cannot update {}", path.display()))?;
    Ok(before)
}

/// Put `Cargo.toml` back as [`set_requirements`] found it.
pub fn restore(root: &Path, before: &str) -> Result<()> {
    let path = root.join("Cargo.toml");
    std::fs::write(&path, before).with_context(|| format!("cannot restore {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_and_clears_requirements_keeping_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        let original = "# the workspace\n[workspace]\nmembers = []\n\n[workspace.metadata.pylon]\npreload = [\"json\"] # kept\n";
        std::fs::write(&manifest, original).unwrap();
        let before = set_requirements(dir.path(), &["flask>=3".into()]).unwrap();
        assert_eq!(before, original);
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(text.contains("preload = [\"json\"] # kept"), "{text}");
        assert!(text.contains("requirements = [\"flask>=3\"]"), "{text}");
        set_requirements(dir.path(), &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&manifest).unwrap(), original);
    }
}
