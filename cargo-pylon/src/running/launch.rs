//! Runs in a composed interpreter: pylon-runtime's launcher over what compose wrote, as a
//! command line runs it (Ctrl-C and SIGTERM stop the guest; a first run says it compiles).
//!
//! The command line's switches are read here, from the environment, and handed to the
//! runtime: `PYLON_COLD=1` (every run starts cold), `PYLON_LINK_DYNAMIC=1` (providers
//! called through dynamic values only), `PYLON_TRACE_LINK=1` (how each import was linked),
//! `PYLON_PHASES=1` (where a run's time goes, one line on stderr) and `PYLON_PERFMAP=1`
//! (compiled functions named for `perf record`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use pylon_sys::progress::Step;

pub use pylon_runtime::{
    engine, phases, Bounds, Captured, Grant, Interpreter, Layout, Options, Program, Route, Sandbox,
};

use crate::composing::compose::Composed;

/// One run of a program in a composed interpreter.
pub struct Launch {
    pub layout: Layout,
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
            layout: composed.layout.clone(),
            sandbox,
            cache_dir,
        }
    }

    /// Run to completion; `Ok(code)` is Python's own exit code.
    pub fn run(self) -> Result<u8> {
        let phases = if switch("PYLON_PHASES") {
            phases::Phases::on()
        } else {
            phases::Phases::off()
        };
        let interpreter = Interpreter::new(self.layout, self.cache_dir, options())?;
        interpreter.prepare(&self.sandbox)?;
        let result = interpreter.run_with_phases(&self.sandbox, &phases);
        // Stops the runtime's blocking workers, which may still hold guest files.
        drop(interpreter);
        phases.mark("exit");
        if let Some(line) = phases.line() {
            eprintln!("{line}");
        }
        Ok(result?)
    }
}

/// The runtime's options as the command line sets them. A command line runs one sandbox
/// per process, so the guest is compiled without interruption checks and a timeout or
/// signal ends the process.
pub fn options() -> Options {
    Options {
        stopping: pylon_runtime::Stopping::EndsProcess(crate::exit::end),
        perfmap: switch("PYLON_PERFMAP"),
        cold: switch("PYLON_COLD"),
        dynamic_calls: switch("PYLON_LINK_DYNAMIC"),
        report: Arc::new(Shown {
            step: Mutex::new(None),
            trace_link: std::env::var_os("PYLON_TRACE_LINK").is_some(),
        }),
    }
}

fn switch(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| v == "1")
}

/// What the command line shows of the runtime's work: a progress line while a component
/// compiles, and with `PYLON_TRACE_LINK` how each import was linked.
struct Shown {
    step: Mutex<Option<Step>>,
    trace_link: bool,
}

impl pylon_runtime::Report for Shown {
    fn compiling(&self, component: &Path) {
        let name = component.file_name().unwrap_or_default().to_string_lossy();
        let step = Step::start(format!("compiling {name} (first run only)"));
        *self.step.lock().unwrap_or_else(|e| e.into_inner()) = Some(step);
    }

    fn compiled(&self, _component: &Path) {
        if let Some(step) = self.step.lock().unwrap_or_else(|e| e.into_inner()).take() {
            step.finish();
        }
    }

    fn forwarded(&self, import: &str, route: Route) {
        if self.trace_link {
            eprintln!("pylon: {import} forwarded {route:?}");
        }
    }
}
