//! The ssl cap has no component: CPython's own `Modules/_ssl.c` is compiled against the
//! OpenSSL the hashlib cap builds for WASI (`library-from = "hashlib-cap"`) and linked into
//! the interpreter by `cargo pylon compose` (`linkage = "interpreter"`). OpenSSL is built
//! without its socket layer (WASI preview 1 makes no connections), so TLS runs over
//! `ssl.MemoryBIO`: `SSLContext.wrap_bio` over any transport.
