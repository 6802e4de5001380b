//! The application's component: the wasi:http interpreter with CPython initialized and
//! the application imported (a wizer snapshot), then encoded as a component and given
//! every cap.
//!
//! The snapshot is taken as [`crate::composing::preinit`] takes the interpreter's.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};

use crate::composing::compose::Composed;
use crate::running::launch::Grant;
use crate::support::stamp::Fingerprint;

/// Where the application's folder appears in the guest.
pub const GUEST_APP: &str = "/app";

/// Which host the component is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// pylon's own server: WASI's file system and environment stay available, so the
    /// standard library, the site folder and `--dir` folders are read at run time.
    Pylon,
    /// Any wasi:http host (`wasmtime serve`, Spin, ...): the component imports only the
    /// wasi:http/proxy world, so it runs on what the snapshot holds.
    Proxy,
}

/// Imported into a proxy component's snapshot besides what the application imports:
/// modules the standard library loads lazily on common paths of web frameworks
/// (`str.encode("idna")` when werkzeug binds a URL), which a component without files
/// could not load later.
pub const PROXY_PRELOAD: &[&str] = &["encodings.idna"];

/// The application and what its interpreter is initialized with.
#[derive(Clone)]
pub struct App {
    /// The application file (its `application` is the WSGI callable).
    pub file: PathBuf,
    pub env: Vec<(String, String)>,
    pub grants: Vec<Grant>,
    /// Modules imported into the snapshot before the application.
    pub preload: Vec<String>,
}

impl App {
    pub fn folder(&self) -> Result<&Path> {
        self.file
            .parent()
            .context("the application file has no folder")
    }

    fn guest_file(&self) -> Result<String> {
        let name = self
            .file
            .file_name()
            .context("the application path has no file name")?;
        Ok(format!("{GUEST_APP}/{}", name.to_string_lossy()))
    }

    /// Environment of the initializing run (and, for [`Host::Pylon`], of every request).
    pub fn environment(&self) -> Result<Vec<(String, String)>> {
        let mut env = self.env.clone();
        env.push(("PYLON_WSGI_APP".into(), self.guest_file()?));
        if !self.preload.is_empty() {
            env.push(("PYLON_PRELOAD".into(), self.preload.join(",")));
        }
        Ok(env)
    }
}

/// The application's component for `host`, built once per version of its inputs and kept
/// beside `pylon.wasm`.
pub fn component(composed: &Composed, app: &App, host: Host) -> Result<PathBuf> {
    let proxied;
    let app = if host == Host::Proxy {
        proxied = App {
            preload: PROXY_PRELOAD
                .iter()
                .map(|m| m.to_string())
                .chain(app.preload.iter().cloned())
                .collect(),
            ..app.clone()
        };
        &proxied
    } else {
        app
    };
    let core = composed
        .http_core
        .as_deref()
        .context("the composition has no wasi:http interpreter")?;
    let mut fp = Fingerprint::new("serve");
    // pylon's own bridge and encoding are part of the running binary.
    let exe = std::env::current_exe().context("cannot locate the running cargo-pylon")?;
    fp.text(&format!("{host:?}"))
        .identity(core)?
        .identity(&exe)?;
    fp.tree(app.folder()?)?.tree(composed.site_packages())?;
    for (name, value) in app.environment()? {
        fp.text(&name).text(&value);
    }
    for grant in &app.grants {
        fp.text(&grant.host.display().to_string())
            .text(&grant.guest);
    }
    for (package, path) in &composed.components {
        fp.text(package).identity(path)?;
    }
    let dir = composed
        .layout
        .component
        .parent()
        .context("pylon.wasm has no folder")?
        .join("serve");
    let kind = match host {
        Host::Pylon => "pylon",
        Host::Proxy => "proxy",
    };
    let out = dir.join(format!("{kind}-{}.wasm", &fp.finish()[..16]));
    if out.is_file() {
        return Ok(out);
    }
    let step = Step::start(format!(
        "snapshot {} with its interpreter",
        app.file.display()
    ));
    // Mounted as the server mounts them.
    let mut wasi = super::server::requests(composed, app)?.wasi()?;
    if host == Host::Proxy {
        // Tells the bridge that imports after the snapshot cannot reach any file.
        wasi.env("PYLON_NO_FILES", "1");
    }
    let adapter = match host {
        Host::Pylon => WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        Host::Proxy => WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER,
    };
    let mut composed_bytes = crate::composing::preinit::build(
        &step,
        core,
        false,
        wasi,
        adapter,
        &composed.components,
        || {
            format!("cannot serve {} (Python's account is above)\n  fix: run it with `cargo pylon probe` to see it import", app.file.display())
        },
    )?;
    if host == Host::Proxy {
        composed_bytes = answer_cli_imports(composed_bytes, &dir)?;
        composed_bytes = answer_locks(composed_bytes, &dir)?;
    }
    check_imports(&composed_bytes, host)?;
    prune(&dir, kind);
    crate::support::fs::write_atomically(&out, &composed_bytes)?;
    step.finish();
    Ok(out)
}

