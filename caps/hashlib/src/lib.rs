//! The hashlib cap has no component: OpenSSL's libcrypto (from the `openssl-src` crate's
//! vendored tree, built for WASI by OpenSSL's own configure and make) and CPython's own
//! `Modules/_hashopenssl.c` are linked into the interpreter by `cargo pylon compose`
//! (`linkage = "interpreter"`). `hashlib` then has what CPython takes from OpenSSL only:
//! `pbkdf2_hmac`, `scrypt`, OpenSSL's HMAC and digests such as `sha512_224` and `ripemd160`.
