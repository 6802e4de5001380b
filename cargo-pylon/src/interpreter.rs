//! The interpreter a run uses: inside a cargo workspace, its composed `pylon.wasm`
//! (composed first if anything changed); elsewhere, the bare interpreter (no caps)
//! composed in the cache.

use anyhow::Result;
use pylon_sys::Home;

use crate::compose::{self, Composed, Target};
use crate::discover;

pub fn prepare(home: &Home) -> Result<Composed> {
    let workspace = discover::current(home)?;
    let python = workspace.as_ref().and_then(|ws| ws.settings.python.clone());
    let (toolchain, cpython) = compose::base(home, python.as_deref())?;
    match workspace {
        Some(ws) => compose::compose(&toolchain, cpython, &ws.caps, &Target::for_workspace(&ws)),
        None => {
            let target = Target::bare(&cpython);
            compose::compose(&toolchain, cpython, &[], &target)
        }
    }
}
