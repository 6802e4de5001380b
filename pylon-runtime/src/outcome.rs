//! How a run ended when it is not Python's own exit.

use std::fmt;

/// How a run ended, when it is not Python's own exit.
#[derive(Debug)]
pub enum Outcome {
    /// The user asked for something that cannot be done (missing script, bad option).
    Usage(String),
    /// `--timeout` elapsed.
    TimedOut { secs: f64 },
    /// Ctrl-C or SIGTERM.
    Interrupted { signal: &'static str },
    /// The guest trapped (a crash inside WebAssembly, not a Python exception).
    Trap(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Usage(msg) => write!(f, "{msg}"),
            Outcome::TimedOut { secs } => write!(
                f,
                "timed out: Python ran past --timeout {secs}s and was stopped"
            ),
            Outcome::Interrupted { signal } => {
                write!(f, "interrupted by {signal}; Python was stopped")
            }
            Outcome::Trap(msg) => write!(
                f,
                "the interpreter trapped (a crash inside WebAssembly): {msg}"
            ),
        }
    }
}

impl std::error::Error for Outcome {}
