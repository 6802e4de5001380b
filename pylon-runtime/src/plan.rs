//! The dynlink plan: which provider components the launcher links to which of the
//! interpreter's imports.
//!
//! `compose` writes it beside `pylon.wasm` when a cap has `linkage = "dynlink"`; the
//! launcher reads it, and refuses to start from a plan whose files are missing or differ
//! from the sha256 it records. Paths are relative to the plan's folder (absolute ones are
//! kept), so a plan and its files can move together.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Classify;

/// Bumped whenever a field changes meaning; a launcher refuses other schemas.
pub const SCHEMA: u32 = 1;
/// The plan's name beside `pylon.wasm`.
pub const FILE_NAME: &str = "pylon.plan.json";
/// Where compose keeps provider components, beside the plan.
pub const PROVIDERS_DIR: &str = "providers";

/// Which provider components link to which imports, each file pinned by its sha256.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// [`SCHEMA`] when written.
    pub schema: u32,
    /// The cold interpreter.
    pub interpreter: Part,
    /// The pre-initialized interpreter, which runs start from when they can; it imports
    /// what `interpreter` imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preinit: Option<Part>,
    /// The components that satisfy the interpreter's imports.
    pub providers: Vec<Provider>,
}

/// A file the plan pins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// Relative to the plan's folder (or absolute).
    pub path: PathBuf,
    /// The file's sha256, as lowercase hex.
    pub sha256: String,
}

/// A provider component and the imports it satisfies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// The cap (crate) the component was built from.
    pub cap: String,
    /// Relative to the plan's folder (or absolute).
    pub path: PathBuf,
    /// The file's sha256, as lowercase hex.
    pub sha256: String,
    /// The interpreter's imports this provider's exports satisfy.
    pub satisfies: Vec<Import>,
}

/// One of the interpreter's imports, by interface and version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Import {
    /// `namespace:package/interface`.
    pub interface: String,
    /// The interface's version, when it has one.
    pub version: Option<String>,
}

impl Import {
    /// From a component-model name such as `pylon:crc32c/checksum@0.1.0`.
    pub fn parse(name: &str) -> Self {
        match name.split_once('@') {
            Some((interface, version)) => Self {
                interface: interface.into(),
                version: Some(version.into()),
            },
            None => Self {
                interface: name.into(),
                version: None,
            },
        }
    }

    /// The name the interpreter imports and the provider exports.
    pub fn name(&self) -> String {
        match &self.version {
            Some(version) => format!("{}@{version}", self.interface),
            None => self.interface.clone(),
        }
    }
}

/// A plan whose files were all found with the sha256 it records.
#[derive(Debug)]
pub struct Checked {
    /// The plan.
    pub path: PathBuf,
    /// The cold interpreter's file.
    pub interpreter: PathBuf,
    /// The pre-initialized interpreter's file, when the plan pins one.
    pub preinit: Option<PathBuf>,
    /// Each provider, checked.
    pub providers: Vec<CheckedProvider>,
}

/// A provider whose file was found with its sha256.
#[derive(Debug)]
pub struct CheckedProvider {
    /// The cap (crate) it was built from.
    pub cap: String,
    /// Its file.
    pub path: PathBuf,
    /// Full import names (`iface@version`).
    pub satisfies: BTreeSet<String>,
}

impl Plan {
    /// Write the plan to `path` (atomically).
    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).context("cannot serialize the dynlink plan")?;
        crate::files::write_atomically(path, &json)
    }

    /// Read `path` and check every file it names; `digests` caches verified hashes.
    pub fn check(path: &Path, digests: &Path) -> crate::Result<Checked> {
        Self::checked(path, digests).loading()
    }

    fn checked(path: &Path, digests: &Path) -> Result<Checked> {
        if !path.is_file() {
            bail!("there is no dynlink plan at {}\n  fix: run `cargo pylon compose` to write it, or pass an existing --plan", path.display());
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the dynlink plan {}", path.display()))?;
        let plan: Plan =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(&text))
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{}: `{}`: {}\n  fix: run `cargo pylon compose` to rewrite the plan",
                        path.display(),
                        e.path(),
                        e.inner()
                    )
                })?;
        if plan.schema != SCHEMA {
            bail!(
                "{}: plan schema {} is not the one this pylon reads ({SCHEMA})\n  fix: run `cargo pylon compose` with this pylon to rewrite it",
                path.display(), plan.schema
            );
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let interpreter = verify(
            path,
            dir,
            ("the interpreter", "interpreter"),
            (&plan.interpreter.path, &plan.interpreter.sha256),
            digests,
        )?;
        let preinit = plan
            .preinit
            .as_ref()
            .map(|part| {
                verify(
                    path,
                    dir,
                    ("the pre-initialized interpreter", "preinit"),
                    (&part.path, &part.sha256),
                    digests,
                )
            })
            .transpose()?;
        let mut seen = BTreeSet::new();
        let mut providers = Vec::new();
        for (i, provider) in plan.providers.iter().enumerate() {
            let (what, key) = (
                format!("provider {}", provider.cap),
                format!("providers[{i}]"),
            );
            let file = verify(
                path,
                dir,
                (&what, &key),
                (&provider.path, &provider.sha256),
                digests,
            )?;
            let mut satisfies = BTreeSet::new();
            for import in &provider.satisfies {
                let name = import.name();
                if !seen.insert(name.clone()) {
                    bail!("{}: {name} is satisfied twice (again by {what})\n  fix: keep one provider per import", path.display());
                }
                satisfies.insert(name);
            }
            providers.push(CheckedProvider {
                cap: provider.cap.clone(),
                path: file,
                satisfies,
            });
        }
        Ok(Checked {
            path: path.to_path_buf(),
            interpreter,
            preinit,
            providers,
        })
    }
}

