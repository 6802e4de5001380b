//! Archives: wheels and sdists.

use std::path::Path;

use anyhow::{Context, Result};

/// Unpack a wheel (a zip file) into `into`.
pub fn unzip(wheel: &Path, into: &Path) -> Result<()> {
    let file =
        std::fs::File::open(wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
    zip::ZipArchive::new(file)
        .and_then(|mut archive| archive.extract(into))
        .with_context(|| format!("cannot unpack {}", wheel.display()))
}
