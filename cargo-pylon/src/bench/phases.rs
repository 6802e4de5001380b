//! Where the start of `probe -c pass` goes, phase by phase (the launcher's own account,
//! `PYLON_PHASES=1`), against the whole process's wall time.

use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::Row;
use crate::running::launch::phases;

pub fn rows(runs: usize) -> Result<Vec<Row>> {
    let exe = std::env::current_exe().context("cannot find the running cargo-pylon")?;
    let mut per_phase: Vec<Vec<f64>> = vec![Vec::new(); phases::ALL.len()];
    let mut walls = Vec::new();
    for round in 0..runs + 2 {
        let started = Instant::now();
        let out = Command::new(&exe)
            .args(["probe", "-c", "pass"])
            .env("PYLON_PHASES", "1")
            .output()
            .context("cannot run cargo-pylon probe")?;
        let wall = started.elapsed().as_secs_f64() * 1e3;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!("probe -c pass failed during the benchmark: {stderr}");
        }
        let measured = phases::parse(&stderr).context("the launcher reported no phases")?;
        if round < 2 {
            continue;
        }
        walls.push(wall);
        for ((name, _), times) in phases::ALL.iter().zip(&mut per_phase) {
            let ms = measured
                .iter()
                .find(|(n, _)| n == name)
                .with_context(|| format!("no phase {name} reported"))?
                .1;
            times.push(ms);
        }
    }
    let medians: Vec<f64> = per_phase.into_iter().map(median).collect();
    let wall = median(walls);
    let mut rows: Vec<Row> = phases::ALL
        .iter()
        .zip(&medians)
        .map(|((name, covers), ms)| Row {
            what: format!("start-up phase `{name}`: {covers} (`probe -c pass`, median of {runs})"),
            pylon: format!("{ms:.1} ms"),
            baseline: format!("{wall:.1} ms whole process"),
            ratio: format!("{:.0}%", ms / wall * 100.0),
        })
        .collect();
    let rest = wall - medians.iter().sum::<f64>();
    rows.push(Row {
        what:
            "start-up before the launch: process start, workspace discovery, compose's quick check"
                .into(),
        pylon: format!("{rest:.1} ms"),
        baseline: format!("{wall:.1} ms whole process"),
        ratio: format!("{:.0}%", rest / wall * 100.0),
    });
    Ok(rows)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
