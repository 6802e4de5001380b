//! `cargo pylon serve`: a WSGI application behind pylon's server, the same application
//! emitted as a wasi:http/proxy component under stock `wasmtime serve`, and unmodified
//! Bottle from PyPI.

use crate::common;
use crate::common::server::{agent, call, json, stock_serve, Server};
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sha2::Digest;

const BOTTLE: (&str, &str, &str) = (
    "bottle",
    "0.13.4",
    "045684fbd2764eac9cdeb824861d1551d113e8b683d8d26e296898d3dd99a12e",
);

fn megabyte() -> Vec<u8> {
    (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect()
}

/// GET, and a 1 MiB POST through three caps (static, runtime-linked, in the interpreter).
fn check_app(agent: &ureq::Agent, base: &str) {
    let (status, body) = call(agent, "GET", &format!("{base}/hello?who=pylon"), None);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let reply = json(&body);
    assert_eq!(
        (
            reply["method"].as_str(),
            reply["path"].as_str(),
            reply["query"].as_str()
        ),
        (Some("GET"), Some("/hello"), Some("who=pylon"))
    );

    let upload = megabyte();
    let (status, body) = call(agent, "POST", &format!("{base}/upload"), Some(&upload));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let reply = json(&body);
    assert_eq!(reply["size"], 1 << 20);
    assert_digests(&reply, &upload);
    assert_eq!(reply["snappy"], true);
}

/// The reply's `sha256` and `blake3` are those of `upload`, as the host computes them.
fn assert_digests(reply: &serde_json::Value, upload: &[u8]) {
    assert_eq!(
        reply["sha256"].as_str().unwrap(),
        hex(&sha2::Sha256::digest(upload))
    );
    assert_eq!(
        reply["blake3"].as_str().unwrap(),
        blake3::hash(upload).to_hex().as_str()
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn fixture(name: &str) -> PathBuf {
    common::workspace().join("tests/fixtures/serve").join(name)
}

#[test]
fn a_wsgi_app_answers_uploads_and_load_survives_its_exceptions_and_stops_on_sigint() {
    let mut server = Server::pylon(&fixture("app.py"), &[]);
    let agent = agent();
    check_app(&agent, &server.base);

    // An exception in the application is a 500 with its traceback logged; the next
    // request is served as before.
    let (status, body) = call(&agent, "GET", &format!("{}/boom", server.base), None);
    assert_eq!(
        (status, String::from_utf8_lossy(&body).as_ref()),
        (500, "Internal Server Error\n")
    );
    let (status, _) = call(&agent, "GET", &format!("{}/after", server.base), None);
    assert_eq!(status, 200);
    let log = server.drain();
    assert!(
        log.contains("RuntimeError: the application failed on purpose"),
        "{log}"
    );

    // 400 requests, 16 at a time, each answered for itself.
    let base = server.base.clone();
    let workers: Vec<_> = (0..16)
        .map(|w| {
            let (agent, base) = (agent.clone(), base.clone());
            std::thread::spawn(move || {
                for i in 0..25 {
                    let path = format!("/w{w}/r{i}");
                    let (status, body) = call(&agent, "GET", &format!("{base}{path}"), None);
                    assert_eq!(status, 200);
                    assert_eq!(json(&body)["path"].as_str(), Some(path.as_str()));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a request went wrong");
    }

    // SIGINT while a request runs: that request still gets its answer, then the server exits.
    let slow = {
        let (agent, url) = (agent.clone(), format!("{}/slow?1.5", server.base));
        std::thread::spawn(move || call(&agent, "GET", &url, None).0)
    };
    std::thread::sleep(Duration::from_millis(500));
    server.signal("INT");
    assert_eq!(slow.join().unwrap(), 200);
    let status = server.wait(Duration::from_secs(30));
    assert!(status.success(), "{status}");
    let log = server.drain();
    assert!(
        log.contains("SIGINT: finishing the requests in flight"),
        "{log}"
    );
}

#[test]
fn a_request_past_its_timeout_or_memory_ends_alone() {
    let server = Server::pylon(
        &fixture("app.py"),
        &["--timeout", "1", "--max-memory", "64"],
    );
    let agent = agent();
    let (status, _) = call(&agent, "GET", &format!("{}/slow?5", server.base), None);
    assert_eq!(status, 500);
    // 100 MiB does not fit under a 64 MiB cap: Python's MemoryError, a 500.
    let (status, _) = call(&agent, "GET", &format!("{}/hog", server.base), None);
    assert_eq!(status, 500);
    // Every request has a fresh instance: the next ones are served as before.
    check_app(&agent, &server.base);
    let log = server.drain();
    assert!(log.contains("timed out after 1.0 s"), "{log}");
    assert!(log.contains("MemoryError"), "{log}");
}

#[test]
fn a_request_timed_out_in_a_write_transaction_leaves_the_database_writable() {
    let data = tempfile::tempdir().unwrap();
    let grant = format!("{}:/data", data.path().display());
    let server = Server::pylon(
        &fixture("sqlite_app.py"),
        &["--timeout", "2", "--dir", &grant],
    );
    let agent = agent();
    let (status, body) = call(&agent, "GET", &format!("{}/write", server.base), None);
    assert_eq!((status, body.as_slice()), (200, &b"1"[..]));
    let (status, _) = call(&agent, "GET", &format!("{}/hold", server.base), None);
    assert_eq!(status, 500, "{}", server.drain());
    // The instance that held the lock is gone, and its lock and its row with it.
    for count in [b"2", b"3"] {
        let (status, body) = call(&agent, "GET", &format!("{}/write", server.base), None);
        assert_eq!(
            (status, String::from_utf8_lossy(&body).into_owned()),
            (200, String::from_utf8_lossy(count).into_owned())
        );
    }
    assert!(!data.path().join("app.db.lock").exists(), "no lock folder");
}

#[test]
fn sigterm_past_the_grace_stops_requests_inside_file_calls_without_a_panic() {
    let mut server = Server::pylon(&fixture("reading_app.py"), &["--grace", "1"]);
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let url = format!("{}/", server.base);
            std::thread::spawn(move || call(&agent(), "GET", &url, None).0)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(30));
    for client in clients {
        let _ = client.join();
    }
    let log = server.drain();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("stopping them"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn out_of_file_handles_every_request_gets_an_answer() {
    let server = Server::pylon_with_file_limit(&fixture("app.py"), 128);
    let url = format!("{}/slow?2", server.base);
    let clients: Vec<_> = (0..200)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || call(&agent(), "GET", &url, None).0)
        })
        .collect();
    let statuses: Vec<u16> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    // Served, or told to come back; never a connection dropped without an answer.
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200), "{statuses:?}");
    let log = server.drain();
    assert!(!log.contains("panicked"), "{log}");
    // The accept loop backs off instead of spinning, and says so a few times, not once per
    // failure: besides the access log (a line per request), a handful of lines.
    let told = log
        .lines()
        .filter(|l| l.contains("accepting connections"))
        .count();
    assert!((1..=4).contains(&told), "{told} lines on accepting: {log}");
    let rest = log
        .lines()
        .filter(|l| !l.contains("accepting connections") && !l.contains(" GET /slow"))
        .count();
    assert!(rest < 10, "{log}");
}

#[test]
fn the_emitted_component_imports_only_the_proxy_world_and_answers_under_stock_wasmtime_serve() {
    common::ready();
    let out = tempfile::tempdir().unwrap();
    let wasm = out.path().join("app.wasm");
    let emitted = common::pylon(&[
        "serve",
        fixture("app.py").to_str().unwrap(),
        "--emit",
        wasm.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        emitted.status.success(),
        "{}",
        common::text(&emitted.stderr)
    );

    let interfaces =
        cargo_pylon::composing::inspect::interfaces(&std::fs::read(&wasm).unwrap()).unwrap();
    assert_eq!(
        interfaces.exports.iter().collect::<Vec<_>>(),
        ["wasi:http/incoming-handler@0.2.12"]
    );
    let allowed = [
        "wasi:io/",
        "wasi:clocks/monotonic-clock@",
        "wasi:clocks/wall-clock@",
        "wasi:random/random@",
        "wasi:cli/stdout@",
        "wasi:cli/stderr@",
        "wasi:cli/stdin@",
        "wasi:http/types@",
    ];
    for import in &interfaces.imports {
        assert!(
            allowed.iter().any(|a| import.starts_with(a)),
            "{import} is outside wasi:http/proxy"
        );
    }

    let (mut wasmtime, base) = stock_serve(&wasm);
    let agent = agent();
    check_app(&agent, &base);
    let (status, _) = call(&agent, "GET", &format!("{base}/boom"), None);
    assert_eq!(status, 500);
    let (status, _) = call(&agent, "GET", &format!("{base}/after"), None);
    assert_eq!(status, 200);
    let _ = wasmtime.0.kill();
    let mut log = String::new();
    wasmtime
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("RuntimeError: the application failed on purpose"),
        "{log}"
    );
}

/// What the Flask fixture answers, wherever it is served.
fn check_flask(agent: &ureq::Agent, base: &str) {
    let (status, body) = call(agent, "GET", &format!("{base}/hello/%3Cpylon%3E"), None);
    assert_eq!(
        (status, String::from_utf8_lossy(&body).as_ref()),
        (200, "<p>hello &lt;pylon&gt;</p>")
    );
    let (status, body) = call(
        agent,
        "POST",
        &format!("{base}/echo"),
        Some(br#"{"n": [1, 2]}"#),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json(&body)["received"], serde_json::json!({"n": [1, 2]}));
    let (status, body) = call(agent, "GET", &format!("{base}/nowhere"), None);
    assert_eq!(
        (status, json(&body)["missing"].as_str()),
        (404, Some("/nowhere"))
    );
}

/// `cargo pylon add flask` is all a workspace needs: the app runs its test client under
/// `probe`, serves over HTTP, and its emitted component (Flask inside the snapshot)
/// answers under stock `wasmtime serve`.
#[test]
fn flask_added_from_the_index_serves_in_pylon_and_under_stock_wasmtime_serve() {
    let ws = common::Scratch::with_caps(&["zlib"]);
    let added = ws.pylon(&["add", "flask>=3"]);
    assert!(added.status.success(), "{}", common::text(&added.stderr));
    let said = common::text(&added.stdout);
    assert!(
        said.contains("+ flask 3.") && said.contains("+ markupsafe "),
        "{said}"
    );
    let app = ws.path("flask_app.py");
    std::fs::copy(fixture("flask_app.py"), &app).unwrap();

    let probed = ws.pylon(&["probe", app.to_str().unwrap()]);
    assert_eq!(
        common::text(&probed.stdout),
        "200 <p>hello &lt;pylon&gt;</p>\n200 {'n': [1, 2]}\n404\n",
        "{}",
        common::text(&probed.stderr)
    );

    let agent = agent();
    let server =
        Server::start(ws.command(&["serve", app.to_str().unwrap(), "--addr", "127.0.0.1:0"]));
    check_flask(&agent, &server.base);
    drop(server);

    let wasm = ws.path("flask.wasm");
    let emitted = ws.pylon(&[
        "serve",
        app.to_str().unwrap(),
        "--emit",
        wasm.to_str().unwrap(),
    ]);
    assert!(
        emitted.status.success(),
        "{}",
        common::text(&emitted.stderr)
    );
    let (_wasmtime, base) = stock_serve(&wasm);
    check_flask(&agent, &base);
}

#[test]
fn bottle_from_pypi_serves_unmodified() {
    let home = pylon_sys::Home::from_env().unwrap();
    let index = cargo_pylon::packages::index::index_url(None).unwrap();
    let cache = cargo_pylon::packages::index::cache_dir(&home).unwrap();
    let wheel = cargo_pylon::packages::index::download(
        BOTTLE.0,
        BOTTLE.1,
        &|n| n.ends_with("-none-any.whl"),
        Some(BOTTLE.2),
        &index,
        &cache,
        false,
    )
    .unwrap();
    let app = tempfile::tempdir().unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&wheel).unwrap()).unwrap();
    let mut source = String::new();
    archive
        .by_name("bottle.py")
        .unwrap()
        .read_to_string(&mut source)
        .unwrap();
    std::fs::write(app.path().join("bottle.py"), source).unwrap();
    std::fs::copy(fixture("bottle_app.py"), app.path().join("bottle_app.py")).unwrap();

    let server = Server::pylon(&app.path().join("bottle_app.py"), &[]);
    let agent = agent();
    let mut response = agent
        .get(&format!("{}/hello/world", server.base))
        .header("User-Agent", "pylon-test")
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/json"
    );
    let reply = json(&response.body_mut().read_to_vec().unwrap());
    assert_eq!(
        (reply["hello"].as_str(), reply["agent"].as_str()),
        (Some("world"), Some("pylon-test"))
    );

    let mut response = agent
        .post(&format!("{}/form", server.base))
        .send_form([("a", "1"), ("b", "two words")])
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let reply = json(&response.body_mut().read_to_vec().unwrap());
    assert_eq!(
        reply["fields"],
        serde_json::json!({"a": "1", "b": "two words"})
    );

    let (status, body) = call(&agent, "GET", &format!("{}/nowhere", server.base), None);
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    assert!(
        String::from_utf8_lossy(&body).contains("Not found: &#039;/nowhere&#039;"),
        "{}",
        String::from_utf8_lossy(&body)
    );
}

/// `examples/serve/app.py`, as the README's "Getting started" serves it.
#[test]
fn the_example_app_greets_and_digests_uploads() {
    let server = Server::pylon(&common::workspace().join("examples/serve/app.py"), &[]);
    let agent = agent();
    let (status, body) = call(&agent, "GET", &format!("{}/?name=pylon", server.base), None);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json(&body)["greeting"], "hello, pylon");
    let upload = megabyte();
    let (status, body) = call(
        &agent,
        "POST",
        &format!("{}/digest", server.base),
        Some(&upload),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let reply = json(&body);
    assert_eq!(reply["bytes"], 1 << 20);
    assert_digests(&reply, &upload);
}

/// Generators made when the application was imported (before the snapshot) draw anew in
/// every request.
#[test]
fn module_level_generators_differ_in_every_request() {
    let server = Server::pylon(&fixture("random_app.py"), &[]);
    let agent = agent();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..100 {
        let (status, body) = call(&agent, "GET", &format!("{}/", server.base), None);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let reply = json(&body);
        seen.insert((reply["rng"].to_string(), reply["random"].to_string()));
    }
    let rng: std::collections::BTreeSet<_> = seen.iter().map(|(r, _)| r).collect();
    assert_eq!(
        rng.len(),
        100,
        "a module-level Random() repeated across requests"
    );
    let global: std::collections::BTreeSet<_> = seen.iter().map(|(_, g)| g).collect();
    assert_eq!(
        global.len(),
        100,
        "random.random() repeated across requests"
    );
}

/// A file that defines no `application` is said to be one, in one line, with no wasm
/// backtrace.
#[test]
fn an_app_without_an_application_is_named_in_one_line() {
    common::ready();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("noapp.py");
    std::fs::write(&app, "app = None\n").unwrap();
    let out = common::pylon(&["serve", app.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "pylon serve: noapp.py defines no WSGI application: name the callable `application`"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("Traceback"), "{stderr}");
    assert!(!stderr.contains("wasm backtrace"), "{stderr}");
}

/// A raw connection to `base` (`http://HOST:PORT`).
fn connect(base: &str) -> std::net::TcpStream {
    let stream = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// Everything the peer sends until it closes (or the read times out).
fn read_all(stream: &mut std::net::TcpStream) -> String {
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Under fault the server answers, or closes, and goes on: a client too slow to send its
/// headers is cut off, connections over the cap get 503 with Retry-After, a client that
/// half-closes after a whole request gets its answer, and every request is logged.
#[test]
fn the_server_holds_under_slow_clients_too_many_connections_and_half_closes() {
    use std::io::Write;
    let server = Server::pylon(
        &fixture("app.py"),
        &["--max-connections", "2", "--header-timeout", "1"],
    );

    // Slowloris: headers never finished.
    let mut slow = connect(&server.base);
    slow.write_all(b"GET / HTTP/1.1\r\nHost: pylon\r\n")
        .unwrap();
    let started = Instant::now();
    read_all(&mut slow);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a slow client held its connection"
    );
    drop(slow);

    // Two slow requests hold both connections; a third is turned away at once.
    let mut holders: Vec<_> = (0..2)
        .map(|_| {
            let mut held = connect(&server.base);
            held.write_all(b"GET /slow?3 HTTP/1.1\r\nHost: pylon\r\nConnection: close\r\n\r\n")
                .unwrap();
            held
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut third = connect(&server.base);
    third
        .write_all(b"GET / HTTP/1.1\r\nHost: pylon\r\n\r\n")
        .unwrap();
    let busy = read_all(&mut third);
    assert!(busy.starts_with("HTTP/1.1 503"), "{busy}");
    assert!(busy.contains("Retry-After: 1"), "{busy}");
    for held in &mut holders {
        let answer = read_all(held);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    // A half-closed client still gets its answer.
    let mut half = connect(&server.base);
    half.write_all(b"GET /half HTTP/1.1\r\nHost: pylon\r\nConnection: close\r\n\r\n")
        .unwrap();
    half.shutdown(std::net::Shutdown::Write).unwrap();
    let answer = read_all(&mut half);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"/half\""), "{answer}");

    let (half, slow) = ("pylon serve: GET /half 200 ", "pylon serve: GET /slow 200 ");
    let log = server.log_with(&[half, slow]);
    assert!(log.contains(half) && log.contains(slow), "{log}");
}

#[test]
fn quiet_leaves_the_access_log_out() {
    let mut server = Server::pylon(&fixture("app.py"), &["--quiet"]);
    let (status, _) = call(&agent(), "GET", &format!("{}/hello", server.base), None);
    assert_eq!(status, 200);
    // Everything the server says, up to its last line.
    server.signal("INT");
    assert!(server.wait(Duration::from_secs(30)).success());
    let log = server.log_with(&["SIGINT: finishing the requests in flight"]);
    assert!(log.contains("SIGINT"), "{log}");
    assert!(!log.contains("GET /hello"), "{log}");
}
