//! Running a sandbox: staged, instantiated (its providers linked first when caps are
//! linked at launch), and run to its exit code or until it is stopped.

use wasmtime::Store;
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::I32Exit;

use super::stopping::{stop, Signals, Watchdog};
use super::{Interpreter, Loaded, Ready, Stopping};
use crate::error::Classify;
use crate::isolate::{self, Isolation};
use crate::phases::Phases;
use crate::sandbox::Sandbox;
use crate::staging::Staging;
use crate::state::State;
use crate::{Error, Result};

impl Interpreter {
    /// Run `sandbox` to completion; `Ok(code)` is Python's own exit code.
    pub fn run(&self, sandbox: &Sandbox) -> Result<u8> {
        self.run_with_phases(sandbox, &Phases::off())
    }

    /// As [`Self::run`], marking the end of each phase in `phases`.
    pub fn run_with_phases(&self, sandbox: &Sandbox, phases: &Phases) -> Result<u8> {
        let loaded = self.loaded(self.starts_preinitialized(sandbox))?;
        phases.mark("load");
        let staging = Staging::new(&sandbox.program, &self.layout).hosting()?;
        phases.mark("stage");
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the interpreter")
            .block_on(self.run_in(loaded, sandbox, &staging, phases))
    }

    async fn run_in(
        &self,
        loaded: &Loaded,
        sandbox: &Sandbox,
        staging: &Staging,
        phases: &Phases,
    ) -> Result<u8> {
        let wasi = staging.wasi_ctx(&self.layout, sandbox).hosting()?;
        let files = self.layout.files(
            Some(staging.path()),
            &staging.grants(sandbox),
            sandbox.max_disk,
        );
        let bounds = sandbox.bounds();
        let mut store = Store::new(
            &self.engine,
            State::new(wasi, files, bounds, Isolation::default()),
        );
        bounds.apply(&mut store);
        let command = match &loaded.ready {
            Ready::Alone(pre) => {
                phases.mark("link");
                let command = pre.instantiate_async(&mut store).await;
                phases.mark("instantiate");
                command
            }
            Ready::Linked {
                component,
                providers,
            } => {
                let mut linker = loaded.linker.clone();
                let stores = isolate::Stores::new(&self.engine, sandbox.capture.as_ref(), bounds)
                    .hosting()?;
                store.data_mut().extra.set_stores(stores);
                let routes = providers.link(&mut store, &mut linker).await.loading()?;
                for (name, route) in routes {
                    self.options.report.forwarded(&name, route);
                }
                phases.mark("link");
                let command = Command::instantiate_async(&mut store, component, &linker).await;
                phases.mark("instantiate");
                command
            }
        };
        let run = async {
            let result = command?.wasi_cli_run().call_run(&mut store).await;
            phases.mark("run");
            result
        };
        if let Stopping::EndsProcess(end) = self.options.stopping {
            let _watchdog = Watchdog::start(sandbox, staging.path(), end).hosting()?;
            let outcome = exit_code(run.await);
            flush_stdio();
            return outcome;
        }
        // Both handlers are installed before the guest runs: a signal that arrives before
        // the select below first polls them is kept, not the process's default death.
        let mut signals = Signals::watch(sandbox).hosting()?;
        let outcome = tokio::select! {
            result = run => exit_code(result),
            err = stop(sandbox.timeout, &mut signals) => Err(err),
        };
        flush_stdio();
        outcome
    }
}

fn exit_code(result: wasmtime::Result<Result<(), ()>>) -> Result<u8> {
    match result {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => Ok(u8::try_from(*code).unwrap_or(1)),
            None => Err(Error::Trap(format!("{err:?}"))),
        },
    }
}

pub(super) fn flush_stdio() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}
