//! One module per verb: a clap `Args` struct and its `run`.

pub mod audit;
pub mod bench;
pub mod check_drift;
pub mod check_licenses;
pub mod compose;
pub mod doctor;
pub mod new;
pub mod output;
pub mod probe;
pub mod smoke;
