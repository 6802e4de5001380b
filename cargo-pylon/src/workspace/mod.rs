//! What a workspace declares: its caps, found with cargo_metadata, and their manifests.

pub mod discover;
pub mod edit;
pub mod library_manifest;
pub mod manifest;
pub mod validate;
pub mod wit;
