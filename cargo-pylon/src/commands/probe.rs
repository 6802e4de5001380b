//! `cargo pylon probe FILE.py [ARGS...]` / `cargo pylon probe -c CODE` / `cargo pylon probe -m MODULE`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use pylon_sys::Home;

use crate::composing::interpreter;
use crate::running::launch::{Launch, Program};

#[derive(Debug, clap::Args)]
#[command(arg_required_else_help = true)]
pub struct Args {
    /// Python code to run instead of a file
    #[arg(short = 'c', value_name = "CODE")]
    code: Option<String>,
    /// Run a module on the guest's sys.path as __main__, as `python -m` does
    #[arg(short = 'm', value_name = "MODULE", conflicts_with = "code")]
    module: Option<String>,
    /// The Python file to run, then the arguments for sys.argv (with -c or -m: only
    /// arguments). Its folder is granted read-only at its host path, and the guest works in
    /// the host's working folder when that is the file's folder or above it
    #[arg(
        value_name = "FILE.py [ARGS]",
        required_unless_present_any = ["code", "module"],
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<String>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
    /// Cap what the files under the guest's own `/` (a temporary folder) may hold, in MiB;
    /// writes beyond it fail with ENOSPC. Granted folders are not bounded
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    max_disk: u64,
    #[command(flatten)]
    plan: super::PlanArg,
}

impl Args {
    pub fn run(self) -> Result<ExitCode> {
        let program = match (self.code, self.module) {
            (Some(code), _) => Program::Code {
                code,
                args: self.args,
            },
            (None, Some(name)) => Program::Module {
                name,
                args: self.args,
            },
            (None, None) => {
                let mut args = self.args.into_iter();
                let path = args
                    .next()
                    .expect("clap requires FILE.py without -c")
                    .into();
                Program::Script {
                    path,
                    args: args.collect(),
                }
            }
        };
        let home = Home::from_env()?;
        let mut composed = interpreter::prepare(&home)?;
        self.plan.apply(&mut composed);
        let mut launch = Launch::new(&composed, program, home.dir("precompiled")?);
        launch.sandbox.timeout = self.sandbox.timeout.map(Duration::from_secs_f64);
        launch.sandbox.max_memory = self.sandbox.max_memory.map(|mib| mib << 20);
        launch.sandbox.max_disk = Some(self.max_disk << 20);
        launch.sandbox.grants = self.sandbox.dirs;
        launch.sandbox.env = self.sandbox.env;
        Ok(ExitCode::from(launch.run()?))
    }
}
