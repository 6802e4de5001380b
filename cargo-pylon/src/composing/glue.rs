//! pylon's own C, linked into every interpreter (the exit-code shim, the path guard, the
//! descriptor table, the `pylon` module, local time; the isolation check when caps are linked at launch), and
//! the interpreter's reactor links: the wasi:http one and the pre-initialized one.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pylon_sys::progress::Step;

use super::cext::{Build, Unit};
use super::relink;
use crate::generation::bindgen::{self, Wit};
use crate::support::fs::write_if_changed;
use crate::support::stamp::{Fingerprint, Stamp};

const GLUE_CLI_WIT: &str = include_str!("../../guest/cli.wit");
const GLUE_WIT: &str = include_str!("../../guest/glue.wit");
/// pylon's own C, linked into every interpreter: (world, [(file name, source)]).
pub const GLUE: (&str, &[(&str, &str)]) = (
    "pylon-glue",
    &[
        ("pylon_exit.c", include_str!("../../guest/pylon_exit.c")),
        ("pylon_paths.c", include_str!("../../guest/pylon_paths.c")),
        (
            "pylon_devnull.c",
            include_str!("../../guest/pylon_devnull.c"),
        ),
        ("pylon_fds.h", include_str!("../../guest/pylon_fds.h")),
        ("pylon_fds.c", include_str!("../../guest/pylon_fds.c")),
        ("pylon_module.c", include_str!("../../guest/pylon_module.c")),
        ("pylon_tz.c", include_str!("../../guest/pylon_tz.c")),
        ("pylon_locks.c", include_str!("../../guest/pylon_locks.c")),
        ("pylon_cwd.c", include_str!("../../guest/pylon_cwd.c")),
        ("pylon_mman.c", include_str!("../../guest/pylon_mman.c")),
    ],
);
/// The builtin module `pylon_module.c` defines.
pub const GLUE_MODULE: &str = "pylon";
/// Linked in too when some caps are linked at launch.
pub const ISOLATION_GLUE: (&str, &[(&str, &str)]) = (
    "pylon-isolation",
    &[("pylon_crash.c", include_str!("../../guest/pylon_crash.c"))],
);
const HTTP_WIT: &str = include_str!("../../guest/http.wit");
/// The wasi:http interpreter's own C (its WSGI bridge is compiled in as a string).
const HTTP_GLUE: &str = "pylon-http";
const HTTP_FILES: &[(&str, &str)] = &[
    ("pylon_serve.c", include_str!("../../guest/pylon_serve.c")),
    (
        "pylon_exchange.h",
        include_str!("../../guest/pylon_exchange.h"),
    ),
    (
        "pylon_exchange.c",
        include_str!("../../guest/pylon_exchange.c"),
    ),
    (
        "pylon_http_module.c",
        include_str!("../../guest/pylon_http_module.c"),
    ),
    (
        "pylon_crash_composed.c",
        include_str!("../../guest/pylon_crash_composed.c"),
    ),
];
const WSGI_BRIDGE: &str = include_str!("../../guest/pylon_wsgi.py");
/// The pre-initialized interpreter's own C (what each run resumes is compiled in as a string).
const PREINIT_GLUE: (&str, &[(&str, &str)]) = (
    "pylon-preinit",
    &[(
        "pylon_preinit_main.c",
        include_str!("../../guest/pylon_preinit_main.c"),
    )],
);
const RESUME: &str = include_str!("../../guest/pylon_resume.py");
/// Appended to both reactors' Python: per-run randomness for every generator in a snapshot.
const ENTROPY: &str = include_str!("../../guest/pylon_entropy.py");

/// A world of pylon's own glue, compiled with its C files (the exit-code shim, the path
/// guard, the `pylon` module; or the isolation check) and its bindings.
pub fn objects(
    build: &Build,
    (name, files): (&str, &[(&str, &str)]),
    defines: &[String],
) -> Result<Vec<PathBuf>> {
    let dir = build.dir.join(name);
    let (resolve, world) = world(name)?;
    let bindings = bindgen::generate(&mut Wit { resolve, world }, &dir)?;
    let mut sources = bindings.sources.clone();
    for (file, text) in files {
        let path = dir.join(file);
        write_if_changed(&path, text.as_bytes())?;
        if file.ends_with(".c") {
            sources.push(path);
        }
    }
    let mut objects = vec![bindings.type_object.clone()];
    for c in &sources {
        let object = c.with_extension("o");
        build.compile(&Unit {
            includes: &[&dir],
            defines,
            ..Unit::builtin(c, &object)
        })?;
        objects.push(object);
    }
    Ok(objects)
}

/// CPython's own `mmap` module, which its WASI build leaves out, over pylon's mappings
/// (guest/pylon_mman.c: a mapping is the file's bytes in memory, written back on `flush()`
/// and `close()`). Packages reach for it at import (pandas) and for files (numpy.memmap).
pub const MMAP_MODULE: &str = "mmap";

/// The object of [`MMAP_MODULE`].
pub fn mmap(build: &Build) -> Result<PathBuf> {
    let source = build.cpython.source_dir().join("Modules/mmapmodule.c");
    let object = build.dir.join("pylon-stdlib/mmapmodule.o");
    build.compile(&Unit {
        defines: &["-D_WASI_EMULATED_MMAN".to_string()],
        ..Unit::builtin(&source, &object)
    })?;
    Ok(object)
}

