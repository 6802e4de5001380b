//! Small, checked edits to the staged standard library for what WASI lacks.
//!
//! Each edit must find its exact original text, so a new CPython release that changes
//! the code fails the staging loudly instead of running unpatched.

use std::path::Path;

use anyhow::{bail, Context, Result};

struct Patch {
    file: &'static str,
    why: &'static str,
    original: &'static str,
    replacement: &'static str,
}

/// asyncio's event loop opens a socket pair to wake itself from other threads and
/// signal handlers; WASI has neither socketpair nor pipe, nor threads or signals to
/// wake it, so the loop runs without one.
const PATCHES: &[Patch] = &[
    Patch {
        file: "asyncio/selector_events.py",
        why: "WASI has no socketpair for the event loop's self-pipe",
        original: "    def _make_self_pipe(self):\n        # A self-socket, really. :-)\n        self._ssock, self._csock = socket.socketpair()\n",
        replacement: "    def _make_self_pipe(self):\n        # A self-socket, really. :-)\n        try:\n            self._ssock, self._csock = socket.socketpair()\n        except OSError:  # pylon: WASI has no socketpair, nor threads or signals to wake the loop\n            self._ssock = self._csock = None\n            return\n",
    },
    Patch {
        file: "asyncio/selector_events.py",
        why: "closing the loop must tolerate the missing self-pipe",
        original: "    def _close_self_pipe(self):\n",
        replacement: "    def _close_self_pipe(self):\n        if self._ssock is None:  # pylon: see _make_self_pipe\n            return\n",
    },
];

pub(super) fn apply(stdlib: &Path) -> Result<()> {
    for patch in PATCHES {
        let path = stdlib.join(patch.file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if text.matches(patch.original).count() != 1 {
            bail!(
                "pylon's WASI patch to {} ({}) no longer applies to this CPython; the patch list in pylon-sys needs updating",
                patch.file, patch.why
            );
        }
        let text = text.replacen(patch.original, patch.replacement, 1);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Identifies the patch set, for the runtime's cache key.
pub(super) fn fingerprint() -> String {
    PATCHES
        .iter()
        .map(|p| format!("{}|{}|{}", p.file, p.original, p.replacement))
        .collect()
}
