//! `compose`: CPython + caps -> one interpreter component, `pylon.wasm`.
//!
//! Each phase records a fingerprint of its inputs and is skipped while they are
//! unchanged, so a second compose with nothing changed does no work; a change to one cap
//! rebuilds that cap (cargo is incremental too), relinks and re-plugs. CPython itself is
//! never rebuilt here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pylon_runtime::{Grant, Layout};
use pylon_sys::cpython::GUEST_PREFIX;
use pylon_sys::progress::Step;
use pylon_sys::{Cpython, Home, Profile, Toolchain};

use super::cext::{self, Build, Compiler, Flavor, Unit};
use super::glue::{self, CommandLink, Reactor};
pub use super::target::{Composed, SiteWheels, Target};
use super::{capbuild, component, extension, library, plug, preinit};
use super::{relink, stage};
use crate::packages::compiled::Built;
use crate::packages::InstalledForm;
use crate::support::fs::write_if_changed;
use crate::support::stamp::{Fingerprint, Stamp};
use crate::workspace::discover::{Cap, Workspace};
use crate::workspace::manifest::Linkage;

/// The CPython build the composition stands on (built once, then cached).
pub fn base(home: &Home, python: Option<&str>) -> Result<(Toolchain, Cpython)> {
    let profile = match python {
        Some(version) => Profile::select(Some(version))?,
        None => Profile::from_env()?,
    };
    let toolchain = Toolchain::ensure(home)?;
    let cpython = Cpython::ensure(home, profile, &toolchain)?;
    Ok((toolchain, cpython))
}

/// The workspace's `pylon.wasm`, on the CPython profile it asks for.
pub fn workspace(home: &Home, ws: &Workspace) -> Result<Composed> {
    workspace_with(home, ws, false)
}

/// As [`workspace`]; `http` also links the interpreter that serves wasi:http.
pub fn workspace_with(home: &Home, ws: &Workspace, http: bool) -> Result<Composed> {
    let (toolchain, cpython) = base(home, ws.settings.python.as_deref())?;
    let mut target = Target::for_workspace(home, ws);
    target.http = http;
    let env = packages_env(home, ws, &toolchain, &cpython, false)?;
    if let Some(lock) = env.lock(crate::packages::Refresh::IfStale)? {
        // Installed only when compose gets past its quick check (which covers the lock).
        target.site = Some(SiteWheels { env, lock });
    }
    compose(&toolchain, cpython, &ws.caps, &target)
}

/// What resolves, builds and installs `ws`'s packages for `cpython`'s guest: its
/// requirements and those its package caps imply, pylon's recipes with the workspace's
/// and its package caps' over them.
pub fn packages_env(
    home: &Home,
    ws: &Workspace,
    toolchain: &Toolchain,
    cpython: &Cpython,
    offline: bool,
) -> Result<crate::packages::Env> {
    let folder = ws.settings.recipes.as_ref().map(|r| ws.root.join(r));
    let mut recipes = crate::packages::recipe::Recipes::load(folder.as_deref())?;
    let mut implied = Vec::new();
    for cap in ws
        .caps
        .iter()
        .filter(|c| c.meta.linkage == Linkage::Package)
    {
        let (Some(upstream), Some(build)) = (&cap.meta.upstream, &cap.meta.build) else {
            continue;
        };
        recipes.add_cap(
            &cap.manifest_path,
            &cap.dir,
            upstream,
            build,
            &cap.meta.bundled,
        )?;
        implied.push(format!("{}=={}", upstream.pypi, upstream.version));
    }
    Ok(crate::packages::Env {
        guest: crate::packages::compiled::Guest {
            home: home.clone(),
            toolchain: toolchain.clone(),
            cpython: cpython.clone(),
            index: ws.settings.pypi_index.clone(),
            offline,
        },
        root: ws.root.clone(),
        scratch: ws.target_dir.join("pylon/resolve"),
        requirements: ws.settings.requirements.clone(),
        implied,
        pure: ws.settings.pure.clone(),
        recipes,
    })
}

