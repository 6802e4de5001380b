//! CPython versions pylon can build, one profile each.

use anyhow::{bail, Result};

/// Where a profile's pristine upstream tarball comes from when the user supplies none.
#[derive(Debug, Clone, Copy)]
pub struct DebianSource {
    pub suite: &'static str,
    pub package: &'static str,
    pub version: &'static str,
}

/// Everything version-specific about building one CPython release for WASI.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Full version, for example `3.13.5`.
    pub version: &'static str,
    /// sha256 of the pristine upstream `.tar.xz`.
    pub sha256: &'static str,
    /// File name of the tarball in the download cache.
    pub tarball: &'static str,
    /// Where to fetch it when neither `PYLON_CPYTHON_TARBALL` nor the cache has it.
    pub debian: Option<DebianSource>,
    /// The `config.site` for the WASI host build, relative to the source tree.
    pub config_site: &'static str,
}

pub const CPYTHON_3_13: Profile = Profile {
    version: "3.13.5",
    sha256: "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640",
    tarball: "python3.13_3.13.5.orig.tar.xz",
    debian: Some(DebianSource {
        suite: "trixie",
        package: "python3.13",
        version: "3.13.5-2+deb13u5",
    }),
    config_site: "Tools/wasm/config.site-wasm32-wasi",
};

/// 3.14 builds from a tarball the user supplies (`PYLON_CPYTHON_TARBALL`): no registry
/// reachable from pylon's machines serves it yet.
pub const CPYTHON_3_14: Profile = Profile {
    version: "3.14.0",
    sha256: "2299dae542d395ce3883aca00d3c910307cd68e0b2f7336098c8e7b7eee9f3e9",
    tarball: "Python-3.14.0.tar.xz",
    debian: None,
    config_site: "Tools/wasm/wasi/config.site-wasm32-wasi",
};

pub const ALL: &[Profile] = &[CPYTHON_3_13, CPYTHON_3_14];

impl Profile {
    /// The profile for `3.13`, `3.13.5`, ... ; `PYLON_PYTHON` picks it, default 3.13.
    pub fn select(wanted: Option<&str>) -> Result<&'static Profile> {
        let wanted = wanted.unwrap_or("3.13");
        match ALL
            .iter()
            .find(|p| p.version == wanted || p.minor() == wanted)
        {
            Some(profile) => Ok(profile),
            None => {
                let known: Vec<_> = ALL.iter().map(|p| p.version).collect();
                bail!(
                    "no CPython profile for {wanted:?}; pylon knows {}",
                    known.join(", ")
                )
            }
        }
    }

    pub fn from_env() -> Result<&'static Profile> {
        Self::select(
            std::env::var("PYLON_PYTHON")
                .ok()
                .as_deref()
                .filter(|v| !v.is_empty()),
        )
    }

    /// `3.13` for `3.13.5`.
    pub fn minor(&self) -> &'static str {
        let mut dots = self.version.match_indices('.');
        let second = dots.nth(1).map(|(i, _)| i).unwrap_or(self.version.len());
        &self.version[..second]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_by_minor_or_full_version() {
        assert_eq!(Profile::select(Some("3.13")).unwrap().version, "3.13.5");
        assert_eq!(Profile::select(Some("3.14.0")).unwrap().minor(), "3.14");
        assert_eq!(Profile::select(None).unwrap().minor(), "3.13");
        let err = Profile::select(Some("2.7")).unwrap_err().to_string();
        assert!(err.contains("3.13.5"), "{err}");
    }
}
