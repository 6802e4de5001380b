//! Library caps against native CPython of the same version running the same script:
//! zlib compress and decompress of 16 MiB (level 6), best of three.

use std::process::Command;

use anyhow::{Context, Result};

use super::Row;
use crate::compose::Composed;
use crate::launch::{Captured, Launch, Program};

const SCRIPT: &str = r#"
import json, random, time, zlib
# 16 MiB that compresses about 3:1: random words from a small vocabulary.
rng = random.Random(7)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(2000)]
data = b" ".join(rng.choice(words) for _ in range(3_000_000))[: 16 << 20]
def best(fn):
    times = []
    for _ in range(3):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out
c, packed = best(lambda: zlib.compress(data, 6))
d, unpacked = best(lambda: zlib.decompress(packed))
assert unpacked == data
print(json.dumps({"compress": c, "decompress": d, "ratio": len(packed) / len(data)}))
"#;

fn figures(stdout: &str) -> Result<serde_json::Value> {
    serde_json::from_str(stdout.trim()).context("the zlib benchmark printed no JSON")
}

pub fn rows(composed: &Composed, cache_dir: &std::path::Path) -> Result<Vec<Row>> {
    let mut launch = Launch::new(composed, Program::Code { code: SCRIPT.into(), args: Vec::new() }, cache_dir.to_path_buf());
    let captured = Captured::new(1 << 16);
    launch.capture = Some(captured.clone());
    anyhow::ensure!(launch.run()? == 0, "the zlib benchmark failed inside pylon: {}", captured.stderr_text());
    let pylon = figures(&captured.stdout_text())?;
    let out = Command::new(composed.cpython.native_python()).args(["-c", SCRIPT]).output().context("cannot run the native CPython")?;
    anyhow::ensure!(out.status.success(), "the zlib benchmark failed in native CPython: {}", String::from_utf8_lossy(&out.stderr));
    let native = figures(&String::from_utf8_lossy(&out.stdout))?;
    let mibs = |s: f64| format!("{:.0} MiB/s", 16.0 / s);
    let mut rows = Vec::new();
    for (what, key) in [("zlib compress (level 6", "compress"), ("zlib decompress (", "decompress")] {
        let (p, n) = (pylon[key].as_f64().context("no figure")?, native[key].as_f64().context("no figure")?);
        rows.push(Row {
            what: format!("{what}, to {:.0}%), one 16 MiB buffer, best of 3", pylon["ratio"].as_f64().unwrap_or(0.0) * 100.0),
            pylon: mibs(p),
            baseline: format!("{} native CPython 3.13 (its zlib: the system's)", mibs(n)),
            ratio: format!("{:.2}x native", n / p),
        });
    }
    Ok(rows)
}
