//! Exit codes: Python's own code passes through; pylon's outcomes have their own.

pub use pylon_runtime::Outcome;

pub const USAGE: u8 = 2;
pub const FAILURE: u8 = 1;
pub const TRAP: u8 = 125;
pub const TIMED_OUT: u8 = 124;
pub const SIGINT: u8 = 130;
pub const SIGTERM: u8 = 143;

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
