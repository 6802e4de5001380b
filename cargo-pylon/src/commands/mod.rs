//! One module per verb: a clap `Args` struct and its `run`.

pub mod add;
pub mod audit;
pub mod bench;
pub mod check_drift;
pub mod check_licenses;
pub mod compose;
pub mod doctor;
pub mod lock;
pub mod new;
pub mod output;
pub mod probe;
pub mod regrtest;
pub mod remove;
pub mod serve;
pub mod smoke;
pub mod upstream_test;

/// `--plan PATH`, for the commands that launch the interpreter.
#[derive(Debug, clap::Args)]
pub struct PlanArg {
    /// Link the interpreter and its providers as this dynlink plan says (default: the
    /// plan compose writes beside pylon.wasm, when a cap has linkage = "dynlink")
    #[arg(long, value_name = "PATH")]
    plan: Option<std::path::PathBuf>,
}

impl PlanArg {
    pub fn apply(&self, composed: &mut crate::composing::compose::Composed) {
        if let Some(plan) = &self.plan {
            composed.layout.plan = Some(plan.clone());
        }
    }
}

/// What bounds a guest and what it may see: `--timeout`, `--max-memory`, `--dir`, `--env`.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Stop the guest after this many seconds of wall time
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<f64>,
    /// Cap the guest's linear memory, in MiB (at most 4096, all wasm32 can address)
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=MAX_MEMORY_MIB))]
    pub max_memory: Option<u64>,
    /// Grant a host folder at GUEST (default: the same path), read-write, or read-only with :ro
    #[arg(long = "dir", value_name = "HOST[:GUEST][:ro|:rw]")]
    pub dirs: Vec<crate::running::launch::Grant>,
    /// Set an environment variable inside the guest
    #[arg(long = "env", value_name = "K=V", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
}

/// The most `--max-memory` can be: wasm32's 4 GiB.
const MAX_MEMORY_MIB: u64 = pylon_runtime::WASM32_MEMORY >> 20;

/// `--timeout SECS`: a positive, finite number of seconds that a `Duration` can hold.
pub fn parse_timeout(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs.is_finite() && secs <= MAX_TIMEOUT_SECS) {
        return Err(format!(
            "{text} is not a timeout: give a number of seconds above 0 and at most {MAX_TIMEOUT_SECS}"
        ));
    }
    Ok(secs)
}

/// A year: longer than any run, and well inside what a `Duration` holds.
const MAX_TIMEOUT_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// `--env K=V`.
pub fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{text:?} is not K=V")),
    }
}
