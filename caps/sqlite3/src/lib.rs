//! The sqlite3 cap has no component: SQLite (the `libsqlite3-sys` crate's bundled
//! amalgamation) and CPython's own `Modules/_sqlite/` are compiled for WASI and linked into
//! the interpreter by `cargo pylon compose` (`linkage = "interpreter"`), so `import
//! sqlite3` is CPython's module exactly, callbacks into Python included.
