//! crc32c and snappy linked at launch from the plan, against the same caps composed in
//! statically (one scratch workspace, composed both ways in the same run), the native
//! crates on the host, and `binascii.crc32` in the same interpreter (this CPython has no
//! zlib to compare snappy with); and launcher start-up with and without a plan.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::Value;

use super::compose::Scratch;
use super::{median_walls, ms, Row};

const CALLS: usize = 100_000;
const BIG: usize = 16 << 20;

const SCRIPT: &str = r#"
import binascii, json, sys, time
import crc32c, snappy
CALLS = __CALLS__
data = open("/bench/data.bin", "rb").read()
small, packed = data[:64], snappy.compress(data)
def per_call(fn, arg):
    fn(arg)
    start = time.perf_counter()
    for _ in range(CALLS):
        fn(arg)
    return (time.perf_counter() - start) / CALLS
def once(fn, arg):
    best = None
    for _ in range(3):
        start = time.perf_counter()
        fn(arg)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best
cases = {
    "crc_call": lambda: per_call(crc32c.crc32c, small),
    "binascii_call": lambda: per_call(binascii.crc32, small),
    "compress_call": lambda: per_call(snappy.compress, small),
    "crc_big": lambda: once(crc32c.crc32c, data),
    "binascii_big": lambda: once(binascii.crc32, data),
    "compress_big": lambda: once(snappy.compress, data),
    "decompress_big": lambda: once(snappy.decompress, packed),
    "packed": lambda: len(packed) / len(data),
}
print(json.dumps({k: cases[k]() for k in sys.argv[1:] or cases}))
"#;

/// 16 MiB that compresses about as well as mixed real data: 64 KiB blocks alternating
/// pseudo-random bytes, a counter, and repeated text.
fn data() -> Vec<u8> {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    (0..BIG)
        .map(|i| match (i >> 16) % 3 {
            0 => {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (seed >> 56) as u8
            }
            1 => (i / 3) as u8,
            _ => b"the quick brown fox jumps over the lazy dog. "[i % 45],
        })
        .collect()
}

/// Seconds per call and for one pass over `data`, natively.
struct Native {
    crc_call: f64,
    crc_big: f64,
    compress_call: f64,
    compress_big: f64,
    decompress_big: f64,
}

