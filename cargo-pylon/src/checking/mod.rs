//! Checking what ships: licences, drift from upstream, the audit, PyPI answers, facade facts.

pub mod audit;
pub mod drift;
pub mod facts;
pub mod licenses;
