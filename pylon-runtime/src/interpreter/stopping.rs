//! Stopping a run at its time limit or on SIGINT and SIGTERM: where it is, or by ending
//! the process.

use anyhow::Context;

use super::run::flush_stdio;
use crate::sandbox::Sandbox;
use crate::Error;

/// How a run is stopped at its time limit ([`Sandbox::timeout`]) or on SIGINT and SIGTERM
/// ([`Sandbox::stop_on_signals`]).
#[derive(Clone, Copy, Default)]
pub enum Stopping {
    /// The guest is compiled with wasmtime's epoch checks and yields to the launcher at
    /// every tick, so a run is stopped where it is and the interpreter goes on with the
    /// next sandbox. The checks, at every loop and call, cost about an eighth of compute
    /// speed.
    #[default]
    Cooperative,
    /// The guest is compiled without them and runs at full speed; a run past its limit or
    /// signalled ends the whole process, as SIGKILL would but tidily: the run's staging
    /// folder is removed, the host's stdout and stderr flushed, and this function called
    /// with the error (it must not return, so it ends the process). For a command line
    /// that runs one sandbox per process.
    EndsProcess(fn(Error) -> !),
}

/// Why a run must stop, once its time limit passes or a watched signal comes (pending
/// forever with neither).
pub(super) async fn stop(timeout: Option<std::time::Duration>, signals: &mut Signals) -> Error {
    let limit = async {
        match timeout {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = limit => Error::TimedOut { secs: timeout.unwrap_or_default().as_secs_f64() },
        signal = signals.next() => Error::Interrupted { signal },
    }
}

/// SIGINT and SIGTERM, watched when the sandbox stops on signals.
pub(super) struct Signals(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

impl Signals {
    /// Installs the handlers now (inside a Tokio runtime).
    pub(super) fn watch(sandbox: &Sandbox) -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        let watched = sandbox
            .stop_on_signals
            .then(|| -> std::io::Result<_> {
                Ok((
                    signal(SignalKind::interrupt())?,
                    signal(SignalKind::terminate())?,
                ))
            })
            .transpose()
            .context("cannot watch for SIGINT and SIGTERM")?;
        Ok(Self(watched))
    }

    /// The next signal's name; pending forever when none is watched.
    pub(super) async fn next(&mut self) -> &'static str {
        let Some((sigint, sigterm)) = self.0.as_mut() else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = sigint.recv() => "SIGINT",
            _ = sigterm.recv() => "SIGTERM",
        }
    }
}

/// For [`Stopping::EndsProcess`]: a thread that ends the process when the run passes its
/// limit or is signalled; dropping it (the run ended first) closes the channel the thread
/// waits on, which stops it.
pub(super) struct Watchdog {
    _done: tokio::sync::oneshot::Sender<()>,
}

impl Watchdog {
    pub(super) fn start(
        sandbox: &Sandbox,
        staging: &std::path::Path,
        end: fn(Error) -> !,
    ) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the watchdog's runtime")?;
        // Installed before the guest runs, on this thread, as in the cooperative case.
        let mut signals = {
            let _entered = runtime.enter();
            Signals::watch(sandbox)?
        };
        let (_done, finished) = tokio::sync::oneshot::channel::<()>();
        let (timeout, staging) = (sandbox.timeout, staging.to_path_buf());
        std::thread::Builder::new()
            .name("pylon-watchdog".into())
            .spawn(move || {
                let stopped = runtime.block_on(async {
                    tokio::select! {
                        _ = finished => None,
                        err = stop(timeout, &mut signals) => Some(err),
                    }
                });
                if let Some(err) = stopped {
                    let _ = std::fs::remove_dir_all(&staging);
                    flush_stdio();
                    end(err);
                }
            })
            .context("cannot start the watchdog thread")?;
        Ok(Self { _done })
    }
}
