//! The latest release of a PyPI project, from a PEP 691 JSON index, with a cache.
//!
//! The index is `PYLON_PYPI_INDEX`, else the workspace's `pypi-index`, else pip's own
//! configuration (`PIP_INDEX_URL`, `pip config`, pip's built-in default): pylon names no
//! index host itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::Digest;

const TIMEOUT: Duration = Duration::from_secs(10);
/// Answers younger than this are reused without asking the index.
const FRESH: Duration = Duration::from_secs(6 * 3600);

#[derive(Debug, Serialize, Deserialize)]
struct CacheEntry {
    fetched: u64,
    latest: String,
}

pub struct Latest {
    pub version: String,
    /// Where the answer came from: `index` or `cache`.
    pub source: &'static str,
}

pub fn index_url(configured: Option<&str>) -> Result<String> {
    if let Some(url) = std::env::var("PYLON_PYPI_INDEX")
        .ok()
        .filter(|u| !u.is_empty())
        .or(configured.map(str::to_string))
    {
        return Ok(url);
    }
    if let Some(url) = std::env::var("PIP_INDEX_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Ok(url);
    }
    let ask = |args: &[&str]| -> Option<String> {
        let out = Command::new("python3").args(args).output().ok()?;
        let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    ask(&["-m", "pip", "config", "get", "global.index-url"])
        .or_else(|| ask(&["-c", "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"]))
        .context("no package index is configured: set PYLON_PYPI_INDEX, [workspace.metadata.pylon] pypi-index, or pip's index-url")
}

/// The newest final release of `project`; `offline` answers from the cache only.
pub fn latest(
    project: &str,
    index: &str,
    cache_dir: &Path,
    offline: bool,
) -> Result<Option<Latest>> {
    let mut key = crate::support::stamp::Fingerprint::new("pypi");
    key.text(index);
    let cache = cache_dir.join(format!(
        "{}-{}.json",
        normalize(project),
        &key.finish()[..12]
    ));
    let cached: Option<CacheEntry> = std::fs::read(&cache)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    if let Some(entry) = &cached {
        if offline || now.saturating_sub(entry.fetched) < FRESH.as_secs() {
            return Ok(Some(Latest {
                version: entry.latest.clone(),
                source: "cache",
            }));
        }
    }
    if offline {
        return Ok(None);
    }
    let version = fetch(project, index)?;
    let entry = CacheEntry {
        fetched: now,
        latest: version.clone(),
    };
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("cannot create {}", cache_dir.display()))?;
    std::fs::write(&cache, serde_json::to_vec(&entry)?)
        .with_context(|| format!("cannot write {}", cache.display()))?;
    Ok(Some(Latest {
        version,
        source: "index",
    }))
}

/// An HTTP agent that trusts the platform's certificate store, as pip does: indexes
/// behind a site's own CA work.
fn agent(timeout: Duration) -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .tls_config(tls)
        .build()
        .into()
}

/// The index's PEP 691 page of `project`, and its address.
fn project_page(project: &str, index: &str) -> Result<(serde_json::Value, String)> {
    let url = format!("{}/{}/", index.trim_end_matches('/'), normalize(project));
    let mut response = agent(TIMEOUT)
        .get(&url)
        .header("Accept", "application/vnd.pypi.simple.v1+json")
        .call()
        .with_context(|| format!("cannot ask the package index about {project} ({url}); use --offline to rely on the cache"))?;
    let body = response
        .body_mut()
        .read_json()
        .with_context(|| format!("{url} did not answer PEP 691 JSON"))?;
    Ok((body, url))
}

/// A file of `project`'s release `version` from the index, chosen by `wanted` among the
/// release's file names, checked against the index's sha256 (and `pinned`, when given)
/// and kept in `cache_dir`. A cached file (whose name `pinned` or a previous download
/// fixed) is used without asking the index; `offline` never asks.
pub fn download(
    project: &str,
    version: &str,
    wanted: &dyn Fn(&str) -> bool,
    pinned: Option<&str>,
    index: &str,
    cache_dir: &Path,
    offline: bool,
) -> Result<PathBuf> {
    if let Some(path) = cached(project, version, pinned, cache_dir) {
        return Ok(path);
    }
    let files = cache_dir.join("files");
    let record = record(project, version, pinned, cache_dir);
    if offline {
        bail!(
            "{project} {version} is not in the cache ({}) and --offline forbids asking the index",
            files.display()
        );
    }
    let (page, page_url) = project_page(project, index)?;
    let entries = page["files"]
        .as_array()
        .with_context(|| format!("{page_url} lists no files"))?;
    // File names spell the project with `_` or `-`: compare them with both folded to `_`.
    let prefix = format!("{}_{version}", normalize(project).replace('-', "_"));
    let of_release = |name: &str| {
        let folded = name.to_lowercase().replace('-', "_");
        folded
            .strip_prefix(&prefix)
            .is_some_and(|rest| rest.starts_with('_') || rest == ".tar.gz" || rest == ".zip")
    };
    let entry = entries
        .iter()
        .filter(|f| {
            f["filename"]
                .as_str()
                .is_some_and(|n| of_release(n) && wanted(n))
        })
        .min_by_key(|f| f["filename"].as_str().map(str::len))
        .with_context(|| {
            format!("{page_url} has no file of {project} {version} of the kind wanted")
        })?;
    let name = entry["filename"]
        .as_str()
        .expect("filtered on filename")
        .to_string();
    let sha = entry["hashes"]["sha256"]
        .as_str()
        .with_context(|| format!("{page_url}: {name} has no sha256"))?;
    if let Some(pin) = pinned {
        if pin != sha {
            bail!("{name}: the index says sha256 {sha}, the manifest pins {pin}\n  fix: check which release the pin was taken from, and update it only if the upstream file really changed");
        }
    }
    let href = entry["url"]
        .as_str()
        .with_context(|| format!("{page_url}: {name} has no url"))?;
    let url = if href.contains("://") {
        href.to_string()
    } else {
        format!(
            "{}/{}",
            page_url.trim_end_matches('/'),
            href.trim_start_matches('/')
        )
    };
    let bytes = fetch_checked(&url, sha)
        .with_context(|| format!("cannot download {name} from the package index; try again"))?;
    std::fs::create_dir_all(&files)
        .with_context(|| format!("cannot create {}", files.display()))?;
    let path = files.join(&name);
    crate::support::fs::write_atomically(&path, &bytes)?;
    std::fs::write(&record, &name).with_context(|| format!("cannot write {}", record.display()))?;
    Ok(path)
}

