//! `compose`: CPython + caps -> one interpreter component, `pylon.wasm`.
//!
//! Each phase records a fingerprint of its inputs and is skipped while they are
//! unchanged, so a second compose with nothing changed does no work; a change to one cap
//! rebuilds that cap (cargo is incremental too), relinks and re-plugs. CPython itself is
//! never rebuilt here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pylon_runtime::Layout;
use pylon_sys::cpython::GUEST_PREFIX;
use pylon_sys::progress::Step;
use pylon_sys::{Cpython, Home, Profile, Toolchain};

use super::buildinfo::{self, BuildManifest, CapInfo, CpythonInfo};
use super::cext::{self, Compiler, Flavor};
use super::{capbuild, component, plug, preinit, providers, relink, stage};
use crate::generation::bindgen::{self, Wit};
use crate::support::stamp::{Fingerprint, Stamp};
use crate::workspace::discover::{Cap, Workspace};
use crate::workspace::manifest::Linkage;

/// Where a composition is written.
pub struct Target {
    /// `target/pylon` (or a cache folder for the bare interpreter).
    pub out_dir: PathBuf,
    /// `pylon.wasm`.
    pub output: PathBuf,
    /// The workspace whose caps are built, if any.
    pub workspace_root: Option<PathBuf>,
    /// `CARGO_TARGET_DIR` for the caps' wasm builds.
    pub cargo_target: PathBuf,
    /// The workspace's mapping of WIT error cases to Python exceptions.
    pub errors: std::collections::BTreeMap<String, String>,
    /// Keep the interpreter's DWARF sections (for stepping through C in a debugger).
    pub debug: bool,
    /// Pure-Python wheels staged into site-packages beside the facades.
    pub site: Option<SiteWheels>,
    /// Where library caps' C libraries are built once and kept (the pylon home).
    pub libraries: PathBuf,
    /// Also link the interpreter that serves wasi:http (`cargo pylon serve`).
    pub http: bool,
    /// Modules imported into the pre-initialized interpreter's snapshot.
    pub preload: Vec<String>,
}

/// The workspace's `[[workspace.metadata.pylon.site]]` wheels and where they come from.
pub struct SiteWheels {
    pub packages: Vec<crate::workspace::manifest::SitePackage>,
    /// The workspace manifest that lists them (for errors).
    pub manifest: PathBuf,
    pub cache: PathBuf,
    pub index: Option<String>,
}

impl SiteWheels {
    /// Each wheel, from the pylon home or (once) from the package index.
    fn resolve(&self) -> Result<Vec<PathBuf>> {
        let pure = |name: &str| name.ends_with("-none-any.whl");
        self.packages
            .iter()
            .map(|site| {
                if let Some(wheel) = crate::support::pypi::cached(
                    &site.pypi,
                    &site.version,
                    Some(&site.sha256),
                    &self.cache,
                ) {
                    return Ok(wheel);
                }
                let step = Step::start(format!(
                    "fetch {} {} from the package index (once)",
                    site.pypi, site.version
                ));
                let index = crate::support::pypi::index_url(self.index.as_deref())?;
                let wheel = crate::support::pypi::download(
                    &site.pypi,
                    &site.version,
                    &pure,
                    Some(&site.sha256),
                    &index,
                    &self.cache,
                    false,
                )
                .with_context(|| {
                    format!(
                        "{}: [[workspace.metadata.pylon.site]] {} {}",
                        self.manifest.display(),
                        site.pypi,
                        site.version
                    )
                })?;
                step.finish();
                Ok(wheel)
            })
            .collect()
    }
}

/// Whether DWARF is kept: `[workspace.metadata.pylon] debug = true` or `PYLON_DEBUG=1`.
fn debug_wanted(setting: bool) -> bool {
    setting || std::env::var("PYLON_DEBUG").is_ok_and(|v| v == "1")
}

impl Target {
    pub fn for_workspace(home: &Home, ws: &Workspace) -> Self {
        Self {
            libraries: home.root().join("libraries"),
            out_dir: ws.out_dir(),
            output: ws.output(),
            workspace_root: Some(ws.root.clone()),
            cargo_target: ws.target_dir.join("pylon/wasm"),
            errors: ws.settings.errors.clone(),
            debug: debug_wanted(ws.settings.debug),
            site: None,
            http: false,
            preload: ws.settings.preload.clone(),
        }
    }

