//! The zlib cap has no component: its C library (zlib, from the `libz-sys` crate's vendored
//! sources) and CPython's own `Modules/zlibmodule.c` are compiled for WASI and linked into
//! the interpreter by `cargo pylon compose` (`linkage = "interpreter"`), so `import zlib`
//! is CPython's module exactly, with the behaviour CPython's own tests expect.
