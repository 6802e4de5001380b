//! The lzma cap has no component: liblzma (from the `liblzma-sys` crate's vendored xz
//! sources) and CPython's own `Modules/_lzmamodule.c` are compiled for WASI and linked into
//! the interpreter by `cargo pylon compose` (`linkage = "interpreter"`), so `import lzma` is
//! CPython's module exactly.
