//! `[package.metadata.pylon]` (one per cap) and `[workspace.metadata.pylon]`, typed.
//!
//! Unknown keys are errors, so a typo never silently drops a setting; every error names
//! the crate and the key and says what to write instead.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use super::library_manifest::{expand, Configure, Library, VersionSource};

/// A cap's table, as written in its `Cargo.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CapManifest {
    /// Python packages the cap owns, as patterns (`blake3`, `blake3.*`).
    pub packages: Vec<String>,
    #[serde(default)]
    pub linkage: Linkage,
    /// CPython profiles the cap is built for (`3.13`, `3.14`); all when absent.
    #[serde(default)]
    pub profiles: Option<Vec<String>>,
    /// The builtin module and where its C comes from; none for a package cap, whose
    /// distribution's build names its modules.
    #[serde(default)]
    pub extension: Option<Extension>,
    /// Interfaces the extension imports, each at the version it was written against.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    #[serde(default)]
    pub provides: Option<Provides>,
    /// The cap's smoke test, run inside the composed interpreter.
    #[serde(default)]
    pub smoke: Option<PathBuf>,
    /// The cap's hostile-input test (every exported function driven with bad input; only
    /// Python exceptions may come out), run beside the smoke test.
    #[serde(default)]
    pub hostile: Option<PathBuf>,
    /// Non-Rust parts the cap's component ships (vendored C libraries), for licensing.
    #[serde(default)]
    pub bundled: Vec<pylon_sys::bundled::Bundled>,
    /// The PyPI package the facade mirrors, for `check-drift`.
    #[serde(default)]
    pub upstream: Option<Upstream>,
    /// The C library compiled into the interpreter (`linkage = "interpreter"`).
    #[serde(default)]
    pub library: Option<Library>,
    /// Instead of `library`: the cap (a package of the workspace) whose library this one's
    /// module is compiled against and linked with, so two CPython modules over one C
    /// library (`_hashlib` and `_ssl` over OpenSSL) share one build and one copy.
    #[serde(default)]
    pub library_from: Option<String>,
    /// How a package cap's distribution (the `upstream` release's sdist) is built
    /// (`linkage = "package"`).
    #[serde(default)]
    pub build: Option<PackageBuild>,
}

/// How a Python distribution with compiled code is built from its sdist by its own backend
/// with pylon's WASI toolchain, beyond its defaults: a package cap's `build` table and a
/// recipe's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PackageBuild {
    /// Build requirements added to the sdist's own `build-system.requires` (or pinning
    /// them, `Cython==3.2.9`); pylon resolves and pins the whole set.
    #[serde(default)]
    pub requires: Vec<String>,
    /// PEP 517 config settings, `KEY=VALUE` (`setup-args=-Dallow-noblas=true`).
    #[serde(default)]
    pub config_settings: Vec<String>,
    /// Extra flags for every C and C++ file of the distribution (`-DNPY_NO_SIGNAL`).
    #[serde(default)]
    pub cflags: Vec<String>,
    /// Environment variables for the build backend (`PYYAML_FORCE_CYTHON = "1"`).
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// C libraries the distribution links, built for WASI by pylon (`["libyaml"]`).
    #[serde(default)]
    pub libraries: Vec<String>,
    /// Patches applied to the sdist's tree before it builds (`patch -p1`), relative to the
    /// recipe's folder (or the cap's crate): fixes WASI needs that the release does not
    /// have yet.
    #[serde(default)]
    pub patches: Vec<PathBuf>,
}

/// What an extension's C comes from: `extension.source`, one of `"generated"`,
/// `"cpython:<files or pattern>"` or a C file of the crate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "String", into = "String")]
pub enum Source {
    /// `"generated"`: pylon writes it from the cap's WIT at compose time.
    Generated,
    /// `"cpython:Modules/zlibmodule.c"`: CPython's own module, files or a pattern of the
    /// pinned source (a library cap's).
    Cpython(String),
    /// A hand-written C file, relative to the crate.
    File(PathBuf),
}

