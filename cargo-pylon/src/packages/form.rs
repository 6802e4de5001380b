//! Which form of each locked package the guest gets: its pure wheel, its sdist built with
//! no compiler (a package whose C is optional, kept pure on request), or its sdist
//! compiled for the guest.

use anyhow::Result;

use super::lock::{Archive, Artifact, Package};

/// The form a package takes in the guest.
pub enum Form<'a> {
    /// A pure wheel, used as it is.
    Wheel(&'a Archive),
    /// The sdist, built on the host with every compiler turned off.
    PureSdist(&'a Archive),
    /// The sdist, built for the guest with its compiled code.
    Compiled(&'a Archive),
}

/// How `package` is installed. `pure`: the workspace keeps it in its pure form.
/// `has_compiled_wheels`: whether the index has wheels with compiled code of the release
/// (asked only for a package that has a pure wheel too: its C is optional).
pub fn choose<'a>(
    package: &'a Package,
    pure: bool,
    has_compiled_wheels: impl FnOnce() -> Result<bool>,
) -> Result<Option<Form<'a>>> {
    Ok(match (package.artifact(), &package.sdist) {
        (None, _) => None,
        (Some(Artifact::Wheel(wheel)), _) if pure => Some(Form::Wheel(wheel)),
        (Some(Artifact::Sdist(sdist)), _) if pure => Some(Form::PureSdist(sdist)),
        (Some(Artifact::Wheel(wheel)), None) => Some(Form::Wheel(wheel)),
        (Some(Artifact::Wheel(wheel)), Some(sdist)) => Some(if has_compiled_wheels()? {
            Form::Compiled(sdist)
        } else {
            Form::Wheel(wheel)
        }),
        (Some(Artifact::Sdist(sdist)), _) => Some(Form::Compiled(sdist)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(wheel: bool, sdist: bool) -> Package {
        let archive = |name: &str| Archive {
            name: Some(name.to_string()),
            url: None,
            size: None,
            hashes: Default::default(),
        };
        Package {
            name: "frozenlist".into(),
            version: "1.8.0".into(),
            wheels: wheel
                .then(|| archive("frozenlist-1.8.0-py3-none-any.whl"))
                .into_iter()
                .collect(),
            sdist: sdist.then(|| archive("frozenlist-1.8.0.tar.gz")),
        }
    }

    fn kind(form: Option<Form>) -> &'static str {
        match form {
            None => "none",
            Some(Form::Wheel(_)) => "wheel",
            Some(Form::PureSdist(_)) => "pure sdist",
            Some(Form::Compiled(_)) => "compiled",
        }
    }

    #[test]
    fn optional_c_is_compiled_unless_the_workspace_keeps_it_pure() {
        let both = package(true, true);
        assert_eq!(kind(choose(&both, false, || Ok(true)).unwrap()), "compiled");
        assert_eq!(kind(choose(&both, false, || Ok(false)).unwrap()), "wheel");
        assert_eq!(
            kind(choose(&both, true, || panic!("not asked")).unwrap()),
            "wheel"
        );
        let sdist_only = package(false, true);
        assert_eq!(
            kind(choose(&sdist_only, false, || panic!("not asked")).unwrap()),
            "compiled"
        );
        assert_eq!(
            kind(choose(&sdist_only, true, || panic!("not asked")).unwrap()),
            "pure sdist"
        );
        let wheel_only = package(true, false);
        assert_eq!(
            kind(choose(&wheel_only, false, || panic!("not asked")).unwrap()),
            "wheel"
        );
        assert_eq!(
            kind(choose(&package(false, false), false, || Ok(true)).unwrap()),
            "none"
        );
    }
}
