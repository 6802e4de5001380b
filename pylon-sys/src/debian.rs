//! Fetching files from the machine's own Debian archive without installing them.
//!
//! A suite other than the configured one (for example trixie on a bookworm machine) is
//! reached through a private sources list and package lists under the pylon cache, so
//! nothing system-wide changes. The archive address is read from the machine's apt
//! configuration, never hard-coded.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::progress::Step;

const SOURCES_DIRS: &[&str] = &["/etc/apt/sources.list.d"];
const SOURCES_LIST: &str = "/etc/apt/sources.list";
const DEFAULT_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// A Debian suite reached through its own apt state under `root`.
pub struct Suite {
    pub name: String,
    root: PathBuf,
}

/// The first archive address (and its keyring) in the machine's apt configuration that
/// is not a security mirror.
fn machine_archive() -> Result<(String, String)> {
    let mut found = Vec::new();
    for dir in SOURCES_DIRS {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "sources"))
        {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            found.extend(parse_deb822(&text));
        }
    }
    if let Ok(text) = std::fs::read_to_string(SOURCES_LIST) {
        found.extend(parse_one_line(&text));
    }
    found
        .into_iter()
        .find(|(uri, _)| !uri.contains("security"))
        .context("no Debian archive is configured for apt on this machine (looked in /etc/apt/sources.list.d/*.sources and /etc/apt/sources.list); configure apt first")
}

fn parse_deb822(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter_map(|stanza| {
            let field = |name: &str| {
                stanza
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            };
            let uri = field("URIs:")?.split_whitespace().next()?.to_string();
            let key = field("Signed-By:").unwrap_or_else(|| DEFAULT_KEYRING.to_string());
            Some((uri, key))
        })
        .collect()
}

fn parse_one_line(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace().filter(|w| !w.starts_with('['));
            (words.next()? == "deb").then_some(())?;
            Some((words.next()?.to_string(), DEFAULT_KEYRING.to_string()))
        })
        .collect()
}

impl Suite {
    /// Prepare (and refresh once) private apt lists for `name` under `cache`.
    pub fn open(name: &str, cache: &Path, step: &Step) -> Result<Self> {
        let root = cache.join(name);
        let lists = root.join("lists");
        std::fs::create_dir_all(lists.join("partial"))
            .with_context(|| format!("cannot create {}", lists.display()))?;
        let suite = Self {
            name: name.to_string(),
            root,
        };
        let sources = suite.root.join("sources.list");
        if !sources.exists() {
            let (uri, keyring) = machine_archive()?;
            let text = format!(
                "deb [signed-by={keyring}] {uri} {name} main\ndeb-src [signed-by={keyring}] {uri} {name} main\n"
            );
            std::fs::write(&sources, text)
                .with_context(|| format!("cannot write {}", sources.display()))?;
        }
        let stamp = suite.root.join("updated");
        if !stamp.exists() {
            step.message(&format!("apt-get update ({name})"));
            suite.apt(&suite.root, &["update"], step)?;
            std::fs::write(&stamp, b"")
                .with_context(|| format!("cannot write {}", stamp.display()))?;
        }
        Ok(suite)
    }

    fn options(&self) -> Vec<String> {
        vec![
            format!(
                "-oDir::Etc::sourcelist={}",
                self.root.join("sources.list").display()
            ),
            "-oDir::Etc::sourceparts=/dev/null".into(),
            format!("-oDir::State::Lists={}", self.root.join("lists").display()),
            format!("-oDir::Cache={}", self.root.join("cache").display()),
            // Files land in pylon's own cache, which apt's unprivileged download user
            // cannot write; downloading as the caller is what we want here.
            "-oAPT::Sandbox::User=root".into(),
            "-qq".into(),
        ]
    }

    fn apt(&self, cwd: &Path, args: &[&str], step: &Step) -> Result<()> {
        let mut cmd = Command::new("apt-get");
        cmd.args(self.options()).args(args).current_dir(cwd);
        step.run(&mut cmd).with_context(|| {
            format!("apt-get {} failed for Debian suite {}; check the network and the archive in /etc/apt", args.join(" "), self.name)
        })
    }

    /// `apt-get download PACKAGE[=VERSION]` into `dest`; returns the `.deb` path.
    pub fn download(&self, package: &str, dest: &Path, step: &Step) -> Result<PathBuf> {
        std::fs::create_dir_all(dest)
            .with_context(|| format!("cannot create {}", dest.display()))?;
        self.apt(dest, &["download", package], step)?;
        let name = package.split('=').next().unwrap_or(package);
        let deb = std::fs::read_dir(dest)
            .with_context(|| format!("cannot list {}", dest.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{name}_")) && n.ends_with(".deb"))
            });
        deb.with_context(|| {
            format!(
                "apt-get download {package} left no .deb in {}",
                dest.display()
            )
        })
    }

