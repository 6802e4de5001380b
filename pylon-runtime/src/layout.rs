//! A composed interpreter on disk, and what its guest sees of the host.
//!
//! `cargo pylon compose` writes `pylon.wasm` and, beside it, the pre-initialized
//! interpreter, the dynlink plan with its providers, and the site folder. A [`Layout`]
//! names them, with where the guest finds the standard library (the runtime prefix,
//! compiled into CPython) and its site-packages; [`Layout::wasi`] is the one place a
//! guest's WASI context is built from them and a run's grants.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::disk::Quota;
use crate::error::{Classify, IntoAnyhow};
use crate::locks::Locks;
use crate::sandbox::Grant;
use crate::state::Files;

/// The pre-initialized interpreter's name beside `pylon.wasm`.
pub const PREINIT_FILE_NAME: &str = "pylon-preinit.wasm";
/// The site folder's name beside `pylon.wasm`: cap facades and staged packages.
pub const SITE_PACKAGES_DIR: &str = "site-packages";
/// The layout's own name beside `pylon.wasm`.
pub const LAYOUT_FILE_NAME: &str = "pylon.layout.json";

/// The files of a composed interpreter, and the folders its guest sees read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// The cold interpreter: a wasi:cli command component (`pylon.wasm`).
    pub component: PathBuf,
    /// The same interpreter pre-initialized (`pylon-preinit.wasm`), if there is one.
    pub preinit: Option<PathBuf>,
    /// A dynlink plan: when set, the interpreters and their providers come from it.
    pub plan: Option<PathBuf>,
    /// The runtime prefix (the standard library), at CPython's compiled-in prefix.
    pub prefix: Grant,
    /// Cap facades and staged packages, at the guest's site-packages.
    pub site_packages: Option<Grant>,
}

impl Layout {
    /// Everything compose writes for `pylon_wasm`, whether or not it exists yet: the
    /// pre-initialized interpreter, the plan when `planned`, and the site folder mounted
    /// at the site-packages of CPython `python_minor` (such as `"3.13"`) under
    /// `guest_prefix`. `prefix` is the runtime prefix on the host.
    pub fn composed(
        pylon_wasm: &Path,
        prefix: PathBuf,
        guest_prefix: &str,
        python_minor: &str,
        planned: bool,
    ) -> Self {
        Self {
            component: pylon_wasm.to_path_buf(),
            preinit: Some(pylon_wasm.with_file_name(PREINIT_FILE_NAME)),
            plan: planned.then(|| crate::plan::beside(pylon_wasm)),
            site_packages: Some(Grant::read_only(
                pylon_wasm.with_file_name(SITE_PACKAGES_DIR),
                guest_site_packages(guest_prefix, python_minor),
            )),
            prefix: Grant::read_only(prefix, guest_prefix),
        }
    }

    /// The layout compose wrote into `dir` (the folder of `pylon.wasm`), as
    /// [`LAYOUT_FILE_NAME`].
    pub fn read(dir: &Path) -> crate::Result<Self> {
        let path = dir.join(LAYOUT_FILE_NAME);
        let text = std::fs::read_to_string(&path)
            .with_context(|| {
                format!(
                    "cannot read {}\n  fix: run `cargo pylon compose`, which writes it beside pylon.wasm",
                    path.display()
                )
            })
            .loading()?;
        let mut layout: Self = serde_json::from_str(&text)
            .with_context(|| {
                format!(
                    "{} is not a layout this pylon-runtime reads\n  fix: run `cargo pylon compose` with the same pylon",
                    path.display()
                )
            })
            .loading()?;
        layout.map_paths(|p| {
            if p.is_relative() {
                dir.join(p)
            } else {
                p.to_path_buf()
            }
        });
        Ok(layout)
    }

