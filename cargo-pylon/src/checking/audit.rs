//! Audit of what caps put in front of Python users.

use serde::Serialize;

use super::facts::FacadeFacts;
use crate::workspace::discover::Cap;

/// Modules and attributes that are gone from CPython from a given minor version on (or
/// moved elsewhere), with what to use instead.
const REMOVED: &[(&str, &str, &str)] = &[
    ("asynchat", "3.12", "asyncio"),
    ("asyncore", "3.12", "asyncio"),
    ("distutils", "3.12", "setuptools or sysconfig"),
    ("imp", "3.12", "importlib"),
    ("smtpd", "3.12", "a maintained SMTP server package"),
    ("aifc", "3.13", "a maintained package (PEP 594)"),
    ("audioop", "3.13", "a maintained package (PEP 594)"),
    ("cgi", "3.13", "email.message or urllib.parse (PEP 594)"),
    ("cgitb", "3.13", "traceback (PEP 594)"),
    ("chunk", "3.13", "a maintained package (PEP 594)"),
    ("crypt", "3.13", "hashlib (PEP 594)"),
    ("imghdr", "3.13", "a maintained package (PEP 594)"),
    ("lib2to3", "3.13", "a maintained parser"),
    ("mailcap", "3.13", "mimetypes (PEP 594)"),
    ("nntplib", "3.13", "a maintained package (PEP 594)"),
    ("pipes", "3.13", "subprocess and shlex (PEP 594)"),
    ("sndhdr", "3.13", "a maintained package (PEP 594)"),
    ("spwd", "3.13", "a maintained package (PEP 594)"),
    ("sunau", "3.13", "a maintained package (PEP 594)"),
    ("telnetlib", "3.13", "a maintained package (PEP 594)"),
    ("uu", "3.13", "base64 (PEP 594)"),
    ("xdrlib", "3.13", "a maintained package (PEP 594)"),
    (
        "_compression",
        "3.14",
        "compression._common._streams (moved in 3.14), or your own stream base class",
    ),
    ("ast.Num", "3.14", "ast.Constant"),
    ("ast.Str", "3.14", "ast.Constant"),
    ("ast.Bytes", "3.14", "ast.Constant"),
    ("ast.NameConstant", "3.14", "ast.Constant"),
    ("ast.Ellipsis", "3.14", "ast.Constant"),
    ("pkgutil.find_loader", "3.14", "importlib.util.find_spec"),
    ("pkgutil.get_loader", "3.14", "importlib.util.find_spec"),
    ("urllib.request.URLopener", "3.14", "urllib.request.urlopen"),
    (
        "urllib.request.FancyURLopener",
        "3.14",
        "urllib.request.urlopen",
    ),
];

#[derive(Debug, Serialize)]
pub struct Finding {
    pub cap: String,
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
}

fn minor_key(minor: &str) -> (u32, u32) {
    let mut parts = minor.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// The CPython profiles a cap targets (its gating list, else every profile pylon knows).
fn targets(cap: &Cap) -> Vec<&'static str> {
    pylon_sys::profile::ALL
        .iter()
        .map(|p| p.minor())
        .filter(|m| {
            cap.meta.profiles.as_ref().is_none_or(|list| {
                list.iter()
                    .any(|p| p == m || p.starts_with(&format!("{m}.")))
            })
        })
        .collect()
}

/// The module names a cap makes importable: its extension, its facade's module, and the
/// non-wildcard `packages` entries.
pub fn provided_modules(cap: &Cap) -> Vec<String> {
    let mut names: Vec<String> = cap.module().map(str::to_string).into_iter().collect();
    if let Some(provides) = &cap.meta.provides {
        names.push(provides.module.clone());
    }
    names.extend(
        cap.meta
            .packages
            .iter()
            .filter(|p| !p.contains('*'))
            .cloned(),
    );
    names.sort();
    names.dedup();
    names
}

pub fn check(cap: &Cap, facts: Option<&FacadeFacts>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |check, ok, detail: String| {
        out.push(Finding {
            cap: cap.package.clone(),
            check,
            ok,
            detail,
        })
    };

    // One user-facing name per cap.
    let tops: std::collections::BTreeSet<&str> = cap
        .meta
        .packages
        .iter()
        .map(|p| p.split('.').next().unwrap_or(p))
        .collect();
    match &cap.meta.provides {
        Some(provides) => {
            let top = provides
                .module
                .split('.')
                .next()
                .unwrap_or(&provides.module);
            let ok = tops.len() == 1 && tops.contains(top) && !top.starts_with('_');
            add(
                "one-name",
                ok,
                if ok {
                    format!("`{top}`")
                } else {
                    format!("packages {:?} and provides.module `{}` must name one public top-level module", cap.meta.packages, provides.module)
                },
            );
        }
        None => add(
            "one-name",
            tops.len() <= 1,
            format!("packages {:?}", cap.meta.packages),
        ),
    }
    let Some(facts) = facts else { return out };

    for (module, error) in &facts.imported {
        add(
            "imports",
            error.is_none(),
            match error {
                None => format!("`{module}` imports inside pylon"),
                Some(e) => format!("`{module}` does not import inside pylon: {e}"),
            },
        );
    }

    let minors = targets(cap);
    let mut broken = Vec::new();
    for (name, since, instead) in REMOVED {
        let affected: Vec<&str> = minors
            .iter()
            .copied()
            .filter(|m| minor_key(m) >= minor_key(since))
            .collect();
        if affected.is_empty() {
            continue;
        }
        let used = facts
            .imports
            .iter()
            .chain(&facts.attributes)
            .any(|u| u == name || u.starts_with(&format!("{name}.")));
        if used {
            broken.push(format!(
                "uses `{name}`, gone in CPython {since} (targets {}): use {instead}",
                affected.join(", ")
            ));
        }
    }
    add(
        "target-cpython",
        broken.is_empty(),
        if broken.is_empty() {
            format!("nothing removed in CPython {}", minors.join("/"))
        } else {
            broken.join("; ")
        },
    );

    let mut leaks: Vec<String> = facts
        .dynlink
        .iter()
        .map(|d| format!("mentions `{d}`"))
        .collect();
    leaks.extend(
        facts
            .private_aliases
            .iter()
            .map(|a| format!("exposes a private module as `{a}`")),
    );
    if facts.all_declared {
        leaks.extend(
            facts
                .public
                .iter()
                .filter(|n| n.starts_with('_'))
                .map(|n| format!("__all__ lists private `{n}`")),
        );
    }
    add(
        "hygiene",
        leaks.is_empty(),
        if leaks.is_empty() {
            "no private or _dynlink names leak".into()
        } else {
            leaks.join("; ")
        },
    );
    out
}