    /// The interpreter with no caps, kept in the CPython build's cache folder.
    pub fn bare(cpython: &Cpython) -> Self {
        let out_dir = cpython.root.join("bare");
        Self {
            output: out_dir.join("pylon.wasm"),
            cargo_target: out_dir.join("wasm"),
            libraries: out_dir.join("libraries"),
            out_dir,
            workspace_root: None,
            errors: Default::default(),
            debug: debug_wanted(false),
            site: None,
            http: false,
            preload: Vec::new(),
        }
    }
}

/// A composed interpreter, ready to run.
pub struct Composed {
    /// `pylon.wasm`, the files beside it (the pre-initialized interpreter, the dynlink
    /// plan when some caps are linked at launch, the site folder) and the guest's mounts.
    pub layout: Layout,
    pub cpython: Cpython,
    /// Caps compiled in, in table order.
    pub caps: Vec<Cap>,
    /// Every cap component (package, file), whatever its linkage.
    pub components: Vec<(String, PathBuf)>,
    /// The wasi:http interpreter's core module, when the target asked for it.
    pub http_core: Option<PathBuf>,
}

impl Composed {
    /// The site folder on the host: cap facades and staged packages.
    pub fn site_packages(&self) -> &Path {
        &self
            .layout
            .site_packages
            .as_ref()
            .expect("compose stages a site folder")
            .host
    }

    /// The pre-initialized interpreter.
    pub fn preinit(&self) -> &Path {
        self.layout
            .preinit
            .as_deref()
            .expect("compose pre-initializes")
    }
}

const GLUE_CLI_WIT: &str = include_str!("../../runtime/cli.wit");
const GLUE_WIT: &str = include_str!("../../runtime/glue.wit");
/// pylon's own C, linked into every interpreter: (world, [(file name, source)]).
const GLUE: (&str, &[(&str, &str)]) = (
    "pylon-glue",
    &[
        ("pylon_exit.c", include_str!("../../runtime/pylon_exit.c")),
        ("pylon_paths.c", include_str!("../../runtime/pylon_paths.c")),
        (
            "pylon_devnull.c",
            include_str!("../../runtime/pylon_devnull.c"),
        ),
        (
            "pylon_module.c",
            include_str!("../../runtime/pylon_module.c"),
        ),
        ("pylon_tz.c", include_str!("../../runtime/pylon_tz.c")),
    ],
);
/// The builtin module `pylon_module.c` defines.
const GLUE_MODULE: &str = "pylon";
/// Linked in too when some caps are linked at launch.
const ISOLATION_GLUE: (&str, &[(&str, &str)]) = (
    "pylon-isolation",
    &[("pylon_crash.c", include_str!("../../runtime/pylon_crash.c"))],
);
const HTTP_WIT: &str = include_str!("../../runtime/http.wit");
/// The wasi:http interpreter's own C (its WSGI bridge is compiled in as a string).
const HTTP_GLUE: &str = "pylon-http";
const HTTP_FILES: &[(&str, &str)] = &[
    ("pylon_serve.c", include_str!("../../runtime/pylon_serve.c")),
    (
        "pylon_crash_composed.c",
        include_str!("../../runtime/pylon_crash_composed.c"),
    ),
];
const WSGI_BRIDGE: &str = include_str!("../../runtime/pylon_wsgi.py");
/// The pre-initialized interpreter's own C (what each run resumes is compiled in as a string).
const PREINIT_GLUE: (&str, &[(&str, &str)]) = (
    "pylon-preinit",
    &[(
        "pylon_preinit_main.c",
        include_str!("../../runtime/pylon_preinit_main.c"),
    )],
);
const RESUME: &str = include_str!("../../runtime/pylon_resume.py");

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
    if !ws.settings.site.is_empty() {
        // Resolved only when compose gets past its quick check (which covers Cargo.toml).
        target.site = Some(SiteWheels {
            packages: ws.settings.site.clone(),
            manifest: ws.root.join("Cargo.toml"),
            cache: crate::support::pypi::cache_dir(home)?,
            index: ws.settings.pypi_index.clone(),
        });
    }
    compose(&toolchain, cpython, &ws.caps, &target)
}

