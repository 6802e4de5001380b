//! pylon-runtime: runs pylon's composed CPython components on an embedded wasmtime.
//!
//! An [`Interpreter`] is loaded once from the files `cargo pylon compose` writes (a
//! [`Layout`]): each component compiled once (then memory-mapped from the cache), a
//! dynlink plan checked and its providers matched to the interpreter's imports, the
//! component pre-instantiated. Every [`Sandbox`] run then gets an instance of its own: a
//! fresh staging folder as `/` (its working directory, holding the script), the runtime
//! prefix and the site folder read-only, the folders it is granted, its own environment,
//! wall-time and memory limits, and its output streamed or captured. Runs start from the
//! pre-initialized interpreter when the sandbox allows it
//! ([`Interpreter::starts_preinitialized`]).
//!
//! Failures are one enum, [`Error`]; what the runtime does that a host may want to show
//! (compiling on first use) reaches the host through the [`Report`] in its [`Options`].
//!
//! ```no_run
//! use std::time::Duration;
//! use pylon_runtime::{Captured, Interpreter, Layout, Options, Program, Sandbox};
//!
//! # fn main() -> Result<(), pylon_runtime::Error> {
//! // What `cargo pylon compose` wrote beside target/pylon/pylon.wasm.
//! let layout = Layout::read(std::path::Path::new("target/pylon"))?;
//! let interpreter = Interpreter::load(layout, "/tmp/pylon-cache".into(), Options::default())?;
//! for n in 0..3 {
//!     let mut sandbox = Sandbox::new(Program::Code { code: "import sys; print(sys.argv[1])".into(), args: vec![n.to_string()] });
//!     sandbox.timeout = Some(Duration::from_secs(5));
//!     sandbox.max_memory = Some(256 << 20);
//!     let output = Captured::new(1 << 20);
//!     sandbox.capture = Some(output.clone());
//!     assert_eq!(interpreter.run(&sandbox)?, 0);
//!     assert_eq!(output.stdout_text(), format!("{n}\n"));
//! }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod disk;
pub mod engine;
mod error;
pub mod files;
mod forward;
pub mod http;
mod interpreter;
mod isolate;
pub mod layout;
mod link;
mod locks;
pub mod phases;
pub mod plan;
mod report;
mod sandbox;
mod staging;
mod state;

pub use error::{Error, Result};
pub use forward::Path as Route;
pub use interpreter::{Interpreter, Options, Stopping};
pub use isolate::INTERFACE as ISOLATION;
pub use layout::Layout;
pub use link::{is_host_provided, is_wasi};
pub use locks::INTERFACE as LOCKS;
pub use report::{Quiet, Report};
pub use sandbox::{Captured, Grant, Program, Sandbox};
pub use state::{Bounds, State, WASM32_MEMORY};
