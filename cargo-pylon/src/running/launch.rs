//! Runs in a composed interpreter: pylon-runtime's launcher over what compose wrote, as a
//! command line runs it (Ctrl-C and SIGTERM stop the guest; a first run says it compiles).

use std::path::PathBuf;

use anyhow::Result;
use pylon_sys::progress::Step;

pub use pylon_runtime::{
    engine, load, phases, precompile, Bounds, Captured, Files, Grant, Limited, Program, Route,
    Sandbox, Ticker, ISOLATION,
};

use crate::composing::compose::Composed;

/// One run of a program in a composed interpreter.
pub struct Launch {
    pub files: Files,
    pub sandbox: Sandbox,
    /// Where compiled components are cached.
    pub cache_dir: PathBuf,
}

impl Launch {
    /// A run of `program` in a composed interpreter, with no limits or grants yet.
    pub fn new(composed: &Composed, program: Program, cache_dir: PathBuf) -> Self {
        let mut sandbox = Sandbox::new(program);
        sandbox.stop_on_signals = true;
        Self {
            files: files(composed),
            sandbox,
            cache_dir,
        }
    }

    /// Run to completion; `Ok(code)` is Python's own exit code.
    pub fn run(self) -> Result<u8> {
        let phases = phases::Phases::from_env();
        let interpreter = pylon_runtime::Interpreter::new(self.files, self.cache_dir.clone())?;
        let start = interpreter.files().start_component(&self.sandbox);
        let step = (!pylon_runtime::is_compiled(interpreter.engine(), start, &self.cache_dir))
            .then(|| {
                Step::start(format!(
                    "compiling {} (first run only)",
                    start.file_name().unwrap_or_default().to_string_lossy()
                ))
            });
        interpreter.prepare(&self.sandbox)?;
        if let Some(step) = step {
            step.finish();
        }
        let result = interpreter.run_with_phases(&self.sandbox, &phases);
        // Stops the runtime's blocking workers, which may still hold guest files.
        drop(interpreter);
        phases.mark("exit");
        phases.report();
        result
    }
}

/// The files of a composition, as the launcher reads them.
pub fn files(composed: &Composed) -> Files {
    let minor = composed.cpython.profile.minor();
    Files {
        component: composed.wasm.clone(),
        preinit: Some(composed.preinit.clone()),
        plan: composed.plan.clone(),
        prefix: (
            composed.prefix.clone(),
            pylon_sys::cpython::GUEST_PREFIX.to_string(),
        ),
        site_packages: Some((
            composed.site_packages.clone(),
            crate::composing::stage::guest_site_packages(minor),
        )),
    }
}
