//! The numpy cap has no component and no Rust: `linkage = "package"` makes `cargo pylon
//! compose` build numpy's pinned sdist with its own meson build (through meson-python) and
//! pylon's WASI compilers, link each extension module into the interpreter as a builtin
//! module under its dotted name (`numpy._core._multiarray_umath`) and stage numpy's Python
//! files in site-packages.