pub fn compose(
    toolchain: &Toolchain,
    cpython: Cpython,
    all_caps: &[Cap],
    target: &Target,
) -> Result<Composed> {
    let profile = cpython.profile;
    let caps: Vec<&Cap> = all_caps.iter().filter(|c| gated_in(c, profile)).collect();
    let build = target.out_dir.join("build");
    std::fs::create_dir_all(&build)
        .with_context(|| format!("cannot create {}", build.display()))?;
    // One compose at a time per output folder; a second waits instead of racing.
    let lock_path = target.out_dir.join(".compose.lock");
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    let layout = Layout::composed(
        &target.output,
        cpython.prefix(),
        GUEST_PREFIX,
        profile.minor(),
        caps.iter().any(|c| c.meta.linkage == Linkage::Dynlink),
    );
    let site = layout
        .site_packages
        .clone()
        .expect("a composed layout has a site folder");
    let site_packages = site.host.clone();
    let plan_path = layout.plan.clone();
    let http_core = target.http.then(|| build.join("python-http.wasm"));
    let preinit = layout
        .preinit
        .clone()
        .expect("a composed layout is pre-initialized");
    let done = |cpython: Cpython| Composed {
        layout: layout.clone(),
        caps: caps.iter().map(|c| (*c).clone()).collect(),
        components: caps
            .iter()
            .filter(|c| c.meta.linkage != Linkage::Interpreter)
            .map(|c| {
                (
                    c.package.clone(),
                    capbuild::component_path(&target.cargo_target, c),
                )
            })
            .collect(),
        cpython,
        http_core: http_core.clone(),
    };
    // What the plug step writes, and everything a compose leaves.
    let written: Vec<&Path> = std::iter::once(target.output.as_path())
        .chain(plan_path.as_deref())
        .collect();
    let outputs: Vec<&Path> = written
        .iter()
        .copied()
        .chain([site_packages.as_path(), preinit.as_path()])
        .chain(http_core.as_deref())
        .collect();
    let quick = Stamp::new(
        &build,
        "compose",
        &quick_fingerprint(&cpython, &caps, target)?,
    );
    if quick.fresh(&outputs) {
        return Ok(done(cpython));
    }
    let log = target.out_dir.join("compose.log");
    let recipe = cpython.link_recipe()?;
    let compiler = Compiler::new(toolchain, &recipe);

    // 1. Cap components (library caps have none).
    let (libraries, caps_with_components): (Vec<&Cap>, Vec<&Cap>) = caps
        .iter()
        .copied()
        .partition(|c| c.meta.linkage == Linkage::Interpreter);
    let components = build_components(&caps_with_components, target, &build, &log)?;

    // 2. Bindings and extensions, checked against the components before anything links;
    //    library caps' C libraries and CPython's own modules for them.
    let mut objects = Vec::new();
    let mut offered = BTreeSet::new();
    for (cap, component) in caps_with_components.iter().zip(&components) {
        let exports = capbuild::exports(component)?;
        offered.extend(exports.iter().cloned());
        objects.extend(extension(
            cap,
            &exports,
            &compiler,
            &target.errors,
            &build,
            &log,
        )?);
    }
    for cap in &libraries {
        objects.extend(library(
            cap, &cpython, &compiler, toolchain, target, &build, &log,
        )?);
    }
    // Time zones are looked up in the staged tzdata package (when the workspace ships it).
    let tzdata = format!("-DPYLON_TZDATA=\"{}/tzdata/zoneinfo\"", site.guest);
    objects.extend(glue(GLUE, &[tzdata], &compiler, &build, &log)?);
    if plan_path.is_some() {
        objects.extend(glue(ISOLATION_GLUE, &[], &compiler, &build, &log)?);
    }
    let mut modules: Vec<String> = caps
        .iter()
        .map(|c| c.meta.extension.module.clone())
        .collect();
    modules.push(GLUE_MODULE.to_string());
    let config_c = build.join("config.c");
    crate::support::fs::write_if_changed(&config_c, cext::config_c(&recipe, &modules)?.as_bytes())?;
    let config_o = build.join("config.o");
    compile_if_changed(
        &compiler,
        &config_c,
        &config_o,
        &[],
        &[],
        Flavor::Core,
        false,
        &build,
        &log,
    )?;

    // 3. Relink and turn into a component.
    let core = build.join("python.wasm");
    let mut fp = Fingerprint::new("link");
    fp.text(&cpython.key)
        .text(&serde_json::to_string(&recipe)?)
        .text(if target.debug { "dwarf" } else { "stripped" });
    for object in objects.iter().chain([&config_o]) {
        fp.file(object)?;
    }
    let stamp = Stamp::new(&build, "link", &fp);
    let interpreter = build.join("interpreter.component.wasm");
    if !stamp.fresh(&[&core, &interpreter]) {
        let step = Step::start("link interpreter").log_to(&log)?;
        relink::link(&step, &compiler.clang, &recipe, &config_o, &objects, &core)?;
        step.message("componentize");
        component::ensure_command(&core, &interpreter, target.debug)?;
        step.finish();
        stamp.record()?;
    }
    if let Some(http_core) = &http_core {
        link_reactor(
            Reactor::Http,
            &compiler,
            &recipe,
            &objects,
            &config_o,
            stamp.key(),
            http_core,
            &build,
            &log,
        )?;
    }
    let preinit_core = build.join("python-preinit.wasm");
    link_reactor(
        Reactor::Preinit,
        &compiler,
        &recipe,
        &objects,
        &config_o,
        stamp.key(),
        &preinit_core,
        &build,
        &log,
    )?;

    // 4. Plug the static caps in and plan the dynlink ones; anything left unsatisfied is
    //    an error, before any run.
    let mut fp = Fingerprint::new("plug");
    fp.text(stamp.key());
    for (cap, component) in caps_with_components.iter().zip(&components) {
        fp.text(&format!("{:?}", cap.meta.linkage))
            .file(component)?;
    }
    let plugged = Stamp::new(&target.out_dir, "pylon.wasm", &fp);
    let statics: Vec<(String, PathBuf)> = caps_with_components
        .iter()
        .zip(&components)
        .filter(|(c, _)| c.meta.linkage == Linkage::Static)
        .map(|(c, p)| (c.package.clone(), p.clone()))
        .collect();
    let dynlinks: Vec<providers::Dynlink> = caps_with_components
        .iter()
        .zip(&components)
        .filter(|(c, _)| c.meta.linkage == Linkage::Dynlink)
        .map(|(cap, component)| providers::Dynlink { cap, component })
        .collect();
    if !plugged.fresh(&written) || !providers::intact(&dynlinks, &target.output) {
        let step = Step::start("compose pylon.wasm").log_to(&log)?;
        let bytes = std::fs::read(&interpreter)
            .with_context(|| format!("cannot read {}", interpreter.display()))?;
        let composed = if statics.is_empty() {
            bytes
        } else {
            plug::plug(&bytes, &statics)?
        };
        let unsatisfied = plug::foreign_imports(&composed)?;
        let plan = providers::stage(&dynlinks, &unsatisfied, &target.output, &composed)?;
        let claimed = providers::claimed(plan.as_ref());
        plug::check_satisfied(
            &unsatisfied.difference(&claimed).cloned().collect(),
            &offered,
        )?;
        crate::support::fs::write_atomically(&target.output, &composed)?;
        if let Some(plan) = &plan {
            plan.write(&pylon_runtime::plan::beside(&target.output))?;
        }
        step.finish();
        plugged.record()?;
        write_manifest(
            toolchain,
            &cpython,
            &caps,
            &caps_with_components,
            &components,
            target,
        )?;
    }

    // 5. Facades, restaged whole when any changes, so a removed cap leaves nothing behind.
    let mut fp = Fingerprint::new("facades");
    for cap in &caps {
        for (from, dest) in cap.facade_files()? {
            fp.file(&from)?.text(&dest.display().to_string());
        }
    }
    // Stubs of generated extensions go beside the facades.
    let stubs: Vec<PathBuf> = caps
        .iter()
        .filter(|c| c.c_source().is_none())
        .map(|c| {
            build
                .join("caps")
                .join(&c.package)
                .join(format!("{}.pyi", c.meta.extension.module))
        })
        .filter(|p| p.is_file())
        .collect();
    for stub in &stubs {
        fp.file(stub)?;
    }
    let wheels = target
        .site
        .as_ref()
        .map(SiteWheels::resolve)
        .transpose()?
        .unwrap_or_default();
    for wheel in &wheels {
        fp.text(&wheel.display().to_string());
    }
    let staged = Stamp::new(&build, "facades", &fp);
    if !staged.fresh(&[&site_packages]) {
        stage::facades(&caps, &stubs, &wheels, &site_packages)?;
        staged.record()?;
    }

    // 6. The pre-initialized interpreter, from the facades as staged now; the plan pins it
    //    beside the cold one.
    let manifest = target.workspace_root.as_ref().map(|r| r.join("Cargo.toml"));
    let inputs = preinit::Inputs {
        core: &preinit_core,
        layout: &layout,
        statics: &statics,
        preload: &target.preload,
        debug: target.debug,
        manifest: manifest.as_deref(),
    };
    preinit::ensure(&inputs, &preinit, &build, &log)?;
    if let Some(plan_path) = &plan_path {
        pylon_runtime::plan::pin_preinit(plan_path, &preinit)?;
    }

    // Recorded with the outputs as written now, so a later edit of them is noticed.
    Stamp::new(
        &build,
        "compose",
        &quick_fingerprint(&cpython, &caps, target)?,
    )
    .record()?;
    Ok(done(cpython))
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
        for file in ["Cargo.toml", "Cargo.lock"] {
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

/// Build the caps' components (skipped while no cap, nor the workspace's manifests, changed).
pub fn build_components(
    caps: &[&Cap],
    target: &Target,
    build: &Path,
    log: &Path,
) -> Result<Vec<PathBuf>> {
    if caps.is_empty() {
        return Ok(Vec::new());
    }
    let root = target
        .workspace_root
        .as_deref()
        .context("caps need a workspace")?;
    let mut fp = Fingerprint::new("components");
    for file in ["Cargo.toml", "Cargo.lock"] {
        if root.join(file).is_file() {
            fp.file(&root.join(file))?;
        }
    }
    for cap in caps {
        fp.tree(&cap.dir)?;
    }
    let components: Vec<PathBuf> = caps
        .iter()
        .map(|c| capbuild::component_path(&target.cargo_target, c))
        .collect();
    let stamp = Stamp::new(build, "components", &fp);
    if !stamp.fresh(&components.iter().map(PathBuf::as_path).collect::<Vec<_>>()) {
        pylon_sys::toolchain::ensure_targets()?;
        let step = Step::start("build cap components").log_to(log)?;
        capbuild::build(&step, root, &target.cargo_target, caps)?;
        step.finish();
        stamp.record()?;
    }
    Ok(components)
}

fn gated_in(cap: &Cap, profile: &Profile) -> bool {
    cap.meta.profiles.as_ref().is_none_or(|list| {
        list.iter()
            .any(|p| p == profile.minor() || p == profile.version)
    })
}

/// Check a cap's WIT against its manifest and component, generate its bindings and
/// compile its extension; returns the objects to link.
fn extension(
    cap: &Cap,
    exports: &BTreeSet<String>,
    compiler: &Compiler,
    errors: &std::collections::BTreeMap<String, String>,
    build: &Path,
    log: &Path,
) -> Result<Vec<PathBuf>> {
    let wit_dir = cap.path(&cap.meta.extension.wit);
    let mut wit = Wit::load(&wit_dir, &cap.meta.extension.world)
        .with_context(|| format!("cap {} ({})", cap.package, cap.manifest_path.display()))?;
    // Discovery checked the world and its imports against `requires`.
    for req in &cap.meta.requires {
        let wanted = req.qualified();
        if !exports.contains(&wanted) {
            let offered: Vec<&String> = exports
                .iter()
                .filter(|e| e.split('@').next() == Some(req.interface.as_str()))
                .collect();
            bail!(
                "cap {}: the extension imports {wanted}, but the cap's component exports {}\n  fix: rebuild the component from the same WIT version (caps' WIT: {})",
                cap.package,
                if offered.is_empty() { format!("no {} at all", req.interface) } else { offered.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ") },
                wit_dir.display()
            );
        }
    }
    let dir = build.join("caps").join(&cap.package);
    let bindings = bindgen::generate(&mut wit, &dir.join("bindings"))?;
    let source = match cap.c_source() {
        Some(source) => source,
        None => {
            let header_name = format!("{}.h", wit.c_prefix());
            let header = std::fs::read_to_string(bindings.dir.join(&header_name))
                .with_context(|| format!("wit-bindgen-c wrote no {header_name}"))?;
            let module = &cap.meta.extension.module;
            let isolated = cap.meta.linkage == Linkage::Dynlink;
            let generated = crate::generation::cgen::generate(
                &wit.resolve,
                wit.world,
                &header,
                &header_name,
                module,
                errors,
                isolated,
            )
            .with_context(|| {
                format!(
                    "cap {}: generating the extension `{module}` from {}",
                    cap.package,
                    wit_dir.display()
                )
            })?;
            crate::support::fs::write_if_changed(
                &dir.join(format!("{module}.pyi")),
                generated.stub.as_bytes(),
            )?;
            let path = dir.join(format!("{module}.c"));
            crate::support::fs::write_if_changed(&path, generated.c.as_bytes())?;
            path
        }
    };
    let mut objects = vec![bindings.type_object.clone()];
    for c in bindings.sources.iter().chain([&source]) {
        let object = dir.join(c.file_name().expect("file")).with_extension("o");
        // pylon's own generated C must compile without a single warning.
        let strict = cap.c_source().is_none() && *c == source;
        compile_if_changed(
            compiler,
            c,
            &object,
            &[&bindings.dir],
            &[],
            Flavor::Builtin,
            strict,
            &dir,
            log,
        )?;
        objects.push(object);
    }
    Ok(objects)
}

/// A library cap: its C library (from the pylon home, or built into it) and CPython's own
/// module for it, compiled with the flags of a builtin module.
fn library(
    cap: &Cap,
    cpython: &Cpython,
    compiler: &Compiler,
    toolchain: &Toolchain,
    target: &Target,
    build: &Path,
    log: &Path,
) -> Result<Vec<PathBuf>> {
    let built = super::library::ensure(cap, compiler, toolchain, &target.libraries, log)?;
    let includes: Vec<&Path> = built.include.iter().map(PathBuf::as_path).collect();
    let defines: Vec<String> = cap
        .meta
        .library
        .iter()
        .flat_map(|l| &l.defines)
        .map(|d| format!("-D{d}"))
        .collect();
    let module = cap
        .meta
        .extension
        .source
        .strip_prefix(crate::workspace::manifest::CPYTHON_SOURCE)
        .expect("validated");
    let cpython_root = cpython.source_dir();
    let dir = build.join("caps").join(&cap.package);
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
        let object = dir.join(super::library::object_name(base, &source));
        compile_if_changed(
            compiler,
            &source,
            &object,
            &includes,
            &defines,
            Flavor::Builtin,
            false,
            &dir,
            log,
        )?;
        objects.push(object);
    }
    Ok(objects)
}

/// A world of pylon's own glue, compiled with its C files (the exit-code shim, the path
/// guard, the `pylon` module; or the isolation check) and its bindings.
fn glue(
    (name, files): (&str, &[(&str, &str)]),
    defines: &[String],
    compiler: &Compiler,
    build: &Path,
    log: &Path,
) -> Result<Vec<PathBuf>> {
    let dir = build.join(name);
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
    let bindings = bindgen::generate(&mut Wit { resolve, world }, &dir)?;
    let mut sources = bindings.sources.clone();
    for (file, text) in files {
        let path = dir.join(file);
        crate::support::fs::write_if_changed(&path, text.as_bytes())?;
        if file.ends_with(".c") {
            sources.push(path);
        }
    }
    let mut objects = vec![bindings.type_object.clone()];
    for c in &sources {
        let object = c.with_extension("o");
        compile_if_changed(
            compiler,
            c,
            &object,
            &[&dir],
            defines,
            Flavor::Builtin,
            false,
            &dir,
            log,
        )?;
        objects.push(object);
    }
    Ok(objects)
}

/// The interpreter's second and third links: reactors (no `main`) over the command's
/// objects, each with glue of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reactor {
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

#[allow(clippy::too_many_arguments)]
fn link_reactor(
    kind: Reactor,
    compiler: &Compiler,
    recipe: &pylon_sys::cpython::LinkRecipe,
    objects: &[PathBuf],
    config_o: &Path,
    command_key: &str,
    out: &Path,
    build: &Path,
    log: &Path,
) -> Result<()> {
    let (source, glue_files, header) = match kind {
        Reactor::Http => (WSGI_BRIDGE, (HTTP_GLUE, HTTP_FILES), "pylon_wsgi_source.h"),
        Reactor::Preinit => (RESUME, PREINIT_GLUE, "pylon_resume_source.h"),
    };
    let constant = header.trim_end_matches(".h").to_uppercase();
    let embedded = format!("static const char {constant}[] = {};\n", c_string(source));
    let files: Vec<(&str, &str)> = glue_files
        .1
        .iter()
        .copied()
        .chain([(header, embedded.as_str())])
        .collect();
    let isolation = build.join(ISOLATION_GLUE.0);
    let mut linked: Vec<PathBuf> = match kind {
        Reactor::Http => objects
            .iter()
            .filter(|o| !o.ends_with("pylon_exit.o") && !o.starts_with(&isolation))
            .cloned()
            .collect(),
        Reactor::Preinit => objects.to_vec(),
    };
    linked.extend(glue((glue_files.0, &files), &[], compiler, build, log)?);
    let stamp_name = format!("link-{}", kind.name());
    let mut fp = Fingerprint::new(&stamp_name);
    fp.text(command_key);
    for object in &linked {
        fp.file(object)?;
    }
    let stamp = Stamp::new(build, &stamp_name, &fp);
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
    .log_to(log)?;
    relink::link_reactor(
        &step,
        &compiler.clang,
        recipe,
        config_o,
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

/// Compile unless the source, the headers beside it and the flags are unchanged.
#[allow(clippy::too_many_arguments)]
fn compile_if_changed(
    compiler: &Compiler,
    source: &Path,
    object: &Path,
    includes: &[&Path],
    defines: &[String],
    flavor: Flavor,
    strict: bool,
    stamps: &Path,
    log: &Path,
) -> Result<()> {
    let mut fp = Fingerprint::new("compile");
    fp.text(if strict { "strict" } else { "lenient" })
        .text(&defines.join(" "));
    fp.file(source)?
        .text(&compiler.recipe.module_cflags.join(" "))
        .text(&compiler.recipe.core_cflags.join(" "));
    for dir in includes {
        fp.headers(dir)?;
    }
    let name = object
        .file_name()
        .expect("object file")
        .to_string_lossy()
        .into_owned();
    let stamp = Stamp::new(stamps, &name, &fp);
    if stamp.fresh(&[object]) {
        return Ok(());
    }
    let step = Step::start(format!(
        "compile {}",
        source.file_name().expect("file").to_string_lossy()
    ))
    .log_to(log)?;
    compiler.compile(&step, source, object, includes, defines, flavor, strict)?;
    step.finish();
    stamp.record()
}

fn write_manifest(
    toolchain: &Toolchain,
    cpython: &Cpython,
    caps: &[&Cap],
    with_components: &[&Cap],
    components: &[PathBuf],
    target: &Target,
) -> Result<()> {
    let root = target
        .workspace_root
        .clone()
        .unwrap_or_else(|| target.out_dir.clone());
    let mut cap_info = Vec::new();
    let mut inputs = Vec::new();
    for cap in caps {
        inputs.push(cap.dir.clone());
        let component = with_components
            .iter()
            .position(|c| c.package == cap.package)
            .map(|i| &components[i]);
        if let (Some(located), Some(library)) = (&cap.located, &cap.meta.library) {
            // A library cap's inputs are the C sources it compiles (a configured library:
            // its crate's manifest, which names the version of the tree it builds).
            inputs.extend(located.sources.iter().cloned());
            match &library.configure {
                Some(_) => inputs.push(located.dir.join("Cargo.toml")),
                None => inputs.extend(library.include.iter().map(|p| located.dir.join(p))),
            }
        }
        cap_info.push(CapInfo {
            package: cap.package.clone(),
            version: cap.version.clone(),
            module: cap.meta.extension.module.clone(),
            linkage: format!("{:?}", cap.meta.linkage).to_lowercase(),
            component_sha256: component
                .map(|c| pylon_sys::source::sha256_file(c))
                .transpose()?,
        });
    }
    // pylon.wasm, and for dynlink caps the plan and the providers beside it.
    let outputs: Vec<PathBuf> = pylon_runtime::plan::artifacts(&target.output)
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    let manifest = BuildManifest {
        schema: 1,
        pylon: env!("CARGO_PKG_VERSION"),
        cpython: CpythonInfo {
            version: cpython.profile.version.into(),
            source_sha256: cpython.profile.sha256.into(),
            build_key: cpython.key.clone(),
        },
        toolchain: toolchain.identity.clone(),
        caps: cap_info,
        inputs: buildinfo::hash_files(&inputs, &root)?,
        outputs: buildinfo::hash_files(&outputs, &root)?,
    };
    manifest.write(&target.out_dir.join("pylon.json"))
}
