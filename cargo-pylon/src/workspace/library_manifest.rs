//! A library cap's table (`[package.metadata.pylon.library]`): the C library it vendors,
//! how to build it, and where its version is read.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A C library built for WASI and linked into the interpreter, beside CPython's own
/// extension module for it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Library {
    /// The dependency of the cap's crate that vendors the library's C sources (fetched by
    /// cargo, pinned by Cargo.lock).
    #[serde(rename = "crate")]
    pub krate: String,
    /// Header folders, relative to that crate (or, for a configured library, to its `root`
    /// after the build, which may generate headers).
    pub include: Vec<PathBuf>,
    /// C files or patterns (`xz/src/liblzma/common/*.c`), relative to that crate.
    #[serde(default)]
    pub sources: Vec<String>,
    /// File-name patterns left out of `sources` (`*_mt.c`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Preprocessor definitions (`NAME` or `NAME=VALUE`).
    #[serde(default)]
    pub defines: Vec<String>,
    /// The cap's own C files (relative to the cap), compiled with the library's headers and
    /// `defines` beside CPython's module: a shim the library's configuration calls.
    #[serde(default)]
    pub glue: Vec<PathBuf>,
    /// Where the vendored sources state the library's version, for `check-drift`.
    #[serde(default)]
    pub version: Option<VersionSource>,
    /// A library that builds itself (OpenSSL): its configure and make, instead of `sources`.
    #[serde(default)]
    pub configure: Option<Configure>,
}

/// A library's own build, run in a copy of its tree with pylon's WASI toolchain as `CC`,
/// `AR` and `RANLIB`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Configure {
    /// The folder of the crate the build runs in.
    #[serde(default = "dot")]
    pub root: PathBuf,
    /// The configure command and its arguments (`["perl", "Configure", ...]`).
    pub command: Vec<String>,
    /// make's targets.
    #[serde(default)]
    pub make: Vec<String>,
    /// The static libraries the build leaves, relative to `root`.
    pub archives: Vec<PathBuf>,
}

/// A version read from the vendored sources: the values of `defines` (C macros, or
/// `KEY=value` lines) in `file`, joined with dots (`MAJOR`, `MINOR`, `PATCH`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VersionSource {
    /// Relative to the vendoring crate.
    pub file: PathBuf,
    pub defines: Vec<String>,
}

impl VersionSource {
    /// The version `text` (the file's contents) states; none when a define is missing.
    pub fn read(&self, text: &str) -> Option<String> {
        let parts: Option<Vec<String>> =
            self.defines.iter().map(|key| value_of(text, key)).collect();
        parts.map(|p| p.join("."))
    }
}

/// The leading version (digits and dots) of `#define KEY value` or `KEY=value`.
fn value_of(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim();
        let body = match line.strip_prefix('#') {
            Some(directive) => directive.trim_start().strip_prefix("define")?.trim_start(),
            None => line,
        };
        let rest = body.strip_prefix(key)?;
        let value = rest
            .strip_prefix('=')
            .or_else(|| rest.starts_with(char::is_whitespace).then_some(rest))?;
        let version: String = value
            .trim()
            .trim_start_matches('"')
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        (!version.is_empty()).then_some(version)
    })
}

fn dot() -> PathBuf {
    PathBuf::from(".")
}

impl Library {
    /// The C files `sources` names under `root` (the vendoring crate's folder), patterns
    /// expanded and `exclude`d names left out, in a stable order.
    pub fn files(&self, root: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
        use anyhow::Context;
        let excluded: Vec<glob::Pattern> = self
            .exclude
            .iter()
            .map(|p| {
                glob::Pattern::new(p)
                    .with_context(|| format!("library.exclude: {p:?} is not a pattern"))
            })
            .collect::<anyhow::Result<_>>()?;
        let mut files = Vec::new();
        for source in &self.sources {
            let matched = expand(root, source).context("library.sources")?;
            files.extend(matched.into_iter().filter(|f| {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                !excluded.iter().any(|p| p.matches(&name))
            }));
        }
        files.sort();
        files.dedup();
        Ok(files)
    }
}

/// The files `pattern` (a path or a glob, relative to `root`) names, sorted; an error when
/// it names none.
pub fn expand(root: &std::path::Path, pattern: &str) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context;
    let mut matched: Vec<PathBuf> = glob::glob(&root.join(pattern).to_string_lossy())
        .with_context(|| format!("{pattern:?} is not a pattern"))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list {pattern:?} under {}", root.display()))?;
    if matched.is_empty() {
        anyhow::bail!(
            "{pattern:?} matches nothing under {}\n  fix: name files relative to that folder",
            root.display()
        );
    }
    matched.sort();
    Ok(matched)
}

#[cfg(test)]
mod tests {
    #[test]
    fn library_versions_read_from_headers_and_key_files() {
        let source = |defines: &[&str]| super::VersionSource {
            file: "x".into(),
            defines: defines.iter().map(|d| d.to_string()).collect(),
        };
        assert_eq!(
            source(&["BZ_VERSION"])
                .read("#define BZ_VERSION  \"1.0.8, 13-Jul-2019\"\n")
                .as_deref(),
            Some("1.0.8")
        );
        assert_eq!(
            source(&["MAJOR", "MINOR", "PATCH"])
                .read("MAJOR=3\nMINOR=6\nPATCH=3\nPRE_RELEASE_TAG=\n")
                .as_deref(),
            Some("3.6.3")
        );
        let lzma = "#define LZMA_VERSION_MAJOR 5\n#  define LZMA_VERSION_MINOR 8\n#define LZMA_VERSION_PATCH 4\n";
        assert_eq!(
            source(&[
                "LZMA_VERSION_MAJOR",
                "LZMA_VERSION_MINOR",
                "LZMA_VERSION_PATCH"
            ])
            .read(lzma)
            .as_deref(),
            Some("5.8.4")
        );
        assert_eq!(
            source(&["ZLIB_VERSION"]).read("#define ZLIB_VERSIONX \"9\"\n"),
            None
        );
    }
}
