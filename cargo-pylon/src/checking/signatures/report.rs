//! Failing compose on a mismatch, with what to fix.

use anyhow::{bail, Context, Result};

use super::mismatches;

/// Fail when the linked interpreter `core` reaches a function with the wrong type.
pub fn check(core: &std::path::Path) -> Result<()> {
    let module = std::fs::read(core).with_context(|| format!("cannot read {}", core.display()))?;
    let mut found = mismatches(&module)?;
    if found.is_empty() {
        return Ok(());
    }
    // One line per function and way it is reached, wherever the pointer is stored.
    found.dedup_by(|a, b| a.function == b.function && a.reached_as == b.reached_as);
    let lines: Vec<String> = found
        .iter()
        .map(|m| {
            format!(
                "  {} is reached as {}, which calls it with {} i32 argument(s) and {}, but it is {}",
                m.function,
                m.reached_as,
                m.expected.0,
                if m.expected.1 { "an i32 result" } else { "no result" },
                m.actual
            )
        })
        .collect();
    bail!(
        "{} calls would trap (`indirect call type mismatch`) in {}:\n{}\n  fix: declare each function with exactly the type of its slot (or of its METH_* flags), for example `static int f(PyObject *self)` for tp_clear",
        found.len(),
        core.display(),
        lines.join("\n")
    )
}