/// What resolves and installs `ws`'s packages, on the CPython it composes with.
pub fn packages(home: &Home, ws: &Workspace, offline: bool) -> Result<crate::packages::Env> {
    let (toolchain, cpython) = base(home, ws.settings.python.as_deref())?;
    packages_env(home, ws, &toolchain, &cpython, offline)
}

/// Compose `all_caps` (those gated in for the profile) with `cpython` into `target`.
pub fn compose(
    toolchain: &Toolchain,
    cpython: Cpython,
    all_caps: &[Cap],
    target: &Target,
) -> Result<Composed> {
    let profile = cpython.profile;
    let caps: Vec<&Cap> = all_caps
        .iter()
        .filter(|c| capbuild::gated_in(c, profile))
        .collect();
    let dir = target.out_dir.join("build");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // One compose at a time per output folder; a second waits instead of racing.
    let lock_path = target.out_dir.join(".compose.lock");
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    let composed = Composed {
        layout: Layout::composed(
            &target.output,
            cpython.prefix(),
            GUEST_PREFIX,
            profile.minor(),
            caps.iter().any(|c| c.meta.linkage == Linkage::Dynlink),
        ),
        caps: caps.iter().map(|c| (*c).clone()).collect(),
        components: caps
            .iter()
            .filter(|c| c.meta.linkage.has_component())
            .map(|c| {
                let path = capbuild::component_path(&target.cargo_target, c);
                (c.package.clone(), path)
            })
            .collect(),
        http_core: target.http.then(|| dir.join("python-http.wasm")),
        cpython,
    };
    let layout = &composed.layout;
    let cpython = &composed.cpython;
    // Everything a compose leaves.
    let out = target.output.parent().context("pylon.wasm has no folder")?;
    let layout_file = out.join(pylon_runtime::layout::LAYOUT_FILE_NAME);
    let outputs: Vec<&Path> = [
        target.output.as_path(),
        composed.site_packages(),
        composed.preinit(),
        &layout_file,
    ]
    .into_iter()
    .chain(layout.plan.as_deref())
    .chain(composed.http_core.as_deref())
    .collect();
    let quick = Stamp::new(&dir, "compose", &quick_fingerprint(cpython, &caps, target)?);
    if quick.fresh(&outputs) {
        return Ok(composed);
    }
    let recipe = cpython.link_recipe()?;
    let build = Build {
        toolchain,
        cpython,
        target,
        compiler: Compiler::new(toolchain, &recipe),
        log: target.out_dir.join("compose.log"),
        dir,
    };

    // 1. Cap components (library and package caps have none), once their contracts agree.
    let with_components: Vec<&Cap> = caps
        .iter()
        .copied()
        .filter(|c| c.meta.linkage.has_component())
        .collect();
    for cap in &with_components {
        crate::workspace::validate::requires_imported(cap)?;
    }
    let of = |linkage: Linkage| -> Vec<&Cap> {
        caps.iter()
            .copied()
            .filter(|c| c.meta.linkage == linkage)
            .collect()
    };
    let libraries = of(Linkage::Interpreter);
    let components = capbuild::build_components(&with_components, target, &build.dir, &build.log)?;
    let built: Vec<(&Cap, &PathBuf)> = with_components.into_iter().zip(&components).collect();

    // 2. Bindings and extensions, checked against the components before anything links;
    //    library caps' C libraries and CPython's own modules for them; package caps'
    //    distributions (and the C++ runtime when one needs it); pylon's glue.
    let mut objects = Vec::new();
    let mut offered = BTreeSet::new();
    for (cap, component) in &built {
        let exports = capbuild::exports(component)?;
        offered.extend(exports.iter().cloned());
        objects.extend(extension::objects(&build, cap, &exports)?);
    }
    for cap in &libraries {
        objects.extend(library::objects(&build, cap)?);
    }
    // The workspace's packages: pure wheels for the site folder; compiled ones (with the
    // C++ runtime when one needs it) for the link too.
    let installed = match &target.site {
        Some(site) => site.env.install(&site.lock)?,
        None => Vec::new(),
    };
    let (wheels, distributions) = split(installed);
    for built in &distributions {
        objects.extend(built.objects());
    }
    if !distributions.is_empty() {
        // Packages' C formats and parses `long double` (numpy's float128), which
        // wasi-libc leaves out unless asked; their calls to pthreads (zstd's workers)
        // link to CPython's own stubs for WASI, which refuse to start a thread, and
        // pylon's for what those leave out.
        let libs = toolchain.sysroot().join("lib/wasm32-wasi");
        objects.push(libs.join("libc-printscan-long-double.a"));
        objects.push(glue::for_packages(&build, glue::PackageGlue::Threads)?);
    }
    if distributions.iter().any(|d| d.record.cxx) {
        let cxx = pylon_sys::CxxRuntime::ensure(&build.target.home)?;
        objects.extend(cxx.libs());
        objects.push(glue::for_packages(&build, glue::PackageGlue::CxxThrow)?);
    }
    let site = layout
        .site_packages
        .as_ref()
        .context("a layout without a site folder")?;
    objects.extend(glue_objects(&build, site, layout.plan.is_some())?);
    let config_o = builtin_table(&build, &caps, &distributions)?;

    // 3. Relink and turn into a component; the reactors over the same objects.
    let (interpreter, key) = link_command(&build, &objects, &config_o)?;
    let command = CommandLink {
        objects: &objects,
        config_o: &config_o,
        key: &key,
    };
    if let Some(http_core) = &composed.http_core {
        glue::link_reactor(&build, Reactor::Http, &command, http_core)?;
    }
    let preinit_core = build.dir.join("python-preinit.wasm");
    glue::link_reactor(&build, Reactor::Preinit, &command, &preinit_core)?;

    // 4. Plug the static caps in and plan the dynlink ones; anything left unsatisfied is
    //    an error, before any run.
    let statics: Vec<(String, PathBuf)> = built
        .iter()
        .filter(|(c, _)| c.meta.linkage == Linkage::Static)
        .map(|(c, p)| (c.package.clone(), (*p).clone()))
        .collect();
    plug::compose(
        &build,
        &built,
        &statics,
        &interpreter,
        &offered,
        &key,
        &caps,
    )?;

    // 5. Facades, restaged whole when any changes, so a removed cap leaves nothing behind.
    let trees: Vec<PathBuf> = distributions.iter().map(|d| d.site()).collect();
    stage::site(&build, &caps, &wheels, &trees, composed.site_packages())?;

    // 6. The pre-initialized interpreter, from the facades as staged now; the plan pins it
    //    beside the cold one.
    let manifest = target.workspace_root.as_ref().map(|r| r.join("Cargo.toml"));
    let inputs = preinit::Inputs {
        core: &preinit_core,
        layout,
        statics: &statics,
        preload: &target.preload,
        debug: target.debug,
        manifest: manifest.as_deref(),
    };
    preinit::ensure(&inputs, composed.preinit(), &build.dir, &build.log)?;
    if let Some(plan_path) = &layout.plan {
        pylon_runtime::plan::pin_preinit(plan_path, composed.preinit())?;
    }

    // The one description of what was written, for every host that runs it.
    layout.write(out)?;

    // Recorded with the outputs as written now, so a later edit of them is noticed.
    Stamp::new(
        &build.dir,
        "compose",
        &quick_fingerprint(cpython, &caps, target)?,
    )
    .record()?;
    Ok(composed)
}

