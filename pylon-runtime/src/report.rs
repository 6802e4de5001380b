//! What the runtime tells its host while it works; the host decides how to show it.

use std::path::Path;

use crate::forward::Path as Route;

/// Told what an [`crate::Interpreter`] or an [`crate::http::Handler`] does that takes
/// time or is worth knowing. Every
/// method does nothing unless the host overrides it.
pub trait Report: Send + Sync {
    /// `component` is being compiled for this engine (once: later loads map the compiled
    /// code from the cache). Takes seconds for an interpreter.
    fn compiling(&self, component: &Path) {
        let _ = component;
    }

    /// The compilation [`Report::compiling`] announced is done.
    fn compiled(&self, component: &Path) {
        let _ = component;
    }

    /// The interpreter's import `import` was linked to its provider by `route`.
    fn forwarded(&self, import: &str, route: Route) {
        let _ = (import, route);
    }

    /// A request to a [`crate::http::Handler`], `method path`, could not be answered by
    /// the guest (it was answered 500 or 503): `why`.
    fn request_failed(&self, method: &str, path: &str, why: &str) {
        let _ = (method, path, why);
    }
}

/// Says nothing.
pub struct Quiet;

impl Report for Quiet {}
