//! A Rust host embedding pylon-runtime: it loads the workspace's composed interpreter
//! once and runs one sandbox per line of Python given on the command line, each with its
//! own limits and captured output.
//!
//! ```sh
//! cargo pylon compose                       # writes target/pylon/pylon.wasm and its layout
//! cargo run --release -p pylon-runtime --example embed -- target/pylon 'print(6 * 7)' 'import blake3; print(blake3.blake3(b"").hexdigest()[:16])'
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use pylon_runtime::{Captured, Interpreter, Layout, Options, Program, Sandbox};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: embed OUT_DIR CODE...  (OUT_DIR is where compose wrote pylon.wasm)");
        return ExitCode::from(2);
    };
    match run(&out, args.collect()) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(out: &std::path::Path, programs: Vec<String>) -> Result<u8, pylon_runtime::Error> {
    let layout = Layout::read(out)?;
    let cache = std::env::temp_dir().join("pylon-embed-cache");
    let interpreter = Interpreter::load(layout, cache, Options::default())?;
    let mut worst = 0;
    for (n, code) in programs.into_iter().enumerate() {
        let mut sandbox = Sandbox::new(Program::Code {
            code,
            args: Vec::new(),
        });
        sandbox.timeout = Some(Duration::from_secs(10));
        sandbox.max_memory = Some(256 << 20);
        let output = Captured::new(1 << 20);
        sandbox.capture = Some(output.clone());
        let status = interpreter.run(&sandbox)?;
        print!("[{n}] exit {status}: {}", output.stdout_text());
        if !output.stderr_text().is_empty() {
            eprint!("[{n}] {}", output.stderr_text());
        }
        worst = worst.max(status);
    }
    Ok(worst)
}
