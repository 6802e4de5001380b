//! How an interpreter loads and runs: the switches a command line sets.

use std::sync::Arc;

use super::Stopping;
use crate::report::{Quiet, Report};

/// How an interpreter loads and runs: the switches a command line reads from its
/// environment, and who is told what it does.
#[derive(Clone)]
pub struct Options {
    /// Every run starts from the cold interpreter, never from the pre-initialized one
    /// (to compare the two, or to rule the snapshot out).
    pub cold: bool,
    /// Forward every call into a runtime-linked provider through dynamic values, never
    /// through typed functions (to measure what the typed path saves).
    pub dynamic_calls: bool,
    /// Told what takes time (compiling a component on first use) and how each import was
    /// linked.
    pub report: Arc<dyn Report>,
    /// How a run is stopped at its time limit or on a signal.
    pub stopping: Stopping,
    /// Tell `perf` the names of compiled functions
    /// ([`engine::Tuning::perfmap`](crate::engine::Tuning::perfmap)).
    pub perfmap: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cold: false,
            dynamic_calls: false,
            report: Arc::new(Quiet),
            stopping: Stopping::Cooperative,
            perfmap: false,
        }
    }
}
