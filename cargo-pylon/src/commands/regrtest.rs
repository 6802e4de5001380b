//! `cargo pylon regrtest`: CPython's own regression tests, from the pinned source, inside
//! the composed interpreter.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use pylon_sys::Home;

use crate::composing::interpreter;
use crate::running::launch::{Grant, Launch, Program};

/// Where the pinned source's `Lib` is mounted (read-only); appended to `sys.path`, so the
/// interpreter's own standard library still wins and only `test` comes from there.
const LIB: &str = "/cpylib";
/// regrtest reads its options and tests from `sys.argv[1:]` (the arguments after `-c`).
/// The mounted source is read-only: no bytecode is written beside it.
const DRIVER: &str = "import sys\nsys.dont_write_bytecode = True\nsys.path.append('/cpylib')\nfrom test.libregrtest.main import main\nmain()\n";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Test modules (test_os test_zlib ...); regrtest's default selection when none
    tests: Vec<String>,
    /// Stop the run after this many seconds
    #[arg(long, default_value_t = 3600)]
    timeout: u64,
    #[command(flatten)]
    plan: super::PlanArg,
    /// Extra regrtest arguments, after `--` (for example `-- -v -m test_stat`)
    #[arg(last = true)]
    regrtest: Vec<String>,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let home = Home::from_env()?;
        let mut composed = interpreter::prepare(&home)?;
        self.plan.apply(&mut composed);
        let lib = composed.cpython.source_dir().join("Lib");
        let args = self.regrtest.iter().chain(&self.tests).cloned().collect();
        let mut launch = Launch::new(
            &composed,
            Program::Code {
                code: DRIVER.into(),
                args,
            },
            home.dir("precompiled")?,
        );
        launch.sandbox.timeout = Some(Duration::from_secs(self.timeout));
        launch.sandbox.grants = vec![Grant::read_only(lib, LIB)];
        Ok(ExitCode::from(launch.run()?))
    }
}
