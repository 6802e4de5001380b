//! `cargo pylon serve`: HTTP/1.1 on loopback (or any address), every request in an
//! instance of its own, created from the application's pre-initialized component.
//!
//! hyper parses the request (a malformed one is answered by hyper and never reaches
//! Python); wasmtime-wasi-http hands it to the guest's wasi:http handler. A request that
//! traps, times out or outgrows its memory ends its own instance only: it gets a 500
//! (or a cut response, if its body had started) and the server goes on.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use pylon_sys::cpython::GUEST_PREFIX;
use tokio::net::TcpListener;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use super::snapshot::{App, GUEST_APP};
use crate::running::launch::{Bounds, Grant, Limited};

/// How `serve` announces that it listens: this, the address, `/`.
pub const BANNER: &str = "pylon serve: http://";

/// What every request's instance gets.
pub struct Settings {
    pub prefix: PathBuf,
    pub site_packages: (PathBuf, String),
    pub app_folder: PathBuf,
    pub grants: Vec<Grant>,
    pub env: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub max_memory: Option<u64>,
}

impl Settings {
    pub fn new(composed: &crate::composing::compose::Composed, app: &App) -> Result<Self> {
        Ok(Self {
            prefix: composed.prefix.clone(),
            site_packages: (
                composed.site_packages.clone(),
                crate::composing::stage::guest_site_packages(composed.cpython.profile.minor()),
            ),
            app_folder: app.folder()?.to_path_buf(),
            grants: app.grants.clone(),
            env: app.environment()?,
            timeout: None,
            max_memory: None,
        })
    }

    /// What the guest sees, while initializing the snapshot and in every request: the
    /// runtime prefix, the site folder and the application's folder read-only, `--dir`
    /// folders, the application's environment, the server's stdout and stderr.
    pub(super) fn wasi_builder(&self) -> Result<WasiCtxBuilder> {
        let mut builder = WasiCtxBuilder::new();
        builder
            .args(&["python3"])
            .envs(&self.env)
            .inherit_stdout()
            .inherit_stderr();
        let (site, site_guest) = &self.site_packages;
        let mounts = [
            (&self.prefix, GUEST_PREFIX, false),
            (site, site_guest.as_str(), false),
            (&self.app_folder, GUEST_APP, false),
        ];
        let grants = self
            .grants
            .iter()
            .map(|g| (&g.host, g.guest.as_str(), !g.read_only));
        for (host, guest, writable) in mounts.into_iter().chain(grants) {
            let perms = if writable {
                FsPerms::ReadWrite
            } else {
                FsPerms::ReadOnly
            };
            builder
                .preopened_dir(host, guest, perms)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("cannot mount {} at {guest}", host.display()))?;
        }
        Ok(builder)
    }

    fn wasi(&self) -> Result<WasiCtx> {
        let mut builder = self.wasi_builder()?;
        builder.allow_blocking_current_thread(true);
        Ok(builder.build())
    }
}

/// One request's store.
struct Exchange {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    limits: StoreLimits,
    hooks: NoOutgoing,
}

impl Limited for Exchange {
    fn limits(&mut self) -> &mut StoreLimits {
        &mut self.limits
    }
}

impl WasiView for Exchange {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Exchange {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// The application serves; it does not make requests of its own (no network unless asked).
struct NoOutgoing;

impl WasiHttpHooks for NoOutgoing {
    fn send_request(
        &mut self,
        _request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<wasmtime_wasi_http::WasiBody>,
                    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
                )>,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

/// The pre-instantiated application and what each request's instance gets.
pub struct Server {
    pre: ProxyPre<Exchange>,
    settings: Settings,
}

impl Server {
    pub fn new(engine: &Engine, component: &Component, settings: Settings) -> Result<Self> {
        let mut linker = Linker::<Exchange>::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)
            .context("cannot link WASI")?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)
            .context("cannot link wasi:http")?;
        let pre = linker
            .instantiate_pre(component)
            .map_err(anyhow::Error::from)
            .context("the application's component does not link")?;
        let pre = ProxyPre::new(pre)
            .map_err(anyhow::Error::from)
            .context("the application's component exports no wasi:http handler")?;
        Ok(Self { pre, settings })
    }

    async fn handle(
        self: Arc<Self>,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        let bounds = Bounds {
            max_memory: self.settings.max_memory,
        };
        let exchange = Exchange {
            wasi: self.settings.wasi()?,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            limits: bounds.limits(),
            hooks: NoOutgoing,
        };
        let mut store = Store::new(self.pre.engine(), exchange);
        bounds.apply(&mut store);
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        let Ok(incoming) = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
        else {
            return Ok(plain(400, "Bad Request: no Host header\n"));
        };
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let outparam = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(anyhow::Error::from)?;
        let (pre, timeout) = (self.pre.clone(), self.settings.timeout);
        let task = tokio::task::spawn(async move {
            let run = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await
            };
            match timeout {
                Some(limit) => tokio::time::timeout(limit, run).await.unwrap_or_else(|_| {
                    Err(wasmtime::format_err!(
                        "timed out after {:.1} s (--timeout)",
                        limit.as_secs_f64()
                    ))
                }),
                None => run.await,
            }
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => {
                eprintln!("pylon serve: {method} {path}: the application answered with the error {code:?}");
                Ok(plain(500, "Internal Server Error\n"))
            }
            Err(_) => {
                let why = match task.await {
                    Ok(Ok(())) => "it returned without a response".to_string(),
                    Ok(Err(err)) => format!("{err:?}"),
                    Err(err) => err.to_string(),
                };
                eprintln!("pylon serve: {method} {path}: the request's instance stopped: {why}");
                Ok(plain(500, "Internal Server Error\n"))
            }
        }
    }
}

fn plain(status: u16, text: &'static str) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from_static(text.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Announce that `app` is served ([`BANNER`]), accept connections until SIGINT or
/// SIGTERM, then let in-flight requests finish (for at most `grace`) and return.
pub async fn run(
    server: Arc<Server>,
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
