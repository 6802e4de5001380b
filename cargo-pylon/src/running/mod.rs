//! Running Python in a composition: the launcher over pylon-runtime, the smoke tests and
//! the upstream projects' own suites.

pub mod launch;
pub mod smoke;
pub mod upstream;
