//! The blake3 cap's component: `pylon:blake3/hasher` over the `blake3` crate.
//!
//! Built for wasm32-wasip2 by `cargo pylon compose`; on other targets the crate is empty.

#![cfg(target_family = "wasm")]

use std::cell::RefCell;

use exports::pylon::blake3::hasher::{Guest, GuestIncremental, Incremental};

wit_bindgen::generate!({ world: "blake3-provider", path: "wit" });

struct Cap;

export!(Cap);

const KEY_LEN: usize = blake3::KEY_LEN;

fn key(bytes: &[u8]) -> Result<[u8; KEY_LEN], String> {
    bytes
        .try_into()
        .map_err(|_| format!("key must be {KEY_LEN} bytes, got {}", bytes.len()))
}

/// The most output one call returns. The interpreter receives a call's result in memory
/// it must allocate at once, and cannot fail that allocation gracefully; longer output is
/// read in pieces with `finalize`'s `seek` (the facade does).
const MAX_OUTPUT: u32 = 1 << 24;

/// `length` bytes of output from `seek` on. The buffer is reserved fallibly: a failed
/// allocation in a component aborts, which would trap the interpreter.
fn output(hasher: &blake3::Hasher, seek: u64, length: u32) -> Result<Vec<u8>, String> {
    if length > MAX_OUTPUT {
        return Err(format!("{length} bytes of output in one call; ask for at most {MAX_OUTPUT} and seek for the rest"));
    }
    let length = length as usize;
    let mut out = Vec::new();
    out.try_reserve_exact(length)
        .map_err(|_| format!("cannot allocate {length} bytes of output"))?;
    out.resize(length, 0);
    let mut reader = hasher.finalize_xof();
    reader.set_position(seek);
    reader.fill(&mut out);
    Ok(out)
}

impl Guest for Cap {
    type Incremental = Hasher;

    fn hash(data: Vec<u8>, length: u32) -> Result<Vec<u8>, String> {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&data);
        output(&hasher, 0, length)
    }

    fn keyed_hash(key_bytes: Vec<u8>, data: Vec<u8>, length: u32) -> Result<Vec<u8>, String> {
        let mut hasher = blake3::Hasher::new_keyed(&key(&key_bytes)?);
        hasher.update(&data);
        output(&hasher, 0, length)
    }

    fn derive_key(context: String, material: Vec<u8>, length: u32) -> Result<Vec<u8>, String> {
        let mut hasher = blake3::Hasher::new_derive_key(&context);
        hasher.update(&material);
        output(&hasher, 0, length)
    }
}

/// The resource's state; methods take `&self`, so the hasher sits in a `RefCell`.
struct Hasher(RefCell<blake3::Hasher>);

impl GuestIncremental for Hasher {
    fn new() -> Self {
        Self(RefCell::new(blake3::Hasher::new()))
    }

    fn keyed(key_bytes: Vec<u8>) -> Result<Incremental, String> {
        Ok(Incremental::new(Self(RefCell::new(
            blake3::Hasher::new_keyed(&key(&key_bytes)?),
        ))))
    }

    fn derive_key(context: String) -> Incremental {
        Incremental::new(Self(RefCell::new(blake3::Hasher::new_derive_key(&context))))
    }

    fn update(&self, data: Vec<u8>) {
        self.0.borrow_mut().update(&data);
    }

    fn finalize(&self, seek: u64, length: u32) -> Result<Vec<u8>, String> {
        output(&self.0.borrow(), seek, length)
    }

    fn copy(&self) -> Incremental {
        Incremental::new(Self(RefCell::new(self.0.borrow().clone())))
    }
}
