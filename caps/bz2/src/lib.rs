//! The bz2 cap has no component: bzip2 (from the `bzip2-sys` crate's vendored sources) and
//! CPython's own `Modules/_bz2module.c` are compiled for WASI and linked into the
//! interpreter by `cargo pylon compose` (`linkage = "interpreter"`), so `import bz2` is
//! CPython's module exactly.