/// pylon's own C: the glue every interpreter links, with time zones looked up in the
/// staged tzdata package, CPython's `mmap` module, and the isolation check when caps are
/// linked at launch.
fn glue_objects(build: &Build, site: &Grant, isolated: bool) -> Result<Vec<PathBuf>> {
    let tzdata = format!("-DPYLON_TZDATA=\"{}/tzdata/zoneinfo\"", site.guest);
    let mut objects = glue::objects(build, glue::GLUE, &[tzdata])?;
    objects.push(glue::mmap(build)?);
    if isolated {
        objects.extend(glue::objects(build, glue::ISOLATION_GLUE, &[])?);
    }
    Ok(objects)
}

/// Installed packages as the wheels to unpack and the builds to link.
fn split(installed: Vec<crate::packages::Installed>) -> (Vec<PathBuf>, Vec<Built>) {
    let mut wheels = Vec::new();
    let mut builds = Vec::new();
    for package in installed {
        match package.form {
            InstalledForm::Wheel(wheel) => wheels.push(wheel),
            InstalledForm::Built(built) => builds.push(built),
        }
    }
    (wheels, builds)
}

/// CPython's builtin-module table with every cap's modules and pylon's, compiled.
fn builtin_table(build: &Build, caps: &[&Cap], distributions: &[Built]) -> Result<PathBuf> {
    let init = |name: &str| (name.to_string(), format!("PyInit_{name}"));
    let mut modules: Vec<(String, String)> =
        caps.iter().filter_map(|c| c.module()).map(init).collect();
    for built in distributions {
        modules.extend(
            built
                .record
                .modules
                .iter()
                .map(|m| (m.name.clone(), m.init_symbol())),
        );
    }
    modules.push(init(glue::GLUE_MODULE));
    modules.push(init(glue::MMAP_MODULE));
    let config_c = build.dir.join("config.c");
    let text = cext::config_c(build.compiler.recipe, &modules)?;
    write_if_changed(&config_c, text.as_bytes())?;
    let config_o = build.dir.join("config.o");
    build.compile(&Unit {
        flavor: Flavor::Core,
        ..Unit::builtin(&config_c, &config_o)
    })?;
    Ok(config_o)
}