const GENERATED: &str = "generated";
const CPYTHON_SOURCE: &str = "cpython:";

impl From<String> for Source {
    fn from(text: String) -> Self {
        if text == GENERATED {
            Source::Generated
        } else if let Some(files) = text.strip_prefix(CPYTHON_SOURCE) {
            Source::Cpython(files.to_string())
        } else {
            Source::File(text.into())
        }
    }
}

impl From<Source> for String {
    fn from(source: Source) -> Self {
        match source {
            Source::Generated => GENERATED.to_string(),
            Source::Cpython(files) => format!("{CPYTHON_SOURCE}{files}"),
            Source::File(path) => path.display().to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Upstream {
    /// The PyPI project name.
    pub pypi: String,
    /// The release the facade follows (its public names are read from this release's
    /// distribution by `check-drift`).
    pub version: String,
    /// The sha256 of that release's source distribution, whose test suite
    /// `cargo pylon upstream-test` runs inside pylon.
    #[serde(default)]
    pub sdist_sha256: Option<String>,
    /// The upstream test files, relative to the source distribution's top folder.
    #[serde(default)]
    pub tests: Vec<String>,
    /// Upstream tests that cannot run inside pylon, each with the reason.
    #[serde(default)]
    pub skip: Vec<UpstreamSkip>,
    /// How long the suite may run inside pylon, in seconds (default 900).
    #[serde(default)]
    pub timeout: Option<u64>,
    /// What the suite imports beyond pytest and hypothesis, as requirements of
    /// pure-Python packages (`["objgraph"]`), installed beside pytest.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Extra pytest arguments (`["-o", "addopts="]` to leave out a suite's coverage
    /// options, whose plugin would measure every line).
    #[serde(default)]
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSkip {
    /// A pytest node id (`tests/test_x.py::test_y`) or a prefix of ids.
    pub test: String,
    /// Why it cannot run under WASI (shown as the skip reason).
    pub why: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Linkage {
    /// Plugged into `pylon.wasm` at compose time.
    #[default]
    Static,
    /// Linked by the launcher from a plan when it starts.
    Dynlink,
    /// No component: a C library compiled into the interpreter with CPython's own module.
    Interpreter,
    /// No component: a Python distribution with compiled code, built from its sdist; its
    /// extension modules become builtin modules and its Python files go to site-packages.
    Package,
}

impl Linkage {
    /// Whether the cap builds a component (the others are compiled into the interpreter).
    pub fn has_component(self) -> bool {
        matches!(self, Linkage::Static | Linkage::Dynlink)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Extension {
    /// The builtin module name, such as `_blake3_cap`.
    pub module: String,
    /// Where its C comes from.
    pub source: Source,
    /// The WIT folder, relative to the crate.
    #[serde(default = "default_wit")]
    pub wit: PathBuf,
    /// The world the extension is built against (it imports the cap's interfaces); none
    /// for a library cap.
    #[serde(default)]
    pub world: String,
}

fn default_wit() -> PathBuf {
    PathBuf::from("wit")
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// `namespace:package/interface`
    pub interface: String,
    /// semver, such as `0.1.0`
    pub version: String,
}

impl Requirement {
    /// The name a component uses for it: `ns:pkg/iface@1.2.3`.
    pub fn qualified(&self) -> String {
        format!("{}@{}", self.interface, self.version)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Provides {
    /// The user-facing module, such as `blake3`.
    pub module: String,
    /// The facade file, relative to the crate.
    pub facade: PathBuf,
    /// Where it goes in the runtime's module tree (`blake3.py`, `pkg/__init__.py`).
    pub dest: PathBuf,
}

/// `[workspace.metadata.pylon]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WorkspaceSettings {
    /// Where `compose` writes the interpreter (default `target/pylon/pylon.wasm`).
    #[serde(default)]
    pub output: Option<PathBuf>,
    /// The CPython profile (`3.13` unless `PYLON_PYTHON` says otherwise).
    #[serde(default)]
    pub python: Option<String>,
    /// Licence policy for `check-licenses`.
    #[serde(default)]
    pub licenses: Option<LicensePolicy>,
    /// A PEP 691 package index for `check-drift` (default: pip's own configuration).
    #[serde(default)]
    pub pypi_index: Option<String>,
    /// Python packages for the guest, as PEP 508 requirements (`["flask>=3"]`), resolved
    /// into `pylock.toml` and staged into site-packages (`cargo pylon add` edits it).
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Locked packages installed in their pure-Python form although they have compiled
    /// code (`pure = ["pyyaml"]`); every other one is built for the guest from its sdist.
    #[serde(default)]
    pub pure: Vec<String>,
    /// A folder of the workspace's own recipes (`<name>/recipe.toml`), which add to and
    /// replace the ones pylon ships.
    #[serde(default)]
    pub recipes: Option<PathBuf>,
    /// Keep DWARF in `pylon.wasm` (about three quarters of its size) for debuggers.
    #[serde(default)]
    pub debug: bool,
    /// Modules imported into the pre-initialized interpreter's snapshot, so runs that
    /// import them start with them loaded (`preload = ["json", "decimal"]`).
    #[serde(default)]
    pub preload: Vec<String>,
    /// WIT error cases (or error type names) -> the built-in Python exception a generated
    /// extension raises for them (`"not-found" = "KeyError"`); others raise `<module>.Error`.
    #[serde(default)]
    pub errors: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LicensePolicy {
    /// SPDX licences (with exceptions, `Apache-2.0 WITH LLVM-exception`) that may ship, in
    /// order of preference when a package offers a choice.
    pub allow: Vec<String>,
    /// The SPDX licence of a locked package whose wheel does not state one pylon can
    /// read (`[workspace.metadata.pylon.licenses.packages] name = "MIT"`).
    #[serde(default)]
    pub packages: std::collections::BTreeMap<String, String>,
}

/// The fix to suggest for a serde error on `key`.
pub fn hint(message: &str) -> &'static str {
    if message.contains("unknown field") {
        "remove or rename the key; the known keys are listed above"
    } else if message.contains("missing field") {
        "add the key; see caps/blake3/Cargo.toml for a complete example"
    } else if message.contains("unknown variant") {
        "use one of the listed values"
    } else {
        "fix the value's type; see caps/blake3/Cargo.toml for a complete example"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CapManifest, String> {
        let value: toml::Value = toml::from_str(text).unwrap();
        CapManifest::deserialize(value).map_err(|e| e.to_string())
    }

    const GOOD: &str = r#"
packages = ["blake3"]
[extension]
module = "_blake3_cap"
source = "ext/blake3_cap.c"
world = "extension"
[[requires]]
interface = "pylon:blake3/hasher"
version = "0.1.0"
[provides]
module = "blake3"
facade = "python/blake3.py"
dest = "blake3.py"
"#;

    #[test]
    fn reads_a_complete_manifest() {
        let cap = parse(GOOD).unwrap();
        assert_eq!(cap.linkage, Linkage::Static);
        assert_eq!(cap.requires[0].qualified(), "pylon:blake3/hasher@0.1.0");
        assert_eq!(cap.extension.unwrap().wit, PathBuf::from("wit"));
    }

    #[test]
    fn rejects_unknown_keys_and_values() {
        let err = parse(&GOOD.replace("[extension]", "[extension]\nmodul = \"x\"")).unwrap_err();
        assert!(err.contains("unknown field `modul`"), "{err}");
        let err = parse(&format!("linkage = \"dynamic\"\n{GOOD}")).unwrap_err();
        assert!(err.contains("unknown variant `dynamic`"), "{err}");
    }
}