    /// Write the layout into `dir` (the folder of `pylon.wasm`), with the paths inside
    /// `dir` relative to it, so the folder can move as a whole.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let mut relative = self.clone();
        relative.map_paths(|p| p.strip_prefix(dir).unwrap_or(p).to_path_buf());
        let json = serde_json::to_vec_pretty(&relative).context("cannot serialize the layout")?;
        crate::files::write_atomically(&dir.join(LAYOUT_FILE_NAME), &json)
    }

    fn map_paths(&mut self, map: impl Fn(&Path) -> PathBuf) {
        let paths = [&mut self.component, &mut self.prefix.host]
            .into_iter()
            .chain(self.preinit.as_mut())
            .chain(self.plan.as_mut())
            .chain(self.site_packages.as_mut().map(|site| &mut site.host));
        for path in paths {
            *path = map(path);
        }
    }

    /// The component a run starts: the pre-initialized one when `preinitialized` and it
    /// exists, else the cold one (unless a plan names its own).
    pub fn start(&self, preinitialized: bool) -> &Path {
        self.preinit
            .as_deref()
            .filter(|p| preinitialized && p.is_file())
            .unwrap_or(&self.component)
    }

    /// The guest's view of the host: the runtime prefix and the site folder read-only,
    /// then `grants`, and the environment `env`. With a `root`, that folder is the guest's
    /// `/` (read-write) and holds a mount point for every mount, so `/a` lists `b` when
    /// `/a/b` is mounted (wasi-libc resolves `/a` against the root, the longest matching
    /// prefix). With `on_this_thread`, the guest's file operations in pylon's own folders
    /// run on the thread that runs the guest instead of hopping to a blocking pool and
    /// back per call (imports make thousands of them; a single-threaded launcher wants
    /// this, a server whose workers serve many requests does not); granted folders' always
    /// hop. Arguments and stdio are the caller's to add.
    pub fn wasi(
        &self,
        root: Option<&Path>,
        grants: &[Grant],
        env: &[(String, String)],
        on_this_thread: bool,
    ) -> Result<WasiCtxBuilder> {
        let mut builder = WasiCtxBuilder::new();
        // Before each preopen: each folder takes the setting when it is opened.
        builder.allow_blocking_current_thread(on_this_thread);
        builder.envs(env);
        let mounts = self.mounts(grants);
        if let Some(root) = root {
            for mount in &mounts {
                let relative = mount.guest.trim_start_matches('/');
                if !relative.is_empty() && !relative.split('/').any(|part| part == "..") {
                    std::fs::create_dir_all(root.join(relative)).with_context(|| {
                        format!(
                            "cannot make the mount point {} in the guest's root",
                            mount.guest
                        )
                    })?;
                }
            }
            builder
                .preopened_dir(root, "/", FsPerms::ReadWrite)
                .anyhow()
                .with_context(|| format!("cannot mount the guest's root {}", root.display()))?;
        }
        let own = mounts.len() - grants.len();
        for (index, mount) in mounts.into_iter().enumerate() {
            // Granted folders (the last of the mounts) may hold what blocks, a FIFO or a
            // device: their operations hop to a blocking thread, so a timeout or a signal
            // still ends a guest waiting on one.
            if index == own {
                builder.allow_blocking_current_thread(false);
            }
            let perms = if mount.read_only {
                FsPerms::ReadOnly
            } else {
                FsPerms::ReadWrite
            };
            builder
                .preopened_dir(&mount.host, &mount.guest, perms)
                .anyhow()
                .with_context(|| {
                    format!(
                        "cannot mount {} at {}; run `cargo pylon compose` if it is pylon's own",
                        mount.host.display(),
                        mount.guest
                    )
                })?;
        }
        Ok(builder)
    }

    /// The folders a guest sees besides its root: the runtime prefix, the site folder, `grants`.
    pub(crate) fn mounts<'a>(&'a self, grants: &'a [Grant]) -> Vec<&'a Grant> {
        std::iter::once(&self.prefix)
            .chain(self.site_packages.as_ref())
            .chain(grants)
            .collect()
    }

    /// What the launcher keeps of the files of a guest with [`Self::wasi`]'s view: the
    /// byte-range locks it may take (on its root's files and its mounts'), and the bound
    /// of `max_disk` bytes on what it may write to its root.
    pub(crate) fn files(
        &self,
        root: Option<&Path>,
        grants: &[Grant],
        max_disk: Option<u64>,
    ) -> Files {
        Files {
            locks: Locks::new(root, self.mounts(grants)),
            quota: root
                .zip(max_disk)
                .map(|(root, limit)| Quota::new(root, limit)),
        }
    }
}

/// The guest's site-packages for CPython `python_minor` under `guest_prefix`.
pub fn guest_site_packages(guest_prefix: &str, python_minor: &str) -> String {
    format!("{guest_prefix}/lib/python{python_minor}/site-packages")
}
