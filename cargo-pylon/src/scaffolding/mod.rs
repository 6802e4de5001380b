//! Scaffolding: new caps, and scratch copies of a workspace.

pub mod newcap;
pub mod scratch;
mod templates;
