//! Library caps against native CPython of the same version running the same script: zlib
//! and lzma compress and decompress of 16 MiB, and sqlite3's 100k inserts in one
//! transaction then 10k indexed queries, and hashlib's key derivation over OpenSSL (best of
//! three each).

use std::process::Command;

use anyhow::{Context, Result};

use super::Row;
use crate::composing::compose::Composed;
use crate::running::launch::{Captured, Launch, Program};

const SCRIPT: &str = r#"
import hashlib, json, lzma, random, sqlite3, time, zlib
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
figures = {}
for name, compress, decompress in (
    ("zlib", lambda: zlib.compress(data, 6), zlib.decompress),
    ("lzma", lambda: lzma.compress(data, preset=1), lzma.decompress),
):
    figures[name + "_compress"], packed = best(compress)
    figures[name + "_decompress"], unpacked = best(lambda: decompress(packed))
    figures[name + "_ratio"] = len(packed) / len(data)
    assert unpacked == data
def database():
    con = sqlite3.connect(":memory:")
    con.execute("create table t (id integer primary key, name text, score real)")
    with con:
        con.executemany("insert into t (name, score) values (?, ?)", ((f"name{i}", i * 0.5) for i in range(100_000)))
    con.execute("create index t_name on t (name)")
    return con
figures["sqlite_insert"], con = best(database)
figures["sqlite_query"], _ = best(lambda: [con.execute("select score from t where name = ?", (f"name{i * 7}",)).fetchone() for i in range(10_000)])
figures["pbkdf2"], _ = best(lambda: hashlib.pbkdf2_hmac("sha256", b"password", b"salt" * 4, 100_000))
figures["scrypt"], _ = best(lambda: hashlib.scrypt(b"password", salt=b"salt" * 4, n=2**14, r=8, p=1))
print(json.dumps(figures))
"#;

fn figures(stdout: &str) -> Result<serde_json::Value> {
    serde_json::from_str(stdout.trim()).context("the stdlib benchmark printed no JSON")
}

pub fn rows(composed: &Composed, cache_dir: &std::path::Path) -> Result<Vec<Row>> {
    let mut launch = Launch::new(
        composed,
        Program::Code {
            code: SCRIPT.into(),
            args: Vec::new(),
        },
        cache_dir.to_path_buf(),
    );
    let captured = Captured::new(1 << 16);
    launch.sandbox.capture = Some(captured.clone());
    anyhow::ensure!(
        launch.run()? == 0,
        "the stdlib benchmark failed inside pylon: {}",
        captured.stderr_text()
    );
    let pylon = figures(&captured.stdout_text())?;
    let out = Command::new(composed.cpython.native_python())
        .args(["-c", SCRIPT])
        .output()
        .context("cannot run the native CPython")?;
    anyhow::ensure!(
        out.status.success(),
        "the stdlib benchmark failed in native CPython: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let native = figures(&String::from_utf8_lossy(&out.stdout))?;
    let get = |v: &serde_json::Value, key: &str| {
        v[key]
            .as_f64()
            .with_context(|| format!("no {key} in the benchmark output"))
    };
    let mut rows = Vec::new();
    for lib in ["zlib", "lzma"] {
        let ratio = get(&pylon, &format!("{lib}_ratio"))? * 100.0;
        for (op, what) in [
            ("compress", format!("compress (to {ratio:.0}%)")),
            ("decompress", "decompress".to_string()),
        ] {
            let key = format!("{lib}_{op}");
            let (p, n) = (get(&pylon, &key)?, get(&native, &key)?);
            rows.push(Row {
                what: format!("{lib} {what}, one 16 MiB buffer, best of 3"),
                pylon: format!("{:.0} MiB/s", 16.0 / p),
                baseline: format!(
                    "{:.0} MiB/s native CPython 3.13 (its {lib}: the system's)",
                    16.0 / n
                ),
                ratio: format!("{:.2}x native", n / p),
            });
        }
    }
    for (key, what, library) in [
        (
            "sqlite_insert",
            "sqlite3: 100k inserts in one transaction, then an index",
            "sqlite",
        ),
        ("sqlite_query", "sqlite3: 10k indexed lookups", "sqlite"),
        (
            "pbkdf2",
            "hashlib.pbkdf2_hmac sha256, 100k iterations",
            "OpenSSL",
        ),
        ("scrypt", "hashlib.scrypt n=2**14 r=8 p=1", "OpenSSL"),
    ] {
        let (p, n) = (get(&pylon, key)?, get(&native, key)?);
        rows.push(Row {
            what: format!("{what}, best of 3"),
            pylon: format!("{:.0} ms", p * 1e3),
            baseline: format!(
                "{:.0} ms native CPython 3.13 (its {library}: the system's)",
                n * 1e3
            ),
            ratio: format!("{:.2}x", p / n),
        });
    }
    Ok(rows)
}
