//! `cargo pylon serve`: HTTP/1.1 on loopback (or any address), every request in an
//! instance of its own, created from the application's pre-initialized component by
//! pylon-runtime's [`Handler`]; this module accepts connections and stops on signals.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hyper::server::conn::http1;
use pylon_runtime::http::{Handler, Requests};
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

impl pylon_runtime::Report for Logged {
    fn request_failed(&self, method: &str, path: &str, why: &str) {
        eprintln!("pylon serve: {method} {path}: {why}");
    }
}

/// How the server holds under load and fault.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; one more is answered 503 with Retry-After and closed.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// Leave out the access log (a line per request).
    pub quiet: bool,
}

/// What a connection over [`Limits::max_connections`] is answered.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 36\r\nConnection: close\r\n\r\nService Unavailable: server is busy\n";

/// How long accepting waits after a failure (such as EMFILE), so the loop never spins.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Announce that `app` is served ([`BANNER`]), accept connections until SIGINT or
/// SIGTERM, then let in-flight requests finish (for at most `grace`) and return.
pub async fn run(
    server: Arc<Handler>,
    listener: TcpListener,
    app: &std::path::Path,
    grace: Duration,
    limits: Limits,
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
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut failing = AcceptFailures::default();
    eprintln!("{BANNER}{addr}/ serves {} (Ctrl-C stops)", app.display());
    let signal = loop {
        let (stream, _peer): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    failing.note(&err);
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = sigint.recv() => break "SIGINT",
            _ = sigterm.recv() => break "SIGTERM",
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let server = server.clone();
        let service = hyper::service::service_fn(move |request| {
            logged(server.clone(), request, limits.quiet)
        });
        let connection = http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .keep_alive(true)
            // A client that shuts its side after sending a whole request still gets the
            // answer.
            .half_close(true)
            .serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = watched.await {
                if !err.is_incomplete_message() && !err.is_timeout() {
                    eprintln!("pylon serve: connection error: {err}");
                }
            }
            drop(permit);
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

/// A request answered by `server`, with its access-log line unless `quiet`.
async fn logged(
    server: Arc<Handler>,
    request: hyper::Request<hyper::body::Incoming>,
    quiet: bool,
) -> pylon_runtime::Result<hyper::Response<pylon_runtime::http::Body>> {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let started = std::time::Instant::now();
    let response = server.handle(request).await?;
    if !quiet {
        let bytes = response
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        eprintln!(
            "pylon serve: {method} {path} {} {bytes} B {:.1} ms",
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(response)
}

/// Answer a connection over the limit 503 and close it.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let _ = stream.write_all(BUSY).await;
    let _ = stream.shutdown().await;
}

/// Accept failures (EMFILE when out of file handles) are told at most once per
/// [`FAILURE_REPORT`], with how many there were, not once per turn of the loop: a server
/// short of handles flaps between failing and accepting many times a second.
#[derive(Default)]
struct AcceptFailures {
    told: Option<std::time::Instant>,
    count: u64,
}

/// How often a run of accept failures is told.
const FAILURE_REPORT: Duration = Duration::from_secs(5);

impl AcceptFailures {
    fn note(&mut self, err: &std::io::Error) {
        self.count += 1;
        match self.told {
            None => eprintln!(
                "pylon serve: accepting connections fails ({err}); retrying every {} ms",
                ACCEPT_BACKOFF.as_millis()
            ),
            Some(told) if told.elapsed() >= FAILURE_REPORT => eprintln!(
                "pylon serve: accepting connections failed {} more times in the last {:.0} s ({err})",
                self.count,
                told.elapsed().as_secs_f64()
            ),
            Some(_) => return,
        }
        self.told = Some(std::time::Instant::now());
        self.count = 0;
    }
}
