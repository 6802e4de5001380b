//! Where a composition is written, and what it is once written.

use std::path::{Path, PathBuf};

use pylon_runtime::Layout;
use pylon_sys::{Cpython, Home};

use crate::workspace::discover::{Cap, Workspace};

/// Where a composition is written.
pub struct Target {
    /// `target/pylon` (or a cache folder for the bare interpreter).
    pub out_dir: PathBuf,
    /// `pylon.wasm`.
    pub output: PathBuf,
    /// The workspace whose caps are built, if any.
    pub workspace_root: Option<PathBuf>,
    /// `CARGO_TARGET_DIR` for the caps' wasm builds.
    pub cargo_target: PathBuf,
    /// The workspace's mapping of WIT error cases to Python exceptions.
    pub errors: std::collections::BTreeMap<String, String>,
    /// Keep the interpreter's DWARF sections (for stepping through C in a debugger).
    pub debug: bool,
    /// The workspace's locked Python packages, staged into site-packages beside the facades.
    pub site: Option<SiteWheels>,
    /// Where library caps' C libraries are built once and kept (the pylon home).
    pub libraries: PathBuf,
    /// Also link the interpreter that serves wasi:http (`cargo pylon serve`).
    pub http: bool,
    /// Modules imported into the pre-initialized interpreter's snapshot.
    pub preload: Vec<String>,
    /// The pylon home, where package caps' sdists and builds are kept.
    pub home: Home,
    /// The workspace's package index, for package caps' sdists.
    pub pypi_index: Option<String>,
}

/// The workspace's locked packages and what builds and installs them.
pub struct SiteWheels {
    pub env: crate::packages::Env,
    pub lock: crate::packages::Pylock,
}

/// Whether DWARF is kept: `[workspace.metadata.pylon] debug = true` or `PYLON_DEBUG=1`.
fn debug_wanted(setting: bool) -> bool {
    setting || std::env::var("PYLON_DEBUG").is_ok_and(|v| v == "1")
}

impl Target {
    pub fn for_workspace(home: &Home, ws: &Workspace) -> Self {
        Self {
            libraries: home.root().join("libraries"),
            out_dir: ws.out_dir(),
            output: ws.output(),
            workspace_root: Some(ws.root.clone()),
            cargo_target: ws.target_dir.join("pylon/wasm"),
            errors: ws.settings.errors.clone(),
            debug: debug_wanted(ws.settings.debug),
            site: None,
            http: false,
            preload: ws.settings.preload.clone(),
            home: home.clone(),
            pypi_index: ws.settings.pypi_index.clone(),
        }
    }

    /// The interpreter with no caps, kept in the CPython build's cache folder.
    pub fn bare(home: &Home, cpython: &Cpython) -> Self {
        let out_dir = cpython.root.join("bare");
        Self {
            output: out_dir.join("pylon.wasm"),
            cargo_target: out_dir.join("wasm"),
            libraries: out_dir.join("libraries"),
            out_dir,
            workspace_root: None,
            errors: Default::default(),
            debug: debug_wanted(false),
            site: None,
            http: false,
            preload: Vec::new(),
            home: home.clone(),
            pypi_index: None,
        }
    }
}

/// A composed interpreter, ready to run.
pub struct Composed {
    /// `pylon.wasm`, the files beside it (the pre-initialized interpreter, the dynlink
    /// plan when some caps are linked at launch, the site folder) and the guest's mounts.
    pub layout: Layout,
    pub cpython: Cpython,
    /// Caps compiled in, in table order.
    pub caps: Vec<Cap>,
    /// Every cap component (package, file), whatever its linkage.
    pub components: Vec<(String, PathBuf)>,
    /// The wasi:http interpreter's core module, when the target asked for it.
    pub http_core: Option<PathBuf>,
}

impl Composed {
    /// The site folder on the host: cap facades and staged packages.
    pub fn site_packages(&self) -> &Path {
        &self
            .layout
            .site_packages
            .as_ref()
            .expect("compose stages a site folder")
            .host
    }

    /// The pre-initialized interpreter.
    pub fn preinit(&self) -> &Path {
        self.layout
            .preinit
            .as_deref()
            .expect("compose pre-initializes")
    }
}
