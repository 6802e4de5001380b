//! The interpreter a run uses: inside a cargo workspace, its composed `pylon.wasm`
//! (composed first if anything changed); elsewhere, the bare interpreter (no caps)
//! composed in the cache.

use anyhow::Result;
use pylon_sys::Home;

use crate::compose::{self, Composed, Target};
use crate::discover;

pub fn prepare(home: &Home) -> Result<Composed> {
    match discover::current(home)? {
        Some(ws) => compose::workspace(home, &ws),
        None => {
            let (toolchain, cpython) = compose::base(home, None)?;
            let target = Target::bare(&cpython);
            compose::compose(&toolchain, cpython, &[], &target)
        }
    }
}