/// pylon's C that packages with compiled code link beside their modules.
#[derive(Debug, Clone, Copy)]
pub enum PackageGlue {
    /// What answers a C++ `throw` (guest/pylon_cxx.c).
    CxxThrow,
    /// The pthread functions CPython's stubs leave out (guest/pylon_threads.c).
    Threads,
}

/// `glue` compiled for the interpreter.
pub fn for_packages(build: &Build, glue: PackageGlue) -> Result<PathBuf> {
    let (name, text, flags): (&str, &str, &[&str]) = match glue {
        PackageGlue::CxxThrow => ("pylon_cxx.c", include_str!("../../guest/pylon_cxx.c"), &[]),
        PackageGlue::Threads => (
            "pylon_threads.c",
            include_str!("../../guest/pylon_threads.c"),
            &["-D_WASI_EMULATED_PTHREAD"],
        ),
    };
    let dir = build.dir.join("pylon-packages");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let source = dir.join(name);
    write_if_changed(&source, text.as_bytes())?;
    let object = source.with_extension("o");
    let defines: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    build.compile(&Unit {
        defines: &defines,
        ..Unit::builtin(&source, &object)
    })?;
    Ok(object)
}

/// `name`, a world of pylon's glue WIT (guest/glue.wit, or guest/http.wit's `pylon-http`).
pub fn world(name: &str) -> Result<(wit_parser::Resolve, wit_parser::WorldId)> {
    let mut resolve = wit_parser::Resolve::default();
    resolve
        .push_str("cli.wit", GLUE_CLI_WIT)
        .context("pylon's wasi:cli WIT does not parse")?;
    let package = resolve
        .push_str("glue.wit", GLUE_WIT)
        .context("pylon's glue WIT does not parse")?;
    let http = resolve
        .push_str("http.wit", HTTP_WIT)
        .context("pylon's wasi:http WIT does not parse")?;
    let world = match name {
        HTTP_GLUE => resolve.select_world(&[http], Some("pylon:serve/pylon-http@0.1.0"))?,
        _ => resolve.select_world(&[package], Some(name))?,
    };
    Ok((resolve, world))
}

/// The interpreter's second and third links: reactors (no `main`) over the command's
/// objects, each with glue of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reactor {
    /// Serves wasi:http: the WSGI handler in place of the exit-code shim (wasi:cli/exit is
    /// outside the wasi:http world), every cap composed in (no launcher-side isolation).
    Http,
    /// Pre-initialized at compose, then run through its exported wasi:cli/run.
    Preinit,
}

impl Reactor {
    fn name(self) -> &'static str {
        match self {
            Reactor::Http => "http",
            Reactor::Preinit => "preinit",
        }
    }
}

/// What the command's link was made of, which the reactors link again.
pub struct CommandLink<'a> {
    pub objects: &'a [PathBuf],
    pub config_o: &'a Path,
    /// The command link's stamp key: a reactor is relinked whenever the command is.
    pub key: &'a str,
}

/// Link the `kind` reactor to `out` unless its objects are unchanged.
pub fn link_reactor(build: &Build, kind: Reactor, command: &CommandLink, out: &Path) -> Result<()> {
    let (source, glue_files, header) = match kind {
        Reactor::Http => (WSGI_BRIDGE, (HTTP_GLUE, HTTP_FILES), "pylon_wsgi_source.h"),
        Reactor::Preinit => (RESUME, PREINIT_GLUE, "pylon_resume_source.h"),
    };
    let constant = header.trim_end_matches(".h").to_uppercase();
    // Both snapshots reseed every generator they hold (guest/pylon_entropy.py).
    let source = format!("{source}\n\n{ENTROPY}");
    let embedded = format!("static const char {constant}[] = {};\n", c_string(&source));
    let files: Vec<(&str, &str)> = glue_files
        .1
        .iter()
        .copied()
        .chain([(header, embedded.as_str())])
        .collect();
    let isolation = build.dir.join(ISOLATION_GLUE.0);
    let mut linked: Vec<PathBuf> = match kind {
        Reactor::Http => command
            .objects
            .iter()
            .filter(|o| !o.ends_with("pylon_exit.o") && !o.starts_with(&isolation))
            .cloned()
            .collect(),
        Reactor::Preinit => command.objects.to_vec(),
    };
    linked.extend(objects(build, (glue_files.0, &files), &[])?);
    let stamp_name = format!("link-{}", kind.name());
    let mut fp = Fingerprint::new(&stamp_name);
    fp.text(command.key);
    for object in &linked {
        fp.file(object)?;
    }
    let stamp = Stamp::new(&build.dir, &stamp_name, &fp);
    if stamp.fresh(&[out]) {
        return Ok(());
    }
    let step = Step::start(format!(
        "link the {} interpreter",
        match kind {
            Reactor::Http => "wasi:http",
            Reactor::Preinit => "pre-initialized",
        }
    ))
    .log_to(&build.log)?;
    relink::link_reactor(
        &step,
        &build.compiler.clang,
        build.compiler.recipe,
        command.config_o,
        &linked,
        out,
        kind == Reactor::Preinit,
    )?;
    step.finish();
    stamp.record()
}

/// `text` as a C string literal.
fn c_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    out.push('"');
    for byte in text.bytes() {
        match byte {
            b'\n' => out.push_str("\\n\"\n\""),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\{byte:03o}")),
        }
    }
    out.push('"');
    out
}
