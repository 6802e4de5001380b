//! What every stage uses: fingerprints and stamps, files, archives, the package index.

pub mod archive;
pub mod fs;
pub mod pypi;
pub mod stamp;