fn best_of_3(mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

fn per_call(mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    for _ in 0..CALLS {
        f();
    }
    start.elapsed().as_secs_f64() / CALLS as f64
}

fn native(data: &[u8]) -> Result<Native> {
    use std::hint::black_box;
    let small = &data[..64];
    let packed = snap::raw::Encoder::new()
        .compress_vec(data)
        .context("snap failed on the benchmark data")?;
    Ok(Native {
        crc_call: per_call(|| {
            black_box(crc32c::crc32c(black_box(small)));
        }),
        crc_big: best_of_3(|| {
            black_box(crc32c::crc32c(black_box(data)));
        }),
        compress_call: per_call(|| {
            black_box(
                snap::raw::Encoder::new()
                    .compress_vec(black_box(small))
                    .ok(),
            );
        }),
        compress_big: best_of_3(|| {
            black_box(snap::raw::Encoder::new().compress_vec(black_box(data)).ok());
        }),
        decompress_big: best_of_3(|| {
            black_box(
                snap::raw::Decoder::new()
                    .decompress_vec(black_box(&packed))
                    .ok(),
            );
        }),
    })
}

/// One run of the script with `args` before `-c` and `keys` (all when empty) after it.
fn run_script(
    scratch: &Scratch,
    grant: &str,
    args: &[&str],
    keys: &[&str],
    dynamic: bool,
) -> Result<Value> {
    let code = SCRIPT.replace("__CALLS__", &CALLS.to_string());
    let args = [&["probe"], args, &["--dir", grant, "-c", &code], keys].concat();
    let mut cmd = scratch.command(&args);
    if dynamic {
        cmd.env("PYLON_LINK_DYNAMIC", "1");
    }
    let out = cmd.output().context("cannot run cargo-pylon probe")?;
    anyhow::ensure!(
        out.status.success(),
        "the dynlink benchmark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).context("the dynlink benchmark printed no JSON")
}

/// The script's figures inside the scratch workspace's interpreter, best of `rounds`
/// runs of each way of linking, the two taking turns.
fn inside(scratch: &Scratch, grant: &str, plan: &str, rounds: usize) -> Result<(Value, Value)> {
    let (mut linked, mut fixed) = (Value::Null, Value::Null);
    for _ in 0..rounds {
        for (args, best) in [(vec!["--plan", plan], &mut linked), (vec![], &mut fixed)] {
            let run = run_script(scratch, grant, &args, &[], false)?;
            *best = keep_fastest(std::mem::take(best), run);
        }
    }
    Ok((linked, fixed))
}

/// Per key, the smaller time (`packed` is the same in every run).
fn keep_fastest(best: Value, run: Value) -> Value {
    let (Value::Object(mut best), Value::Object(run)) = (best, run.clone()) else {
        return run;
    };
    for (key, value) in run {
        let faster = match (best.get(&key).and_then(Value::as_f64), value.as_f64()) {
            (Some(old), Some(new)) => new < old,
            _ => true,
        };
        if faster {
            best.insert(key, value);
        }
    }
    Value::Object(best)
}

pub fn rows(root: &Path, runs: usize) -> Result<Vec<Row>> {
    let scratch = Scratch::new(root, &["crc32c", "snappy"])?;
    let dir = tempfile::tempdir().context("cannot make a folder for the benchmark data")?;
    let data = data();
    std::fs::write(dir.path().join("data.bin"), &data)
        .context("cannot write the benchmark data")?;
    let grant = format!("{}:/bench", dir.path().display());

    // The caps as they ship, linked at launch: kept aside with their plan...
    scratch.pylon(&["compose"])?;
    let linked_dir = dir.path().join("linked");
    std::fs::create_dir_all(&linked_dir).context("cannot make a folder for the benchmark")?;
    for file in [
        "pylon.wasm",
        pylon_runtime::layout::PREINIT_FILE_NAME,
        pylon_runtime::plan::FILE_NAME,
    ] {
        std::fs::copy(scratch.ws.join("out").join(file), linked_dir.join(file))
            .with_context(|| format!("cannot copy {file}"))?;
    }
    crate::support::fs::copy_dir(
        &scratch
            .ws
            .join("out")
            .join(pylon_runtime::plan::PROVIDERS_DIR),
        &linked_dir.join(pylon_runtime::plan::PROVIDERS_DIR),
    )?;
    let plan = linked_dir
        .join(pylon_runtime::plan::FILE_NAME)
        .display()
        .to_string();
    // ...then the same caps plugged in at compose time, measured in turns with them.
    for cap in ["crc32c", "snappy"] {
        scratch.edit(
            &format!("caps/{cap}/Cargo.toml"),
            "linkage = \"dynlink\"",
            "linkage = \"static\"",
        )?;
    }
    scratch.pylon(&["compose"])?;
    let (linked, fixed) = inside(&scratch, &grant, &plan, 3)?;
    // What the typed path saves: crc32c forced through dynamic values (one run; slow).
    let dynamic = run_script(
        &scratch,
        &grant,
        &["--plan", &plan],
        &["crc_call", "crc_big"],
        true,
    )?;
    let starts = median_walls(
        &mut [
            &mut || scratch.command(&["probe", "--plan", &plan, "-c", "pass"]),
            &mut || scratch.command(&["probe", "-c", "pass"]),
        ],
        runs,
    )?;
    let host = native(&data)?;

    let get = |v: &Value, k: &str| {
        v[k].as_f64()
            .with_context(|| format!("no {k} in the benchmark output"))
    };
    let us = |s: f64| format!("{:.2} µs", s * 1e6);
    let mibs = |s: f64| format!("{:.0} MiB/s", (BIG as f64 / (1 << 20) as f64) / s);
    // Per call (64 B, time per call: lower is better) or throughput (one 16 MiB buffer,
    // shown as MiB/s); `builtin` is `binascii.crc32`'s key, where it compares.
    let row = |what: &str,
               per_call: bool,
               key: &str,
               builtin: Option<&str>,
               native: f64|
     -> Result<Row> {
        let (d, s) = (get(&linked, key)?, get(&fixed, key)?);
        let (unit, size): (&dyn Fn(f64) -> String, String) = if per_call {
            (&us, format!("64 B x {CALLS}"))
        } else {
            (&mibs, "one 16 MiB buffer".into())
        };
        let same = match builtin {
            Some(k) => format!(
                "{} binascii.crc32 (same interpreter); ",
                unit(get(&fixed, k)?)
            ),
            None => String::new(),
        };
        let ratio = if per_call {
            format!("{:.2}x static; {:.0}x native", d / s, d / native)
        } else {
            format!("{:.2}x static; {:.2}x native", s / d, native / d)
        };
        Ok(Row {
            what: format!("{what}, {size}"),
            pylon: format!("{} dynlink", unit(d)),
            baseline: format!("{} static; {same}{} native crate", unit(s), unit(native)),
            ratio,
        })
    };
    Ok(vec![
        row("crc32c per call, `crc32c.crc32c(data)`", true, "crc_call", Some("binascii_call"), host.crc_call)?,
        row("crc32c throughput", false, "crc_big", Some("binascii_big"), host.crc_big)?,
        row("snappy per call, `snappy.compress(data)`", true, "compress_call", None, host.compress_call)?,
        row(&format!("snappy compress throughput (to {:.0}%)", get(&fixed, "packed")? * 100.0), false, "compress_big", None, host.compress_big)?,
        row("snappy decompress throughput", false, "decompress_big", None, host.decompress_big)?,
        Row {
            what: "crc32c dynlink forced through dynamic values (`PYLON_LINK_DYNAMIC=1`): per 64 B call; one 16 MiB buffer".into(),
            pylon: format!("{}; {}", us(get(&dynamic, "crc_call")?), mibs(get(&dynamic, "crc_big")?)),
            baseline: format!("{}; {} typed forwarding", us(get(&linked, "crc_call")?), mibs(get(&linked, "crc_big")?)),
            ratio: format!("{:.2}x; {:.0}x slower", get(&dynamic, "crc_call")? / get(&linked, "crc_call")?, get(&dynamic, "crc_big")? / get(&linked, "crc_big")?),
        },
        Row {
            what: format!("warm start `probe -c \"pass\"` with crc32c and snappy (median of {runs} processes)"),
            pylon: format!("{} with the plan (2 providers linked at launch)", ms(starts[0])),
            baseline: format!("{} without a plan (both composed in)", ms(starts[1])),
            ratio: format!("{:+.1} ms", (starts[0].as_secs_f64() - starts[1].as_secs_f64()) * 1e3),
        },
    ])
}
