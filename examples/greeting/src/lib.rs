//! The greeting cap's component (built for wasm32-wasip2 by `cargo pylon compose`).

#![cfg(target_family = "wasm")]

use exports::pylon::greeting::api::Guest;

wit_bindgen::generate!({ world: "greeting-provider", path: "wit" });

struct Cap;

export!(Cap);

impl Guest for Cap {
    fn greet(name: String, times: u32) -> Result<String, String> {
        let one = format!("Hello, {name}!");
        // Size first, then a fallible reservation: a failed allocation in a component
        // aborts, a trap that would end the whole interpreter.
        let len = one.len().checked_mul(times as usize).ok_or("the greeting is too long")?;
        let mut out = String::new();
        out.try_reserve_exact(len).map_err(|_| format!("cannot allocate {len} bytes for the greeting"))?;
        for _ in 0..times {
            out.push_str(&one);
        }
        Ok(out)
    }

    fn adler32(data: Vec<u8>) -> u32 {
        const MOD: u32 = 65521;
        let (mut a, mut b) = (1u32, 0u32);
        // 5552 bytes is the most that cannot overflow b before the modulo.
        for chunk in data.chunks(5552) {
            for &byte in chunk {
                a += u32::from(byte);
                b += a;
            }
            a %= MOD;
            b %= MOD;
        }
        (b << 16) | a
    }
}
