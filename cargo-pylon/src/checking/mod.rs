//! Checking what ships: licences, drift from upstream, the audit, PyPI answers, facade
//! facts, and the types of the function pointers the interpreter calls.

pub mod audit;
pub mod drift;
pub mod facts;
pub mod licenses;
pub mod signatures;
