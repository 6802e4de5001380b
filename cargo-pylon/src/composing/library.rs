//! A library cap's C library, built for WASI once per version and kept in the pylon home.
//!
//! The key covers everything that changes the objects: the library's sources, its manifest
//! table, the compiler's flags and the toolchain. A second workspace, or a clean clone,
//! links the cached objects; a build is made in a scratch folder and published whole, under
//! a lock, so concurrent composes wait for one build instead of racing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use pylon_sys::progress::Step;
use pylon_sys::Toolchain;
use walkdir::WalkDir;

use super::cext::{Build, Compiler, Unit};
use crate::support::fs::copy_dir;
use crate::support::stamp::Fingerprint;
use crate::workspace::discover::{Cap, LocatedLibrary};
use crate::workspace::manifest::{Configure, Library, Source};

/// What a configured library's build runs besides the WASI toolchain: (package, program).
const BUILD_TOOLS: &[(&str, &str)] = &[("make", "/usr/bin/make"), ("perl", "/usr/bin/perl")];

/// A library cap: its C library (from the pylon home, or built into it) and CPython's own
/// module for it, compiled with the flags of a builtin module.
pub fn objects(build: &Build, cap: &Cap) -> Result<Vec<PathBuf>> {
    let built = ensure(build, cap)?;
    let includes: Vec<&Path> = built.include.iter().map(PathBuf::as_path).collect();
    let defines: Vec<String> = cap
        .meta
        .library
        .iter()
        .flat_map(|l| &l.defines)
        .map(|d| format!("-D{d}"))
        .collect();
    let Source::Cpython(module) = &cap.extension().source else {
        bail!(
            "cap {}: a library cap's extension.source names CPython's module",
            cap.package
        );
    };
    let cpython_root = build.cpython.source_dir();
    let dir = build.dir.join("caps").join(&cap.package);
    let mut objects = built.objects;
    let module_sources = crate::workspace::manifest::expand(&cpython_root, module)
        .with_context(|| format!("cap {}: extension.source", cap.package))?;
    let glue = cap
        .meta
        .library
        .iter()
        .flat_map(|l| &l.glue)
        .map(|g| cap.dir.join(g));
    for source in module_sources.into_iter().chain(glue) {
        let base = if source.starts_with(&cpython_root) {
            cpython_root.as_path()
        } else {
            cap.dir.as_path()
        };
        let object = dir.join(object_name(base, &source));
        build.compile(&Unit {
            includes: &includes,
            defines: &defines,
            ..Unit::builtin(&source, &object)
        })?;
        objects.push(object);
    }
    Ok(objects)
}

/// What a built library gives the link and CPython's module for it.
pub struct Built {
    /// Objects or static archives, to link into the interpreter.
    pub objects: Vec<PathBuf>,
    /// Header folders for CPython's module.
    pub include: Vec<PathBuf>,
}

/// The library of `cap`, from the pylon home's cache or built into it.
pub fn ensure(build: &Build, cap: &Cap) -> Result<Built> {
    let (compiler, toolchain, cache, log) = (
        &build.compiler,
        build.toolchain,
        build.target.libraries.as_path(),
        build.log.as_path(),
    );
    let (Some(library), Some(located)) = (&cap.meta.library, &cap.located) else {
        bail!(
            "cap {}: a library cap whose library was not located; run `cargo metadata` to see why",
            cap.package
        );
    };
    let key = key(library, located, compiler, toolchain)?;
    let crate_dir = located
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| library.krate.clone());
    let dest = cache.join(format!("{crate_dir}-{}", &key[..16]));
    pylon_sys::home::fill_once(&dest, |scratch| match &library.configure {
        Some(configure) => configured(cap, configure, located, toolchain, scratch, log),
        None => compiled(cap, library, located, compiler, scratch, log),
    })?;
    Ok(match &library.configure {
        Some(configure) => Built {
            objects: configure
                .archives
                .iter()
                .map(|a| dest.join("lib").join(a.file_name().expect("validated")))
                .collect(),
            include: library
                .include
                .iter()
                .map(|i| dest.join("include").join(i))
                .collect(),
        },
        None => Built {
            objects: located
                .sources
                .iter()
                .map(|s| dest.join(object_name(&located.dir, s)))
                .collect(),
            include: library
                .include
                .iter()
                .map(|i| located.dir.join(i))
                .collect(),
        },
    })
}

fn key(
    library: &Library,
    located: &LocatedLibrary,
    compiler: &Compiler,
    toolchain: &Toolchain,
) -> Result<String> {
    let mut fp = Fingerprint::new("library");
    fp.text(&toolchain.identity);
    match &library.configure {
        // A configured build takes its own flags (from `command`), and reads its whole tree;
        // `defines` are for CPython's module only.
        Some(configure) => {
            fp.text(&serde_json::to_string(&(configure, &library.include))?);
            let root = located.dir.join(&configure.root);
            for entry in WalkDir::new(&root).sort_by_file_name() {
                let entry = entry.with_context(|| format!("cannot walk {}", root.display()))?;
                if entry.file_type().is_file() {
                    fp.text(
                        &entry
                            .path()
                            .strip_prefix(&root)
                            .expect("below root")
                            .display()
                            .to_string(),
                    );
                    fp.bytes(
                        &std::fs::read(entry.path())
                            .with_context(|| format!("cannot read {}", entry.path().display()))?,
                    );
                }
            }
        }
        None => {
            fp.text(&serde_json::to_string(library)?)
                .text(&compiler.recipe.module_cflags.join(" "));
            for dir in &library.include {
                fp.headers(&located.dir.join(dir))?;
            }
            for source in &located.sources {
                fp.file(source)?;
            }
        }
    }
    Ok(fp.finish())
}

