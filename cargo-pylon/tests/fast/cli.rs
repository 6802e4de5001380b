//! The command line's usage and error text, as snapshots (`tests/fast/cli/*.toml`, with
//! the expected stdout and stderr beside each); `TRYCMD=overwrite` rewrites them.
//! Nothing here needs a built interpreter: these are parse errors and help.

#[test]
fn usage_and_errors() {
    trycmd::TestCases::new()
        .register_bin(
            "cargo-pylon",
            std::path::Path::new(env!("CARGO_BIN_EXE_cargo-pylon")),
        )
        .case("tests/fast/cli/*.toml");
}
