//! Loading one of the interpreter's components: compiled on first use, linked with WASI
//! and pylon's interfaces, its providers loaded when caps are linked at launch.

use anyhow::Context;
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime_wasi::p2::bindings::CommandPre;

use super::{Guest, Interpreter, Loaded, Ready};
use crate::error::{Classify, IntoAnyhow};
use crate::{disk, engine, isolate, link, locks, plan, Result};

impl Interpreter {
    pub(super) fn loaded(&self, preinitialized: bool) -> Result<&Loaded> {
        let cell = if preinitialized {
            &self.preinit
        } else {
            &self.cold
        };
        if let Some(loaded) = cell.get() {
            return Ok(loaded);
        }
        let loaded = self.load_one(preinitialized).loading()?;
        Ok(cell.get_or_init(|| loaded))
    }

    fn component(&self, file: &std::path::Path) -> anyhow::Result<Component> {
        let report = &self.options.report;
        let compiling = !engine::is_compiled(&self.engine, file, &self.cache_dir);
        if compiling {
            report.compiling(file);
        }
        let component = engine::load(&self.engine, file, &self.cache_dir)?;
        if compiling {
            report.compiled(file);
        }
        Ok(component)
    }

    fn load_one(&self, preinitialized: bool) -> anyhow::Result<Loaded> {
        let mut linker = Linker::<Guest>::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .anyhow()
            .context("cannot link WASI into the launcher")?;
        isolate::define(&mut linker)?;
        locks::define(&mut linker)?;
        disk::define(&mut linker)?;
        let ready = match &self.layout.plan {
            Some(plan) => {
                let checked = plan::Plan::check(plan, &self.cache_dir.join("digests"))?;
                let file = checked
                    .preinit
                    .as_ref()
                    .filter(|_| preinitialized)
                    .unwrap_or(&checked.interpreter);
                let component = self.component(file)?;
                let providers = link::Providers::load(
                    &self.engine,
                    &checked,
                    &component,
                    &self.cache_dir,
                    self.options.dynamic_calls,
                )?;
                Ready::Linked {
                    component,
                    providers,
                }
            }
            None => {
                let file = self.layout.start(preinitialized);
                let component = self.component(file)?;
                let pre: InstancePre<Guest> = linker
                    .instantiate_pre(&component)
                    .anyhow()
                    .with_context(|| {
                        format!(
                            "{} imports what pylon's launcher cannot give",
                            file.display()
                        )
                    })?;
                Ready::Alone(
                    CommandPre::new(pre)
                        .anyhow()
                        .with_context(|| format!("{} is not a wasi:cli command", file.display()))?,
                )
            }
        };
        Ok(Loaded { linker, ready })
    }
}
