//! blake3 through the cap, against `hashlib.blake2b` in the same interpreter and the
//! native `blake3` crate on the host: per-call overhead (64-byte inputs) and throughput
//! (one 16 MiB buffer).

use std::time::Instant;

use anyhow::{Context, Result};

use super::Row;
use crate::composing::compose::Composed;
use crate::running::launch::{Captured, Launch, Program};

pub const CALLS: usize = 100_000;
pub const BIG: usize = 16 << 20;

const SCRIPT: &str = r#"
import hashlib, json, time
import _blake3_cap, blake3
CALLS, BIG = __CALLS__, __BIG__
small, big = bytes(range(64)), bytes(BIG)
def per_call(fn):
    fn(small)
    start = time.perf_counter()
    for _ in range(CALLS):
        fn(small)
    return (time.perf_counter() - start) / CALLS
def once(fn):
    fn(big)
    start = time.perf_counter()
    fn(big)
    return time.perf_counter() - start
print(json.dumps({
    "blake3_call": per_call(lambda d: blake3.blake3(d).digest()),
    "cap_call": per_call(lambda d: _blake3_cap.hash(d, 32)),
    "blake2b_call": per_call(lambda d: hashlib.blake2b(d).digest()),
    "blake3_big": once(lambda d: blake3.blake3(d).digest()),
    "blake2b_big": once(lambda d: hashlib.blake2b(d).digest()),
}))
"#;

fn native_per_call() -> f64 {
    let data: Vec<u8> = (0..64).collect();
    let start = Instant::now();
    for _ in 0..CALLS {
        std::hint::black_box(blake3::hash(std::hint::black_box(&data)));
    }
    start.elapsed().as_secs_f64() / CALLS as f64
}

fn native_big() -> f64 {
    let data = vec![0u8; BIG];
    blake3::hash(&data);
    let start = Instant::now();
    std::hint::black_box(blake3::hash(std::hint::black_box(&data)));
    start.elapsed().as_secs_f64()
}

pub fn rows(composed: &Composed, cache_dir: &std::path::Path) -> Result<Vec<Row>> {
    let code = SCRIPT
        .replace("__CALLS__", &CALLS.to_string())
        .replace("__BIG__", &BIG.to_string());
    let mut launch = Launch::new(
        composed,
        Program::Code {
            code,
            args: Vec::new(),
        },
        cache_dir.to_path_buf(),
    );
    let captured = Captured::new(1 << 16);
    launch.sandbox.capture = Some(captured.clone());
    let code = launch.run()?;
    anyhow::ensure!(
        code == 0,
        "the hashing benchmark failed inside pylon: {}",
        captured.stderr_text()
    );
    let r: serde_json::Value = serde_json::from_str(captured.stdout_text().trim())
        .context("the benchmark printed no JSON")?;
    let get = |k: &str| {
        r[k].as_f64()
            .with_context(|| format!("no {k} in the benchmark output"))
    };
    let (native_call, native_big) = (native_per_call(), native_big());
    let us = |s: f64| format!("{:.2} µs", s * 1e6);
    let mibs = |s: f64| format!("{:.0} MiB/s", (BIG as f64 / (1 << 20) as f64) / s);
    Ok(vec![
        Row {
            what: format!("blake3 per call, `blake3(data).digest()`, 64 B x {CALLS}"),
            pylon: us(get("blake3_call")?),
            baseline: format!(
                "{} hashlib.blake2b (same interpreter); {} native crate",
                us(get("blake2b_call")?),
                us(native_call)
            ),
            ratio: format!(
                "{:.2}x blake2b; {:.0}x native",
                get("blake3_call")? / get("blake2b_call")?,
                get("blake3_call")? / native_call
            ),
        },
        Row {
            what: format!("blake3 per call, one-shot `_blake3_cap.hash(data, 32)`, 64 B x {CALLS}"),
            pylon: us(get("cap_call")?),
            baseline: format!(
                "{} hashlib.blake2b; {} native crate",
                us(get("blake2b_call")?),
                us(native_call)
            ),
            ratio: format!(
                "{:.2}x blake2b; {:.0}x native",
                get("cap_call")? / get("blake2b_call")?,
                get("cap_call")? / native_call
            ),
        },
        Row {
            what: "blake3 throughput, one 16 MiB buffer".into(),
            pylon: mibs(get("blake3_big")?),
            baseline: format!(
                "{} hashlib.blake2b (same interpreter); {} native crate",
                mibs(get("blake2b_big")?),
                mibs(native_big)
            ),
            ratio: format!(
                "{:.2}x blake2b; {:.2}x native",
                get("blake2b_big")? / get("blake3_big")?,
                native_big / get("blake3_big")?
            ),
        },
    ])
}