/// An object named by its source's path below `root`, so same-named files of two folders
/// differ.
pub fn object_name(root: &Path, source: &Path) -> String {
    format!(
        "{}.o",
        source
            .strip_prefix(root)
            .unwrap_or(source)
            .to_string_lossy()
            .replace(['/', '.'], "_")
    )
}

/// Compile each of the library's C files, on every core.
fn compiled(
    cap: &Cap,
    library: &Library,
    located: &LocatedLibrary,
    compiler: &Compiler,
    out: &Path,
    log: &Path,
) -> Result<()> {
    let step = Step::start(format!(
        "compile {} ({} C files, once per version)",
        library.krate,
        located.sources.len()
    ))
    .log_to(log)?;
    let includes: Vec<PathBuf> = library
        .include
        .iter()
        .map(|i| located.dir.join(i))
        .collect();
    let includes: Vec<&Path> = includes.iter().map(PathBuf::as_path).collect();
    let defines: Vec<String> = library.defines.iter().map(|d| format!("-D{d}")).collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(source) = located.sources.get(i) else {
                            return Ok(());
                        };
                        step.message(&source.file_name().expect("file").to_string_lossy());
                        let object = out.join(object_name(&located.dir, source));
                        let unit = Unit {
                            includes: &includes,
                            defines: &defines,
                            ..Unit::builtin(source, &object)
                        };
                        compiler.compile(&step, &unit)?;
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("compile worker panicked"))
            .collect()
    });
    for result in results {
        result
            .with_context(|| format!("cap {}: building {} for WASI", cap.package, library.krate))?;
    }
    step.finish();
    Ok(())
}

/// Run the library's own configure and make in a copy of its tree, with pylon's WASI
/// toolchain, and keep the archives and headers.
fn configured(
    cap: &Cap,
    configure: &Configure,
    located: &LocatedLibrary,
    toolchain: &Toolchain,
    out: &Path,
    log: &Path,
) -> Result<()> {
    let step = Step::start(format!(
        "build {} for WASI (configure and make, once per version)",
        located
            .dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
    ))
    .log_to(log)?;
    // Installed on first need, like the rest of the toolchain.
    let missing: Vec<&str> = BUILD_TOOLS
        .iter()
        .filter(|(_, path)| !Path::new(path).exists())
        .map(|(package, _)| *package)
        .collect();
    if !missing.is_empty() {
        pylon_sys::debian::install(&missing, &step).with_context(|| {
            format!("cap {}: its library builds with make and perl", cap.package)
        })?;
    }
    let tree = out.join("src");
    step.message("copy the sources");
    copy_dir(&located.dir.join(&configure.root), &tree)?;
    let tools = [("CC", "clang"), ("AR", "llvm-ar"), ("RANLIB", "ranlib")];
    let with_tools = |cmd: &mut Command| {
        for (var, tool) in tools {
            cmd.env(var, toolchain.bin(tool));
        }
        cmd.current_dir(&tree);
    };
    step.message("configure");
    let (program, args) = configure.command.split_first().expect("validated");
    let mut cmd = Command::new(program);
    cmd.args(args);
    with_tools(&mut cmd);
    step.run(&mut cmd)
        .with_context(|| format!("cap {}: configuring {}", cap.package, located.dir.display()))?;
    step.message("make");
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut cmd = Command::new("make");
    cmd.arg(format!("-j{jobs}")).args(&configure.make);
    with_tools(&mut cmd);
    step.run(&mut cmd).with_context(|| {
        format!(
            "cap {}: make {} in a copy of {}",
            cap.package,
            configure.make.join(" "),
            located.dir.display()
        )
    })?;
    let lib = out.join("lib");
    std::fs::create_dir_all(&lib).with_context(|| format!("cannot create {}", lib.display()))?;
    for archive in &configure.archives {
        let from = tree.join(archive);
        let to = lib.join(archive.file_name().expect("validated"));
        std::fs::rename(&from, &to).with_context(|| {
            format!(
                "cap {}: the build left no {}; check `archives`",
                cap.package,
                archive.display()
            )
        })?;
    }
    if let Some(cap_library) = &cap.meta.library {
        for dir in &cap_library.include {
            copy_dir(&tree.join(dir), &out.join("include").join(dir)).with_context(|| {
                format!(
                    "cap {}: library.include {} after the build",
                    cap.package,
                    dir.display()
                )
            })?;
        }
    }
    std::fs::remove_dir_all(&tree)
        .with_context(|| format!("cannot remove the build tree {}", tree.display()))?;
    step.finish();
    Ok(())
}
