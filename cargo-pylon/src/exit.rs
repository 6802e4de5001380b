//! Exit codes: Python's own code passes through; pylon's outcomes have their own.

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

pub const USAGE: u8 = 2;
pub const FAILURE: u8 = 1;
pub const TRAP: u8 = 125;
pub const TIMED_OUT: u8 = 124;
pub const SIGINT: u8 = 130;
pub const SIGTERM: u8 = 143;

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Usage(msg) => write!(f, "{msg}"),
            Outcome::TimedOut { secs } => write!(f, "timed out: Python ran past --timeout {secs}s and was stopped"),
            Outcome::Interrupted { signal } => write!(f, "interrupted by {signal}; Python was stopped"),
            Outcome::Trap(msg) => write!(f, "the interpreter trapped (a crash inside WebAssembly): {msg}"),
        }
    }
}

impl std::error::Error for Outcome {}

/// The process exit code for a failed command.
pub fn code_for(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<Outcome>() {
        Some(Outcome::Usage(_)) => USAGE,
        Some(Outcome::TimedOut { .. }) => TIMED_OUT,
        Some(Outcome::Interrupted { signal: "SIGTERM" }) => SIGTERM,
        Some(Outcome::Interrupted { .. }) => SIGINT,
        Some(Outcome::Trap(_)) => TRAP,
        None => FAILURE,
    }
}
