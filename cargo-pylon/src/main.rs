use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // `cargo pylon ARGS` runs `cargo-pylon pylon ARGS`; the in-repo alias runs it without.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "pylon") {
        args.remove(1);
    }
    let cli = cargo_pylon::cli::Cli::parse_from(args);
    match cli.run() {
        Ok(code) => code,
        Err(err) => {
            let code = cargo_pylon::exit::code_for(&err);
            eprintln!("error: {err:#}");
            ExitCode::from(code)
        }
    }
}
