//! Exit codes: Python's own code passes through; pylon's outcomes have their own.

use pylon_runtime::Error;

pub const USAGE: u8 = 2;
pub const FAILURE: u8 = 1;
pub const TRAP: u8 = 125;
pub const TIMED_OUT: u8 = 124;
pub const SIGINT: u8 = 130;
pub const SIGTERM: u8 = 143;

/// A command asked for something that cannot be done (a missing file, options that do not
/// go together): exit code 2, as for clap's own usage errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// The process exit code for a failed command.
pub fn code_for(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<Usage>().is_some() {
        return USAGE;
    }
    match err.downcast_ref::<Error>() {
        Some(Error::Usage(_)) => USAGE,
        Some(Error::TimedOut { .. }) => TIMED_OUT,
        Some(Error::Interrupted { signal: "SIGTERM" }) => SIGTERM,
        Some(Error::Interrupted { .. }) => SIGINT,
        Some(Error::Trap(_)) => TRAP,
        _ => FAILURE,
    }
}

/// Ends the process for a run stopped by its timeout or a signal, as `main` would have
/// ended it had the error come back: the same line on stderr, the same code.
pub fn end(err: Error) -> ! {
    let err = anyhow::Error::from(err);
    eprintln!("error: {err:#}");
    std::process::exit(code_for(&err).into())
}
