//! What every stage uses: fingerprints and stamps, files, archives.

pub mod archive;
pub mod fs;
pub mod stamp;
