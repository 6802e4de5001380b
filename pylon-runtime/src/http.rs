//! Components that export `wasi:http/incoming-handler`: pre-instantiated once, an instance
//! of their own for every request.
//!
//! hyper has parsed the request before it arrives here (a malformed one never reaches the
//! guest); wasmtime-wasi-http hands it to the guest's handler. A request that traps, times
//! out or outgrows its memory ends its own instance only: it gets a 500 (or a cut
//! response, if its body had started) and the next request is served.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::component::Component;
use wasmtime::component::Linker;
use wasmtime::{Engine, Store};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::error::{Classify, IntoAnyhow};
use crate::report::{Quiet, Report};
use crate::state::{Bounds, State};
use crate::{Grant, Layout, Result};

/// The response body a [`Handler`] gives.
pub type Body = HyperOutgoingBody;

/// What every request's instance gets: the layout's read-only folders, the grants, the
/// environment, and its limits.
pub struct Requests {
    /// The composition the component belongs to (its runtime prefix and site folder).
    pub layout: Layout,
    /// More folders, such as the application's own (read-only) and `--dir` grants.
    pub grants: Vec<Grant>,
    /// The guest's environment.
    pub env: Vec<(String, String)>,
    /// The most wall time one request may take.
    pub timeout: Option<Duration>,
    /// The memory one request's instance may have.
    pub bounds: Bounds,
}

impl Requests {
    /// The guest's view, with the server's stdout and stderr: what the component is also
    /// initialized with when it is snapshotted, so both see the same folders.
    pub fn wasi(&self) -> anyhow::Result<wasmtime_wasi::WasiCtxBuilder> {
        let mut builder = self.layout.wasi(None, &self.grants, &self.env, false)?;
        builder.args(&["python3"]).inherit_stdout().inherit_stderr();
        Ok(builder)
    }
}

/// A request's store data: WASI and wasi:http.
type Exchange = State<Http>;

/// wasi:http's part of a request's store.
pub struct Http {
    ctx: WasiHttpCtx,
    hooks: NoOutgoing,
}

impl WasiHttpView for Exchange {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.extra.ctx,
            table: &mut self.table,
            hooks: &mut self.extra.hooks,
        }
    }
}

/// The guest serves; it makes no requests of its own (no network unless asked).
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

/// A pre-instantiated wasi:http component and what each request's instance gets.
pub struct Handler {
    pre: ProxyPre<Exchange>,
    requests: Requests,
    report: Arc<dyn Report>,
}

impl Handler {
    /// Link `component` (compiled for `engine`) with WASI and wasi:http.
    pub fn new(engine: &Engine, component: &Component, requests: Requests) -> Result<Self> {
        Self::link(engine, component).loading().map(|pre| Self {
            pre,
            requests,
            report: Arc::new(Quiet),
        })
    }

    /// Tell `report` about requests that fail.
    pub fn reporting(mut self, report: Arc<dyn Report>) -> Self {
        self.report = report;
        self
    }

    fn link(engine: &Engine, component: &Component) -> anyhow::Result<ProxyPre<Exchange>> {
        let mut linker = Linker::<Exchange>::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .anyhow()
            .context("cannot link WASI")?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .anyhow()
            .context("cannot link wasi:http")?;
        crate::locks::define(&mut linker)?;
        let pre = linker
            .instantiate_pre(component)
            .anyhow()
            .context("the component does not link")?;
        ProxyPre::new(pre)
            .anyhow()
            .context("the component exports no wasi:http handler")
    }

    /// Answer `request` from an instance of its own.
    pub async fn handle(
        self: Arc<Self>,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<Body>> {
        let requests = &self.requests;
        let (method, path) = (
            request.method().to_string(),
            request.uri().path().to_string(),
        );
        // Out of file handles (or any host failure) is a busy server, not a dropped client.
        let mut wasi = match requests.wasi() {
            Ok(wasi) => wasi,
            Err(err) => {
                self.report
                    .request_failed(&method, &path, &format!("{err:#}"));
                return Ok(busy());
            }
        };
        let http = Http {
            ctx: WasiHttpCtx::new(),
            hooks: NoOutgoing,
        };
        let mut store = Store::new(
            self.pre.engine(),
            State::new(
                wasi.build(),
                requests.layout.files(None, &requests.grants, None),
                requests.bounds,
                http,
            ),
        );
        requests.bounds.apply(&mut store);
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
            .anyhow()
            .hosting()?;
        let (pre, timeout) = (self.pre.clone(), requests.timeout);
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
                let why = format!("the application answered with the error {code:?}");
                self.report.request_failed(&method, &path, &why);
                Ok(plain(500, "Internal Server Error\n"))
            }
            Err(_) => {
                let why = match task.await {
                    Ok(Ok(())) => "it returned without a response".to_string(),
                    Ok(Err(err)) => format!("{err:?}"),
                    Err(err) => err.to_string(),
                };
                let why = format!("the request's instance stopped: {why}");
                self.report.request_failed(&method, &path, &why);
                Ok(plain(500, "Internal Server Error\n"))
            }
        }
    }
}

/// 503 with Retry-After: the server cannot take the request now.
pub fn busy() -> hyper::Response<Body> {
    let mut response = plain(503, "Service Unavailable: try again shortly\n");
    response.headers_mut().insert(
        hyper::header::RETRY_AFTER,
        hyper::header::HeaderValue::from_static("1"),
    );
    response
}

/// A plain-text answer with `status`.
pub fn plain(status: u16, text: &'static str) -> hyper::Response<Body> {
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
