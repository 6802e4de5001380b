//! What can go wrong at pylon-runtime's API, as one enum a host can match on.

/// Why a call into pylon-runtime did not give a result.
///
/// A run that Python ended itself, with any exit code, is not an error: it is the
/// `Ok(code)` of [`crate::Interpreter::run`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The program cannot run as asked (its script is missing, a grant is not a folder).
    #[error("{0}")]
    Usage(String),
    /// The sandbox's wall-time limit elapsed and the guest was stopped.
    #[error("timed out: Python ran past --timeout {secs}s and was stopped")]
    TimedOut {
        /// The limit, in seconds.
        secs: f64,
    },
    /// SIGINT or SIGTERM stopped the guest (only with [`crate::Sandbox::stop_on_signals`]).
    #[error("interrupted by {signal}; Python was stopped")]
    Interrupted {
        /// `"SIGINT"` or `"SIGTERM"`.
        signal: &'static str,
    },
    /// The guest trapped: a crash inside WebAssembly, not a Python exception.
    #[error("the interpreter trapped (a crash inside WebAssembly): {0}")]
    Trap(String),
    /// The composed interpreter could not be loaded: a file is missing or changed since
    /// compose, its plan does not check, or a component does not link. The message holds
    /// every cause and the fix.
    #[error("{0}")]
    Load(String),
    /// The host could not set a run up: its staging folder, a mount, the async runtime.
    #[error("{0}")]
    Host(String),
}

/// A pylon-runtime result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    // The whole chain of contexts, so a host that prints the error shows each cause.
    pub(crate) fn load(cause: anyhow::Error) -> Self {
        Self::Load(format!("{cause:#}"))
    }

    pub(crate) fn host(cause: anyhow::Error) -> Self {
        Self::Host(format!("{cause:#}"))
    }
}

/// Internal results carry anyhow's context chain until they cross the API.
pub(crate) trait Classify<T> {
    /// As a loading failure.
    fn loading(self) -> Result<T>;
    /// As a failure to set a run up (a [`Error`] already classified passes through).
    fn hosting(self) -> Result<T>;
}

impl<T> Classify<T> for anyhow::Result<T> {
    fn loading(self) -> Result<T> {
        self.map_err(|err| match err.downcast::<Error>() {
            Ok(error) => error,
            Err(err) => Error::load(err),
        })
    }

    fn hosting(self) -> Result<T> {
        self.map_err(|err| match err.downcast::<Error>() {
            Ok(error) => error,
            Err(err) => Error::host(err),
        })
    }
}

/// wasmtime 48 has its own error type; results cross into anyhow before getting context.
pub(crate) trait IntoAnyhow<T> {
    fn anyhow(self) -> anyhow::Result<T>;
}

impl<T> IntoAnyhow<T> for wasmtime::Result<T> {
    fn anyhow(self) -> anyhow::Result<T> {
        self.map_err(anyhow::Error::from)
    }
}
