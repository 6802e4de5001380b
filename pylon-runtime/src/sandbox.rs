//! One run: what Python runs, what it may see and use, and where its output goes.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// What Python runs.
#[derive(Debug, Clone)]
pub enum Program {
    /// A file of the host, staged into the guest's root (`python FILE ARGS...`).
    Script {
        /// The file on the host.
        path: PathBuf,
        /// `sys.argv[1:]`.
        args: Vec<String>,
    },
    /// Code given as text (`python -c CODE ARGS...`).
    Code {
        /// The code.
        code: String,
        /// `sys.argv[1:]`.
        args: Vec<String>,
    },
    /// A module found on the guest's `sys.path`, run as `__main__` (`python -m MODULE
    /// ARGS...`).
    Module {
        /// The module's dotted name.
        name: String,
        /// `sys.argv[1:]`.
        args: Vec<String>,
    },
}

/// A host folder the guest sees at `guest`, read-write or read-only (`--dir HOST[:GUEST]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    /// The folder on the host.
    pub host: PathBuf,
    /// Where the guest sees it: an absolute guest path.
    pub guest: String,
    /// Whether the guest may only read it.
    pub read_only: bool,
}

impl Grant {
    /// `host`, read-write, at `guest`.
    pub fn new(host: impl Into<PathBuf>, guest: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            guest: guest.into(),
            read_only: false,
        }
    }

    /// `host`, read-only, at `guest`.
    pub fn read_only(host: impl Into<PathBuf>, guest: impl Into<String>) -> Self {
        Self {
            read_only: true,
            ..Self::new(host, guest)
        }
    }
}

/// `HOST[:GUEST][:ro|:rw]`, as `--dir` takes it: the guest path defaults to the host's,
/// the access to read-write.
impl FromStr for Grant {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let access = |mode: &str| {
            match mode {
            "ro" => Ok(true),
            "rw" => Ok(false),
            other => Err(format!(
                "--dir {text:?}: unknown access {other:?}; write HOST[:GUEST][:ro|:rw] (for example ./data:/data:ro)"
            )),
        }
        };
        let (host, guest, read_only) = match parts.as_slice() {
            [host] => (*host, "", false),
            [host, mode] if !mode.starts_with('/') && !mode.is_empty() => {
                (*host, "", access(mode)?)
            }
            [host, guest] => (*host, *guest, false),
            [host, guest, mode] => (*host, *guest, access(mode)?),
            _ => return Err(format!("--dir {text:?} is not HOST[:GUEST][:ro|:rw]")),
        };
        let host = PathBuf::from(host);
        let host = host
            .canonicalize()
            .map_err(|e| format!("cannot grant {}: {e}", host.display()))?;
        if !host.is_dir() {
            return Err(format!(
                "{} is not a folder; --dir takes a folder",
                host.display()
            ));
        }
        let guest = if guest.is_empty() {
            host.display().to_string()
        } else {
            guest.to_string()
        };
        if !guest.starts_with('/') {
            return Err(format!(
                "guest path {guest:?} must be absolute (for example /data)"
            ));
        }
        Ok(Self {
            read_only,
            ..Self::new(host, guest)
        })
    }
}

/// One run: what Python runs and what it may see and use.
pub struct Sandbox {
    /// What Python runs.
    pub program: Program,
    /// The most wall time the run may take.
    pub timeout: Option<Duration>,
    /// The most linear memory the guest (and each provider) may have, in bytes.
    pub max_memory: Option<u64>,
    /// The most the files under the guest's own root (`/`, its staging folder) may hold,
    /// in bytes; writes beyond it fail with `ENOSPC` in the guest (Linux hosts). Granted
    /// folders are not bounded.
    pub max_disk: Option<u64>,
    /// Host folders the guest sees, besides its own root and pylon's read-only folders.
    pub grants: Vec<Grant>,
    /// The guest's environment.
    pub env: Vec<(String, String)>,
    /// Keep stdout and stderr in memory instead of streaming them to the host's.
    pub capture: Option<Captured>,
    /// Stop the guest on SIGINT and SIGTERM, as a command line does (a library host
    /// usually has its own handling of signals).
    pub stop_on_signals: bool,
}

impl Sandbox {
    /// A run of `program` with no limits, no grants, an empty environment, and its output
    /// streamed to the host's.
    pub fn new(program: Program) -> Self {
        Self {
            program,
            timeout: None,
            max_memory: None,
            max_disk: None,
            grants: Vec::new(),
            env: Vec::new(),
            capture: None,
            stop_on_signals: false,
        }
    }

    /// Whether the run may start from the pre-initialized interpreter: its snapshot was
    /// initialized with no PYTHON* variables and the C locale, so a run that sets any of
    /// them starts cold. PYTHONPATH is the exception: the resumed interpreter puts its
    /// folders on `sys.path` as a cold start would (and recomputes `time`'s zone
    /// constants for TZ).
    pub fn allows_preinitialized(&self) -> bool {
        let asks_otherwise = |name: &str| {
            (name.starts_with("PYTHON") && name != "PYTHONPATH")
                || matches!(name, "LC_ALL" | "LC_CTYPE" | "LANG")
        };
        !self.env.iter().any(|(name, _)| asks_otherwise(name))
    }

    pub(crate) fn bounds(&self) -> crate::Bounds {
        crate::Bounds {
            max_memory: self.max_memory,
        }
    }
}

/// Output kept by a run with [`Sandbox::capture`] set.
#[derive(Clone)]
pub struct Captured {
    /// What the guest wrote to stdout.
    pub stdout: MemoryOutputPipe,
    /// What the guest wrote to stderr.
    pub stderr: MemoryOutputPipe,
}

impl Captured {
    /// Keeps up to `limit` bytes of each stream.
    pub fn new(limit: usize) -> Self {
        Self {
            stdout: MemoryOutputPipe::new(limit),
            stderr: MemoryOutputPipe::new(limit),
        }
    }

    /// stdout so far, decoded as UTF-8 (invalid bytes replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout.contents()).into_owned()
    }

    /// stderr so far, decoded as UTF-8 (invalid bytes replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents()).into_owned()
    }
}
