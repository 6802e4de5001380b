//! `serve` under load on loopback: requests per second and latency of a small JSON
//! endpoint and a 1 MiB upload, at concurrency 1 and 16, against native CPython serving the
//! same application with wsgiref's threading server. Each request opens its own
//! connection (wsgiref speaks HTTP/1.0), so both servers do the same work per request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::{ms, Row};
use crate::composing::compose::Composed;

const APP: &str = r#"import json

def application(environ, start_response):
    if environ["PATH_INFO"] == "/upload":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        out = json.dumps({"size": len(body)}).encode()
    else:
        out = json.dumps({"hello": "world", "numbers": list(range(10))}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]
"#;

const NATIVE_SERVER: &str = r#"import socketserver, sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
sys.path.insert(0, sys.argv[1])
from bench_app import application

class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

server = make_server("127.0.0.1", 0, application, server_class=Server, handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
"#;

/// A server process, killed when dropped.
struct Running(Child, u16);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_pylon(app: &std::path::Path) -> Result<Running> {
    let exe = std::env::current_exe().context("cannot find the running cargo-pylon")?;
    let mut child = Command::new(exe)
        .arg("serve")
        .arg(app)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start cargo pylon serve")?;
    let stderr = child.stderr.take().context("no stderr")?;
    for line in BufReader::new(stderr).lines() {
        let line = line?;
        if let Some(rest) = line.strip_prefix(crate::serving::server::BANNER) {
            let port = rest
                .split('/')
                .next()
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse().ok())
                .context("no port in serve's banner")?;
            return Ok(Running(child, port));
        }
    }
    bail!("cargo pylon serve exited before listening")
}

fn start_native(composed: &Composed, folder: &std::path::Path) -> Result<Running> {
    let mut child = Command::new(composed.cpython.native_python())
        .arg("-c")
        .arg(NATIVE_SERVER)
        .arg(folder)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start the native server")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let port = line
        .trim()
        .parse()
        .context("the native server printed no port")?;
    Ok(Running(child, port))
}

/// One request on its own connection; its wall time.
fn request(port: u16, head: &[u8], body: &[u8]) -> Result<Duration> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(head)?;
    stream.write_all(body)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    if !reply.starts_with(b"HTTP/1.1 200") && !reply.starts_with(b"HTTP/1.0 200") {
        bail!(
            "a benchmark request failed: {}",
            String::from_utf8_lossy(&reply[..reply.len().min(200)])
        );
    }
    Ok(started.elapsed())
}

struct Load {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

fn load(port: u16, path: &str, body: &[u8], concurrency: usize, count: usize) -> Result<Load> {
    let method = if body.is_empty() { "GET" } else { "POST" };
    let head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len());
    let started = Instant::now();
    let per = count / concurrency;
    let results: Vec<Result<Vec<Duration>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(|| {
                    (0..per)
                        .map(|_| request(port, head.as_bytes(), body))
                        .collect()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a load thread panicked"))
            .collect()
    });
    let elapsed = started.elapsed();
    let mut times: Vec<Duration> = results.into_iter().collect::<Result<Vec<_>>>()?.concat();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    Ok(Load {
        rps: times.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
    })
}

pub fn rows(composed: &Composed) -> Result<Vec<Row>> {
    let folder = tempfile::tempdir().context("cannot create a folder for the benchmark app")?;
    let app = folder.path().join("bench_app.py");
    std::fs::write(&app, APP).with_context(|| format!("cannot write {}", app.display()))?;
    let pylon = start_pylon(&app)?;
    let native = start_native(composed, folder.path())?;
    let upload = vec![b'x'; 1 << 20];
    let cases: [(&str, &str, &[u8], usize, usize); 4] = [
        ("small JSON", "/json", b"", 1, 200),
        ("small JSON", "/json", b"", 16, 800),
        ("1 MiB upload", "/upload", &upload, 1, 50),
        ("1 MiB upload", "/upload", &upload, 16, 160),
    ];
    let mut rows = Vec::new();
    for (what, path, body, concurrency, count) in cases {
        // A short warm-up, so neither side pays its first connection in the figures.
        load(pylon.1, path, body, 1, 5)?;
        load(native.1, path, body, 1, 5)?;
        let ours = load(pylon.1, path, body, concurrency, count)?;
        let theirs = load(native.1, path, body, concurrency, count)?;
        let show = |l: &Load| format!("{:.0} req/s, p50 {}, p99 {}", l.rps, ms(l.p50), ms(l.p99));
        rows.push(Row {
            what: format!(
                "serve {what}, concurrency {concurrency} ({count} requests, a connection each)"
            ),
            pylon: show(&ours),
            baseline: format!("{} native wsgiref (threads)", show(&theirs)),
            ratio: format!("{:.2}x throughput", ours.rps / theirs.rps),
        });
    }
    Ok(rows)
}