/// The command link of the interpreter, as a component; returns it with the link's key.
fn link_command(build: &Build, objects: &[PathBuf], config_o: &Path) -> Result<(PathBuf, String)> {
    let core = build.dir.join("python.wasm");
    let mut fp = Fingerprint::new("link");
    fp.text(&build.cpython.key)
        .text(crate::checking::signatures::VERSION)
        .text(&serde_json::to_string(build.compiler.recipe)?)
        .text(if build.target.debug {
            "dwarf"
        } else {
            "stripped"
        });
    for object in objects.iter().map(PathBuf::as_path).chain([config_o]) {
        fp.file(object)?;
    }
    let stamp = Stamp::new(&build.dir, "link", &fp);
    let interpreter = build.dir.join("interpreter.component.wasm");
    if !stamp.fresh(&[&core, &interpreter]) {
        let step = Step::start("link interpreter").log_to(&build.log)?;
        let compiler = &build.compiler;
        relink::link(
            &step,
            &compiler.clang,
            compiler.recipe,
            config_o,
            objects,
            &core,
        )?;
        step.message("check the types of the function pointers CPython calls");
        crate::checking::signatures::check(&core)?;
        step.message("componentize");
        component::ensure_command(&core, &interpreter, build.target.debug)?;
        step.finish();
        stamp.record()?;
    }
    Ok((interpreter, stamp.key().to_string()))
}

/// Everything a compose reads, by timestamps only: when it matches the last successful
/// compose, nothing needs checking in detail (this keeps `probe`'s start-up fast).
fn quick_fingerprint(cpython: &Cpython, caps: &[&Cap], target: &Target) -> Result<Fingerprint> {
    let mut fp = Fingerprint::new("compose");
    fp.text(env!("CARGO_PKG_VERSION"))
        .text(&cpython.key)
        .text(&cpython.prefix().display().to_string());
    fp.text(&format!(
        "{:?} {} {}",
        target.errors, target.debug, target.http
    ));
    // pylon's own glue is compiled into the binary; a new binary re-checks everything.
    let exe = std::env::current_exe().context("cannot locate the running cargo-pylon")?;
    fp.tree(&exe)?;
    if let Some(root) = &target.workspace_root {
        for file in ["Cargo.toml", "Cargo.lock", crate::packages::lock::FILE_NAME] {
            if root.join(file).is_file() {
                fp.tree(&root.join(file))?;
            }
        }
    }
    for cap in caps {
        fp.text(&cap.package).tree(&cap.dir)?;
    }
    // The outputs too: a replaced pylon.wasm, plan or provider is put right by the next compose.
    for output in pylon_runtime::plan::artifacts(&target.output)
        .into_iter()
        .chain([target
            .output
            .with_file_name(pylon_runtime::layout::PREINIT_FILE_NAME)])
    {
        if output.exists() {
            fp.identity(&output)?;
        }
    }
    Ok(fp)
}
