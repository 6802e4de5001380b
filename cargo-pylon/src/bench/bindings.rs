//! Per-call overhead of a generated extension against the hand-written one it replaced,
//! for the same function (`_blake3_cap.hash(data, 32)` on 64 bytes), composed one after
//! the other in a scratch copy of the workspace.

use std::path::Path;

use anyhow::{Context, Result};

use super::compose::Scratch;
use super::Row;

const CALLS: usize = 200_000;
const SCRIPT: &str = "import time, _blake3_cap\nd = bytes(range(64))\n_blake3_cap.hash(d, 32)\nbest = 1e9\nfor _ in range(3):\n    t = time.perf_counter()\n    for _ in range(CALLS):\n        _blake3_cap.hash(d, 32)\n    best = min(best, time.perf_counter() - t)\nprint(best / CALLS)\n";

fn per_call(scratch: &Scratch) -> Result<f64> {
    let code = SCRIPT.replace("CALLS", &CALLS.to_string());
    let out = scratch.pylon(&["probe", "-c", &code])?;
    out.trim()
        .parse()
        .with_context(|| format!("the timing script printed {out:?}"))
}

pub fn rows(root: &Path) -> Result<Vec<Row>> {
    let handwritten = root.join("tests/fixtures/handwritten/blake3_cap.c");
    let scratch = Scratch::new(root, &["blake3"])?;
    let generated = per_call(&scratch)?;
    std::fs::create_dir_all(scratch.ws.join("caps/blake3/ext"))?;
    std::fs::copy(
        &handwritten,
        scratch.ws.join("caps/blake3/ext/blake3_cap.c"),
    )
    .with_context(|| format!("cannot copy {}", handwritten.display()))?;
    scratch.edit(
        "caps/blake3/Cargo.toml",
        "source = \"generated\"",
        "source = \"ext/blake3_cap.c\"",
    )?;
    let hand = per_call(&scratch)?;
    Ok(vec![Row {
        what: format!(
            "generated binding per call, `_blake3_cap.hash(data, 32)`, 64 B, best of 3 x {CALLS}"
        ),
        pylon: format!("{:.3} µs", generated * 1e6),
        baseline: format!("{:.3} µs hand-written C extension", hand * 1e6),
        ratio: format!("{:.2}x", generated / hand),
    }])
}
