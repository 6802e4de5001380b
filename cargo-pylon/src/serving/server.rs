//! `cargo pylon serve`: HTTP/1.1 on loopback (or any address), every request in an
//! instance of its own, created from the application's pre-initialized component by
//! pylon-runtime's [`Handler`]; this module accepts connections and stops on signals.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hyper::server::conn::http1;
use pylon_runtime::http::{Handler, RequestReport, Requests};
use tokio::net::TcpListener;
use wasmtime_wasi_http::io::TokioIo;

use super::snapshot::{App, GUEST_APP};
use crate::composing::compose::Composed;
use crate::running::launch::{Bounds, Grant};

/// How `serve` announces that it listens: this, the address, `/`.
pub const BANNER: &str = "pylon serve: http://";

/// What every request's instance gets, while initializing the snapshot and in every
/// request: the composition's runtime prefix and site folder, the application's folder
/// read-only, `--dir` folders, the application's environment. No limits yet.
pub fn requests(composed: &Composed, app: &App) -> Result<Requests> {
    let mut grants = vec![Grant::read_only(app.folder()?, GUEST_APP)];
    grants.extend(app.grants.iter().cloned());
    Ok(Requests {
        layout: composed.layout.clone(),
        grants,
        env: app.environment()?,
        timeout: None,
        bounds: Bounds::default(),
    })
}

/// Requests that fail are told on stderr.
pub struct Logged;

impl RequestReport for Logged {
    fn failed(&self, method: &str, path: &str, why: &str) {
        eprintln!("pylon serve: {method} {path}: {why}");
    }
}

/// Announce that `app` is served ([`BANNER`]), accept connections until SIGINT or
/// SIGTERM, then let in-flight requests finish (for at most `grace`) and return.
pub async fn run(
    server: Arc<Handler>,
    listener: TcpListener,
    app: &std::path::Path,
    grace: Duration,
) -> Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Watched from before the first accept, and across the loop, so no signal falls between
    // two listeners (a fresh `ctrl_c()` per turn would miss one sent meanwhile).
    use tokio::signal::unix::{signal, SignalKind};
    let mut sigint = signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?;
    let mut sigterm = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    let addr = listener
        .local_addr()
        .context("the listener has no address")?;
    eprintln!("{BANNER}{addr}/ serves {} (Ctrl-C stops)", app.display());
    let signal = loop {
        let (stream, _peer): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    eprintln!("pylon serve: accepting a connection failed: {err}");
                    continue;
                }
            },
            _ = sigint.recv() => break "SIGINT",
            _ = sigterm.recv() => break "SIGTERM",
        };
        let server = server.clone();
        let service = hyper::service::service_fn(move |request| server.clone().handle(request));
        let connection = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = watched.await {
                if !err.is_incomplete_message() {
                    eprintln!("pylon serve: connection error: {err}");
                }
            }
        });
    };
    eprintln!("pylon serve: {signal}: finishing the requests in flight");
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!(
            "pylon serve: requests still running after {} s; stopping them",
            grace.as_secs()
        );
    }
    Ok(())
}