/// Plug the wasi:cli stub in, at each version the caps import, for the interfaces the
/// proxy world lacks.
fn answer_cli_imports(mut component: Vec<u8>, dir: &Path) -> Result<Vec<u8>> {
    let imports = crate::composing::inspect::interfaces(&component)
        .context("cannot inspect the application's component")?
        .imports;
    let versions: std::collections::BTreeSet<&str> = imports
        .iter()
        .filter_map(|i| super::cli_stub::provides(i))
        .collect();
    for version in versions {
        let stub = dir.join(format!("cli-stub-{version}.wasm"));
        crate::support::fs::write_atomically(&stub, &super::cli_stub::component(version)?)?;
        component = crate::composing::plug::plug(
            &component,
            &[(format!("cli-stub-{version}"), stub)],
        )
        .with_context(|| {
            format!("answering the caps' wasi:cli {version} imports inside the component failed")
        })?;
    }
    Ok(component)
}

/// Plug the locks stub in when the interpreter's SQLite imports pylon's locks.
fn answer_locks(component: Vec<u8>, dir: &Path) -> Result<Vec<u8>> {
    let imports = crate::composing::inspect::interfaces(&component)
        .context("cannot inspect the application's component")?
        .imports;
    if !imports.iter().any(|i| i == super::locks_stub::PROVIDED) {
        return Ok(component);
    }
    let stub = dir.join("locks-stub.wasm");
    crate::support::fs::write_atomically(&stub, &super::locks_stub::component()?)?;
    crate::composing::plug::plug(&component, &[("locks-stub".to_string(), stub)])
        .context("answering SQLite's lock imports inside the component failed")
}

/// The interfaces a wasi:http/proxy component may import.
const PROXY_WORLD: &[&str] = &[
    "wasi:io/",
    "wasi:clocks/monotonic-clock@",
    "wasi:clocks/wall-clock@",
    "wasi:random/random@",
    "wasi:cli/stdout@",
    "wasi:cli/stderr@",
    "wasi:cli/stdin@",
    "wasi:http/types@",
    "wasi:http/outgoing-handler@",
];

fn check_imports(component: &[u8], host: Host) -> Result<()> {
    let imports = crate::composing::inspect::interfaces(component)
        .context("cannot inspect the application's component")?
        .imports;
    let foreign: Vec<&String> = imports
        .iter()
        .filter(|i| !crate::composing::inspect::is_host_provided(i))
        .collect();
    if let Some(first) = foreign.first() {
        bail!("the application's component still imports {first}, which no cap satisfies\n  fix: add the cap that exports it to the workspace");
    }
    if host == Host::Proxy {
        if let Some(outside) = imports
            .iter()
            .find(|i| !PROXY_WORLD.iter().any(|p| i.starts_with(p)))
        {
            bail!("the component imports {outside}, which is outside the wasi:http/proxy world; a stock wasi:http host would refuse it");
        }
    }
    Ok(())
}

/// Remove snapshots of the same kind unused for a day (each is several MiB); recent ones
/// may belong to another application served from the same workspace.
fn prune(dir: &Path, kind: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let stale = |meta: std::fs::Metadata| {
        meta.accessed()
            .or(meta.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 24 * 3600)
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(&format!("{kind}-"))
            && entry.metadata().is_ok_and(stale)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
