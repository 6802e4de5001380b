//! What a workspace declares: its caps, found with cargo_metadata, and their manifests.

pub mod cap;
pub mod discover;
pub mod edit;
pub mod library_manifest;
mod locate;
pub mod manifest;
pub mod validate;
pub mod wit;
