//! The crc32c cap's component: `pylon:crc32c/checksum` over the `crc32c` crate.
//!
//! Stateless on purpose: a running checksum lives in the caller (a Python int), so the
//! component can be linked at launch and swapped without recomposing.
//! Built for wasm32-wasip2 by `cargo pylon compose`; on other targets the crate is empty.

#![cfg(target_family = "wasm")]

wit_bindgen::generate!({ world: "crc32c-provider", path: "wit" });

struct Cap;

export!(Cap);

impl exports::pylon::crc32c::checksum::Guest for Cap {
    fn extend(value: u32, data: Vec<u8>) -> u32 {
        crc32c::crc32c_append(value, &data)
    }
}
