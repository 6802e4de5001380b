//! CPython for WASI, as a library.
//!
//! pylon-sys assembles a WASI C toolchain from Debian packages (or takes the user's
//! `WASI_SDK_PATH`), fetches a pinned CPython source, builds the native build-Python and
//! the WASI host build once, and caches the result under a key of everything that
//! affects it. It runs when cargo-pylon asks, with progress and a kept log; it is not a
//! build script.

pub mod bundled;
pub mod certificates;
pub mod cpython;
pub mod debian;
pub mod home;
pub mod profile;
pub mod progress;
pub mod source;
pub mod toolchain;

pub use cpython::Cpython;
pub use home::Home;
pub use profile::Profile;
pub use toolchain::{CxxRuntime, Toolchain};
