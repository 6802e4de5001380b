//! Where a launch's time goes: the wall time of each phase, as one line a host can print
//! ([`Phases::line`]; `cargo pylon` prints it with `PYLON_PHASES=1`, and its bench reads it).

use std::cell::RefCell;
use std::time::{Duration, Instant};

const PREFIX: &str = "pylon phases:";

/// The phases, in order, with what each covers.
pub const ALL: &[(&str, &str)] = &[
    ("load", "wasmtime's engine configured, the compiled component (and providers) read from the cache and pre-instantiated"),
    ("stage", "the guest's root folder made"),
    ("link", "WASI context and store (and the providers linked)"),
    ("instantiate", "the interpreter instantiated"),
    ("run", "CPython started (or resumed from its snapshot), the program run, CPython finalized"),
    ("exit", "root folder removed, async runtime stopped"),
];

/// When the last phase ended, and each phase's time so far.
type Marks = (Instant, Vec<(&'static str, Duration)>);

/// The phases of one run, or nothing when off.
pub struct Phases(Option<RefCell<Marks>>);

impl Phases {
    /// No accounting (a library host's runs).
    pub fn off() -> Self {
        Self(None)
    }

    /// Accounting from now on.
    pub fn on() -> Self {
        Self(Some(RefCell::new((Instant::now(), Vec::new()))))
    }

    /// The phase `name` ends now.
    pub fn mark(&self, name: &'static str) {
        if let Some(cell) = &self.0 {
            let (last, marks) = &mut *cell.borrow_mut();
            let now = Instant::now();
            marks.push((name, now - *last));
            *last = now;
        }
    }

    /// The phases so far as one line (milliseconds each), which [`parse`] reads back.
    pub fn line(&self) -> Option<String> {
        let cell = self.0.as_ref()?;
        let shown: Vec<String> = cell
            .borrow()
            .1
            .iter()
            .map(|(name, d)| format!("{name}={:.3}", d.as_secs_f64() * 1e3))
            .collect();
        Some(format!("{PREFIX} {}", shown.join(" ")))
    }
}

/// The milliseconds per phase in a run's stderr.
pub fn parse(stderr: &str) -> Option<Vec<(String, f64)>> {
    let line = stderr.lines().rev().find_map(|l| l.strip_prefix(PREFIX))?;
    line.split_whitespace()
        .map(|pair| {
            let (name, ms) = pair.split_once('=')?;
            Some((name.to_string(), ms.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_report_line_parses_back() {
        let parsed = super::parse("hello\npylon phases: load=1.250 run=10.000\n").unwrap();
        assert_eq!(
            parsed,
            vec![("load".to_string(), 1.25), ("run".to_string(), 10.0)]
        );
        assert!(super::parse("nothing here").is_none());
    }
}
