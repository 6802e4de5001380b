//! The C++ runtime for WASI: LLVM 19's libc++ and libc++abi as Debian builds them for
//! wasm32, for packages whose compiled part is C++ (numpy's sorting, FFT and ufunc
//! tables).
//!
//! It is fetched only when such a package is composed, and kept apart from the toolchain's
//! identity so that it never makes CPython rebuild. The packages are unpacked, not
//! installed: installing them would pull the suite's own (older) wasi-libc onto the
//! machine. Debian builds them without exceptions, so `throw` in a package's C++ has no
//! runtime to unwind with (see the glue that answers for it).

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::debian::{self, Suite};
use crate::home::Home;
use crate::progress::Step;

/// The suite and version of both packages: the one that matches the machine's clang 19.
const SUITE: &str = "bookworm";
const VERSION: &str = "1:19.1.7-3~deb12u1";
const PACKAGES: &[&str] = &["libc++-19-dev-wasm32", "libc++abi-19-dev-wasm32"];

/// Where the unpacked packages keep their parts.
const HEADERS: &str = "usr/lib/llvm-19/include/wasm32-wasi/c++/v1";
const LIBS: &str = "usr/lib/llvm-19/lib/wasm32-wasi";

/// An unpacked C++ runtime.
#[derive(Debug, Clone)]
pub struct CxxRuntime {
    root: PathBuf,
}

impl CxxRuntime {
    /// The runtime in the pylon home, fetched and unpacked on first need.
    pub fn ensure(home: &Home) -> Result<Self> {
        let version = VERSION.replace(['~', '+', ':'], "_");
        let root = home
            .root()
            .join("toolchain")
            .join(format!("libcxx-wasm32-{version}"));
        if !crate::home::is_published(&root) {
            let step = Step::start("fetch the C++ runtime (libc++ for wasm32, once)");
            crate::home::fill_once(&root, |scratch| {
                let suite = Suite::open(SUITE, &home.dir("apt")?, &step)?;
                let debs = home.downloads()?.join("debs");
                for package in PACKAGES {
                    let deb = suite.download(&format!("{package}={VERSION}"), &debs, &step)?;
                    debian::unpack(&deb, scratch, &step)?;
                }
                Ok(())
            })?;
            step.finish();
        }
        let runtime = Self { root };
        for part in [runtime.headers(), runtime.libs()[0].clone()] {
            anyhow::ensure!(
                part.exists(),
                "the C++ runtime in {} has no {}; remove the folder to fetch it again",
                runtime.root.display(),
                part.display()
            );
        }
        Ok(runtime)
    }

    /// The C++ standard library's headers, for `-isystem`.
    pub fn headers(&self) -> PathBuf {
        self.root.join(HEADERS)
    }

    /// The archives a link of C++ objects needs.
    pub fn libs(&self) -> Vec<PathBuf> {
        let dir = self.root.join(LIBS);
        vec![dir.join("libc++.a"), dir.join("libc++abi.a")]
    }

    /// The runtime as a part that ships in an interpreter linking it (for licensing).
    pub fn bundled() -> crate::bundled::Bundled {
        crate::bundled::Bundled {
            name: "libc++ and libc++abi for wasm32 (LLVM)".into(),
            version: "19.1.7".into(),
            license: "Apache-2.0 WITH LLVM-exception".into(),
        }
    }

    /// What identifies the runtime in cache keys (known before it is fetched).
    pub fn identity() -> String {
        format!("{} {VERSION}", PACKAGES.join(" "))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}