    /// `apt-get source --download-only PACKAGE=VERSION` into `dest`.
    pub fn download_source(
        &self,
        package: &str,
        version: &str,
        dest: &Path,
        step: &Step,
    ) -> Result<()> {
        std::fs::create_dir_all(dest)
            .with_context(|| format!("cannot create {}", dest.display()))?;
        self.apt(
            dest,
            &["source", "--download-only", &format!("{package}={version}")],
            step,
        )
    }
}

impl Suite {
    /// The source package `package`'s upstream tarball `file` into `dest`, from whichever
    /// of the suite's versions of the package carries it (point releases replace Debian's
    /// own revisions, and keep the upstream tarball).
    pub fn download_orig(
        &self,
        package: &str,
        file: &str,
        dest: &Path,
        step: &Step,
    ) -> Result<PathBuf> {
        let out = Command::new("apt-cache")
            .args(self.options())
            .args(["showsrc", package])
            .output()
            .context("cannot run apt-cache")?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = versions_with(&text, file).with_context(|| {
            format!("Debian {}'s source package {package} has no version carrying {file}; the recipe needs updating", self.name)
        })?;
        // Only the upstream tarball matters (its caller checks its sha256): a part of
        // Debian's own that does not come (a superseded revision's) is no failure.
        let fetched = self.download_source(package, &version, dest, step);
        let path = dest.join(file);
        if path.is_file() {
            return Ok(path);
        }
        fetched?;
        bail!("apt-get source {package}={version} left no {file}")
    }
}

/// The version of the first `apt-cache showsrc` stanza that lists `file`.
fn versions_with(showsrc: &str, file: &str) -> Option<String> {
    showsrc.split("\n\n").find_map(|stanza| {
        let lists = stanza
            .lines()
            .any(|l| l.starts_with(' ') && l.split_whitespace().last() == Some(file));
        let version = stanza.lines().find_map(|l| l.strip_prefix("Version:"))?;
        lists.then(|| version.trim().to_string())
    })
}

/// Unpack a `.deb` into `dest` with `dpkg -x` (nothing is installed).
pub fn unpack(deb: &Path, dest: &Path, step: &Step) -> Result<()> {
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    step.run(Command::new("dpkg").arg("-x").arg(deb).arg(dest))
        .with_context(|| format!("dpkg -x {} failed", deb.display()))
}

/// The version of an installed Debian package, if it is installed.
pub fn installed_version(package: &str) -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status} ${Version}", package])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.strip_prefix("install ok installed ")?;
    Some(version.trim().to_string())
}

/// Install Debian packages system-wide: done when running as root, else the exact
/// command is returned as the error.
pub fn install(packages: &[&str], step: &Step) -> Result<()> {
    let list = packages.join(" ");
    if !is_root() {
        bail!("missing Debian packages: {list}\n  fix: sudo apt-get update && sudo apt-get install -y {list}");
    }
    step.message(&format!("apt-get install {list}"));
    step.run(Command::new("apt-get").args(["update", "-qq"]))
        .context("apt-get update failed")?;
    step.run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .with_context(|| format!("apt-get install {list} failed"))
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_version_that_carries_an_upstream_tarball() {
        let showsrc = "Package: zlib\nVersion: 1:1.3.dfsg-3\nFiles:\n 29e0 13 zlib_1.3.dfsg.orig.tar.gz\n\nPackage: zlib\nVersion: 1:1.3.dfsg+really1.3.1-1+deb13u1\nFiles:\n 29e0 13 zlib_1.3.dfsg+really1.3.1.orig.tar.gz\n";
        assert_eq!(
            versions_with(showsrc, "zlib_1.3.dfsg+really1.3.1.orig.tar.gz").as_deref(),
            Some("1:1.3.dfsg+really1.3.1-1+deb13u1")
        );
        assert_eq!(versions_with(showsrc, "zlib_9.orig.tar.gz"), None);
    }

    #[test]
    fn reads_archive_from_deb822_and_one_line_sources() {
        let deb822 = "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\nSigned-By: /k.gpg\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n";
        let all = parse_deb822(deb822);
        assert_eq!(
            all[0],
            (
                "http://mirror.example/debian".to_string(),
                "/k.gpg".to_string()
            )
        );
        assert_eq!(all[1].1, DEFAULT_KEYRING);
        let one = parse_one_line("# c\ndeb [arch=amd64] http://m.example/debian bookworm main\n");
        assert_eq!(one[0].0, "http://m.example/debian");
    }
}