/// Pin `preinit` (beside the plan) in the plan at `path`, unless it already is.
pub fn pin_preinit(path: &Path, preinit: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the dynlink plan {}", path.display()))?;
    let mut plan: Plan = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a dynlink plan; run `cargo pylon compose` again",
            path.display()
        )
    })?;
    let sha256 = crate::files::sha256_file(preinit)?;
    let name = PathBuf::from(
        preinit
            .file_name()
            .context("the pre-initialized interpreter has no file name")?,
    );
    if plan
        .preinit
        .as_ref()
        .is_some_and(|p| p.path == name && p.sha256 == sha256)
    {
        return Ok(());
    }
    plan.preinit = Some(Part { path: name, sha256 });
    plan.write(path)
}

/// The file exists and has the recorded sha256; `(what, key)` name it for errors.
fn verify(
    plan: &Path,
    dir: &Path,
    (what, key): (&str, &str),
    (path, expected): (&Path, &str),
    digests: &Path,
) -> Result<PathBuf> {
    let file = dir.join(path);
    if !file.is_file() {
        bail!(
            "{}: {what}'s file {} is missing\n  fix: run `cargo pylon compose` to rebuild it, or correct `{key}.path`",
            plan.display(), file.display()
        );
    }
    let found = digest(&file, digests)?;
    if !found.eq_ignore_ascii_case(expected) {
        bail!(
            "{}: {what}'s file {} has sha256 {found}, but the plan pins {}: it was replaced after the plan was written\n  fix: run `cargo pylon compose` to rebuild the plan, or, to accept the new file, put its sha256 in `{key}.sha256`",
            plan.display(), file.display(), expected
        );
    }
    Ok(file)
}

/// The sha256 of `file`, remembered under `memo` (one entry per path) with the file's
/// [identity](crate::files::identity), so a remembered digest is never stale and the
/// 26 MiB interpreter is not rehashed on every start.
pub fn digest(file: &Path, memo: &Path) -> Result<String> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot stat {}", file.display()))?;
    let identity = crate::files::identity(&meta);
    let path = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
    let slot = memo.join(hex::encode(
        &Sha256::digest(path.as_os_str().as_encoded_bytes())[..12],
    ));
    if let Some((known, sha)) = std::fs::read_to_string(&slot)
        .ok()
        .as_deref()
        .and_then(|t| t.split_once('\n'))
    {
        if known == identity && sha.len() == 64 {
            return Ok(sha.to_string());
        }
    }
    let sha = crate::files::sha256_file(file)?;
    // A memo that cannot be written only costs a rehash next time.
    let _ = std::fs::create_dir_all(memo).and_then(|()| {
        crate::files::write_atomically(&slot, format!("{identity}\n{sha}").as_bytes())
            .map_err(std::io::Error::other)
    });
    Ok(sha)
}

/// The plan beside `output` (`pylon.wasm`).
pub fn beside(output: &Path) -> PathBuf {
    output.with_file_name(FILE_NAME)
}

/// The providers' folder beside `output`.
pub fn providers_dir(output: &Path) -> PathBuf {
    output.with_file_name(PROVIDERS_DIR)
}

/// Everything compose writes beside `output` for linking: `output` itself, the plan and
/// the providers' folder (the last two only with dynlink caps).
pub fn artifacts(output: &Path) -> [PathBuf; 3] {
    [output.to_path_buf(), beside(output), providers_dir(output)]
}