/// Whether `project`'s release `version` has wheels with compiled code on the index (for
/// some platform): a package whose pure wheel has optional C. Asked once per release; a
/// release's files do not change.
pub fn has_compiled_wheels(
    project: &str,
    version: &str,
    index: &str,
    cache_dir: &Path,
    offline: bool,
) -> Result<bool> {
    let record = cache_dir
        .join("compiled")
        .join(format!("{}-{version}", normalize(project)));
    if let Ok(text) = std::fs::read_to_string(&record) {
        return Ok(text.trim() == "yes");
    }
    if offline {
        bail!("whether {project} {version} has compiled code is not in the cache ({}) and --offline forbids asking the index\n  fix: lock once with the network", record.display());
    }
    let (page, _) = project_page(project, index)?;
    // Wheel names spell the project with `_`: compare with `-` folded to `_`.
    let prefix = format!("{}_{version}_", normalize(project).replace('-', "_"));
    let compiled = page["files"].as_array().into_iter().flatten().any(|f| {
        let name = f["filename"].as_str().unwrap_or_default();
        name.to_lowercase().replace('-', "_").starts_with(&prefix)
            && name.ends_with(".whl")
            && !crate::packages::lock::is_pure_wheel(name)
    });
    let dir = record.parent().expect("a record has a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&record, if compiled { "yes" } else { "no" })
        .with_context(|| format!("cannot write {}", record.display()))?;
    Ok(compiled)
}

/// The file at `url`, checked against `sha256` before anything keeps it.
pub fn fetch_checked(url: &str, sha256: &str) -> Result<Vec<u8>> {
    let bytes = agent(Duration::from_secs(300))
        .get(url)
        .call()
        .and_then(|mut r| r.body_mut().with_config().limit(1 << 31).read_to_vec())
        .with_context(|| format!("cannot fetch {url}"))?;
    let got = hex::encode(sha2::Sha256::digest(&bytes));
    if got != sha256 {
        bail!("{url}: its sha256 is {got}, but {sha256} was expected");
    }
    Ok(bytes)
}

fn record(project: &str, version: &str, pinned: Option<&str>, cache_dir: &Path) -> PathBuf {
    cache_dir.join("files").join(format!(
        "{}-{version}.{}.chosen",
        normalize(project),
        pinned.unwrap_or("any")
    ))
}

/// The file [`download`] keeps for this release, if it is in the cache (and matches `pinned`).
pub fn cached(
    project: &str,
    version: &str,
    pinned: Option<&str>,
    cache_dir: &Path,
) -> Option<PathBuf> {
    let name = std::fs::read_to_string(record(project, version, pinned, cache_dir)).ok()?;
    let path = cache_dir.join("files").join(name.trim());
    (path.is_file()
        && pinned.is_none_or(|sha| pylon_sys::source::sha256_file(&path).is_ok_and(|d| d == sha)))
    .then_some(path)
}

fn fetch(project: &str, index: &str) -> Result<String> {
    let (body, url) = project_page(project, index)?;
    let versions = body["versions"]
        .as_array()
        .with_context(|| format!("{url} lists no versions (the index must support PEP 700)"))?;
    let newest = versions
        .iter()
        .filter_map(|v| v.as_str())
        .filter_map(|v| release_key(v).map(|k| (k, v)))
        .max();
    match newest {
        Some((_, version)) => Ok(version.to_string()),
        None => bail!("{project} has no final release on the index"),
    }
}

/// PEP 503 name normalization.
pub fn normalize(project: &str) -> String {
    let mut out = String::new();
    for c in project.chars() {
        let c = if matches!(c, '-' | '_' | '.') {
            '-'
        } else {
            c.to_ascii_lowercase()
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

/// The release numbers of a final PEP 440 version (`1.0.11` -> [1, 0, 11]); `None` for
/// pre-, post-less dev and other non-final releases.
pub fn release_key(version: &str) -> Option<Vec<u64>> {
    let version = version.trim().trim_start_matches('v');
    let release = version.split('+').next()?;
    release
        .split('.')
        .map(|part| part.parse::<u64>().ok())
        .collect()
}

pub fn cache_dir(home: &pylon_sys::Home) -> Result<PathBuf> {
    home.dir("pypi")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_final_releases_and_skips_pre_releases() {
        assert!(release_key("1.0.11") > release_key("1.0.9"));
        assert_eq!(release_key("2.0.0rc1"), None);
        assert_eq!(release_key("1.0.dev3"), None);
        assert_eq!(normalize("Foo_Bar.baz"), "foo-bar-baz");
    }
}
