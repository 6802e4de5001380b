//! The workspace's requirements, as far as pylon reads them: each one's project name.
//! Everything else in a PEP 508 string (versions, extras, markers) is uv's to read.

use anyhow::{bail, Result};

use crate::packages::index::normalize;

/// The normalized project name a PEP 508 requirement starts with (`Flask[async]>=3` ->
/// `flask`).
pub fn name(requirement: &str) -> Result<String> {
    let text = requirement.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(text.len());
    let name = &text[..end];
    let edges_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edges_ok(name.chars().next()) || !edges_ok(name.chars().last()) {
        bail!("{requirement:?} is not a requirement: it must start with a project name (PEP 508), as in \"flask>=3\"");
    }
    Ok(normalize(name))
}

/// `requirements` with `added` in: one that names the same project replaces the old one
/// in its place, a new project goes at the end.
pub fn with(requirements: &[String], added: &[String]) -> Result<Vec<String>> {
    let mut out = requirements.to_vec();
    for new in added {
        let project = name(new)?;
        match out.iter().position(|r| name(r).is_ok_and(|n| n == project)) {
            Some(i) => out[i] = new.trim().to_string(),
            None => out.push(new.trim().to_string()),
        }
    }
    Ok(out)
}

/// `requirements` without the projects named `removed`; each must be there.
pub fn without(requirements: &[String], removed: &[String]) -> Result<Vec<String>> {
    let mut out = requirements.to_vec();
    for project in removed {
        let project = normalize(project);
        let before = out.len();
        out.retain(|r| name(r).map_or(true, |n| n != project));
        if out.len() == before {
            bail!(
                "{project} is not among the workspace's requirements ({})",
                requirements.join(", ")
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_project_name_of_a_requirement() {
        assert_eq!(name("Flask[async]>=3").unwrap(), "flask");
        assert_eq!(
            name("zope.interface ; python_version>'3'").unwrap(),
            "zope-interface"
        );
        assert_eq!(name("typing_extensions").unwrap(), "typing-extensions");
        assert!(name(">=3").is_err());
        assert!(name("").is_err());
    }

    #[test]
    fn adds_replaces_and_removes_by_project() {
        let reqs = vec!["flask>=3".to_string(), "rich".to_string()];
        let added = with(&reqs, &["Flask==3.1.0".into(), "attrs".into()]).unwrap();
        assert_eq!(added, ["Flask==3.1.0", "rich", "attrs"]);
        assert_eq!(
            without(&added, &["FLASK".into()]).unwrap(),
            ["rich", "attrs"]
        );
        assert!(without(&added, &["numpy".into()]).is_err());
    }
}
