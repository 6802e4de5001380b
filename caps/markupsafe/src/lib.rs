//! The markupsafe cap has no component and no Rust: `linkage = "package"` makes `cargo pylon
//! compose` build MarkupSafe's pinned sdist with setuptools and pylon's WASI compiler, link
//! its C speedups into the interpreter as the builtin module `markupsafe._speedups` and stage
//! its Python files in site-packages. It is the package-cap mechanism with a setuptools
//! backend, beside numpy's meson-python.
