//! The uv binary, pinned, taken from its wheel on the package index into the pylon home.
//!
//! uv resolves (`uv lock` over a scratch project), writes PEP 751 (`uv export`) and builds
//! sdists with their own backends (`uv build`); pylon writes no resolver of its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;
use pylon_sys::Home;

use crate::packages::index;

pub const VERSION: &str = "0.13.9";

/// The wheel of each host uv runs on, by Rust's (arch, os), with its sha256.
const WHEELS: &[(&str, &str, &str, &str)] = &[
    (
        "x86_64",
        "linux",
        "uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19",
    ),
    (
        "aarch64",
        "linux",
        "uv-0.13.9-py3-none-manylinux_2_28_aarch64.whl",
        "ecb6028d79dc96fbeafffe5c8af62a7099487ebc05a701e76714eebcffd06375",
    ),
    (
        "aarch64",
        "macos",
        "uv-0.13.9-py3-none-macosx_11_0_arm64.whl",
        "66c512266d633bef48384a1f53003f41f2a8e7b36fe6e7fbfd3e0fd52d96fa63",
    ),
    (
        "x86_64",
        "macos",
        "uv-0.13.9-py3-none-macosx_10_12_x86_64.whl",
        "c16ed11e013557536b3e60065f1b912f6407bd6518e041b961e23ef9e6b4fbf5",
    ),
];

/// uv, set up to answer for one guest: its cache in the pylon home, no user or project
/// configuration, the workspace's index, and the native build of the guest's CPython as
/// the interpreter it reads versions from and builds sdists with.
pub struct Uv {
    exe: PathBuf,
    cache: PathBuf,
    index: String,
    python: PathBuf,
    offline: bool,
}

impl Uv {
    pub fn ensure(home: &Home, python: &Path, index: Option<&str>, offline: bool) -> Result<Self> {
        let dir = home.dir("tools")?.join(format!("uv-{VERSION}"));
        let exe = dir.join("uv");
        let index = index::index_url(index)?;
        if !exe.is_file() {
            install(home, &index, &dir, offline)?;
        }
        Ok(Self {
            exe,
            cache: home.dir("uv")?,
            index,
            python: python.to_path_buf(),
            offline,
        })
    }

    /// `uv SUBCOMMAND` (`lock`, `pip install`) with pylon's settings, run in `dir`.
    pub fn command(&self, subcommand: &str, dir: &Path) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.args(subcommand.split_whitespace())
            .args(["--no-config", "--no-progress", "--color", "never"])
            .arg("--cache-dir")
            .arg(&self.cache)
            .arg("--python")
            .arg(&self.python)
            .args(["--default-index", &self.index])
            // The platform's certificate store, as pip and pylon's own downloads use.
            .arg("--system-certs")
            .env("UV_PYTHON_DOWNLOADS", "never")
            .current_dir(dir);
        if self.offline {
            cmd.arg("--offline");
        }
        cmd
    }

    pub fn offline(&self) -> bool {
        self.offline
    }

    /// A virtual environment made at `dir` from this uv's interpreter, and uv set up the
    /// same way to install into it.
    pub fn venv(&self, dir: &Path, step: &Step) -> Result<Uv> {
        let parent = dir
            .parent()
            .context("a virtual environment has a parent folder")?;
        step.run(self.command("venv", parent).arg(dir))?;
        Ok(Uv {
            exe: self.exe.clone(),
            cache: self.cache.clone(),
            index: self.index.clone(),
            python: dir.join("bin/python"),
            offline: self.offline,
        })
    }

    /// The interpreter uv answers for (and installs into, in a virtual environment).
    pub fn python(&self) -> &Path {
        &self.python
    }
}

fn install(home: &Home, index: &str, dir: &Path, offline: bool) -> Result<()> {
    let arch = std::env::consts::ARCH;
    let os = std::env::consts::OS;
    let Some((_, _, file, sha)) = WHEELS.iter().find(|(a, o, _, _)| *a == arch && *o == os) else {
        bail!("pylon resolves packages with uv {VERSION}, which it has no wheel of for {arch}-{os}\n  fix: resolve on x86_64 or aarch64 Linux or macOS, and commit pylock.toml");
    };
    let step = Step::start(format!(
        "fetch uv {VERSION}, pylon's package resolver (once)"
    ));
    let wheel = index::download(
        "uv",
        VERSION,
        &|name| name == *file,
        Some(sha),
        index,
        &index::cache_dir(home)?,
        offline,
    )?;
    let reader =
        std::fs::File::open(&wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(reader)
        .with_context(|| format!("{} is not a wheel", wheel.display()))?;
    let member = format!("uv-{VERSION}.data/scripts/uv");
    let mut entry = archive
        .by_name(&member)
        .with_context(|| format!("{} has no {member}", wheel.display()))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut entry, &mut bytes)
        .with_context(|| format!("cannot read {member} from {}", wheel.display()))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let exe = dir.join("uv");
    crate::support::fs::write_atomically(&exe, &bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", exe.display()))?;
    }
    step.finish();
    Ok(())
}
