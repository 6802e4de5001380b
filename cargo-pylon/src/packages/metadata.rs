//! A wheel's core metadata (`*.dist-info/METADATA`), for the licence check-licenses reads.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

/// What a wheel says about its licence.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Licensing {
    /// `License-Expression` (metadata 2.4), else an SPDX id read from `License` or the
    /// trove classifiers; `None` when the wheel does not say in a form pylon can read.
    pub spdx: Option<String>,
    /// The licence files the wheel ships (`License-File`).
    pub files: Vec<String>,
}

/// Trove licence classifiers and their SPDX ids.
const CLASSIFIERS: &[(&str, &str)] = &[
    ("MIT License", "MIT"),
    ("BSD License", "BSD-3-Clause"),
    ("Apache Software License", "Apache-2.0"),
    ("Python Software Foundation License", "PSF-2.0"),
    ("ISC License (ISCL)", "ISC"),
    ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
    ("The Unlicense (Unlicense)", "Unlicense"),
    ("Zope Public License", "ZPL-2.1"),
    (
        "GNU Library or Lesser General Public License (LGPL)",
        "LGPL-2.1-or-later",
    ),
];

/// What an installed package's metadata says about its licence: its wheel's, or for a
/// build for the guest, the built wheel's as unpacked.
pub fn licensing(form: &super::InstalledForm) -> Result<Licensing> {
    let text = match form {
        super::InstalledForm::Wheel(wheel) => metadata_text(wheel)?,
        super::InstalledForm::Built(built) => unpacked_metadata_text(&built.site())?,
    };
    Ok(parse(&text))
}

fn unpacked_metadata_text(site: &Path) -> Result<String> {
    let entries =
        std::fs::read_dir(site).with_context(|| format!("cannot list {}", site.display()))?;
    let dist_info = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "dist-info"))
        .with_context(|| format!("{} has no .dist-info folder", site.display()))?;
    let path = dist_info.join("METADATA");
    std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
}

fn metadata_text(wheel: &Path) -> Result<String> {
    let file =
        std::fs::File::open(wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a wheel", wheel.display()))?;
    let member = archive
        .file_names()
        .find(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
        .map(str::to_string)
        .with_context(|| format!("{} has no .dist-info/METADATA", wheel.display()))?;
    let mut text = String::new();
    archive
        .by_name(&member)
        .with_context(|| format!("cannot open {member} in {}", wheel.display()))?
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {member} in {}", wheel.display()))?;
    Ok(text)
}

/// The headers of a METADATA file (RFC 822 style: up to the first blank line, a line
/// starting with white space continuing the one before).
fn headers(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((key, value)) = line.split_once(':') {
            out.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    out
}

fn parse(text: &str) -> Licensing {
    let headers = headers(text);
    let get = |key: &'static str| {
        headers
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let files = get("license-file").map(str::to_string).collect();
    let spdx = get("license-expression")
        .next()
        .map(str::to_string)
        .or_else(|| {
            get("license")
                .next()
                .filter(|l| !l.contains('\n') && spdx::Expression::parse(l).is_ok())
                .map(str::to_string)
        })
        .or_else(|| {
            let ids: Vec<&str> = get("classifier")
                .filter_map(|c| c.strip_prefix("License :: OSI Approved :: "))
                .filter_map(|c| CLASSIFIERS.iter().find(|(name, _)| *name == c))
                .map(|(_, id)| *id)
                .collect();
            (!ids.is_empty()).then(|| ids.join(" OR "))
        });
    Licensing { spdx, files }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_licence_in_the_order_the_metadata_versions_give_it() {
        let modern = "Metadata-Version: 2.4\nName: flask\nLicense-Expression: BSD-3-Clause\nLicense-File: LICENSE.txt\n\nbody: License: MIT\n";
        assert_eq!(
            parse(modern),
            Licensing {
                spdx: Some("BSD-3-Clause".into()),
                files: vec!["LICENSE.txt".into()]
            }
        );
        let spdx_in_license = "Metadata-Version: 2.1\nLicense: MIT\n";
        assert_eq!(parse(spdx_in_license).spdx.as_deref(), Some("MIT"));
        let classified = "Metadata-Version: 2.1\nLicense: Copyright (c) the authors\n  all rights\nClassifier: License :: OSI Approved :: Apache Software License\n";
        assert_eq!(parse(classified).spdx.as_deref(), Some("Apache-2.0"));
        assert_eq!(
            parse("Metadata-Version: 2.1\nLicense: see file\n").spdx,
            None
        );
    }
}
