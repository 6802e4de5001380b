//! The files `cargo pylon new` writes: each a function of the cap's names.

use super::newcap::{Facade, Spec};
use crate::workspace::manifest::Linkage;

pub(super) fn cargo_toml(
    spec: &Spec,
    ext: &str,
    world: &str,
    module: &str,
    interface: &str,
    version: &str,
    hostile: bool,
) -> String {
    let hostile = if hostile {
        format!(
            "hostile = \"tests/{}_hostile.py\"\n",
            spec.name.replace('-', "_")
        )
    } else {
        String::new()
    };
    format!(
        r#"[package]
name = "{name}-cap"
description = "pylon cap: {name}"
version = "0.1.0"
edition = "2021"
license = "MIT"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
wit-bindgen = "0.63"

[package.metadata.pylon]
packages = ["{module}"]
linkage = "{linkage}"
smoke = "tests/{snake}_smoke.py"
{hostile}
[package.metadata.pylon.extension]
module = "{ext}"
# The CPython extension is generated from the WIT by `cargo pylon compose`.
source = "generated"
wit = "wit"
world = "{world}"

[[package.metadata.pylon.requires]]
interface = "{interface}"
version = "{version}"

[package.metadata.pylon.provides]
module = "{module}"
facade = "{facade}"
dest = "{dest}"
"#,
        facade = Facade::of(spec, module).facade,
        dest = Facade::of(spec, module).dest,
        name = spec.name,
        snake = spec.name.replace('-', "_"),
        linkage = match spec.linkage {
            Linkage::Static => "static",
            Linkage::Dynlink => "dynlink",
            Linkage::Interpreter => "interpreter",
            Linkage::Package => "package",
        },
    )
}

pub(super) fn wit(spec: &Spec, ns: &str, pkg: &str, iface: &str, version: &str) -> String {
    format!(
        r#"package {ns}:{pkg}@{version};

/// {name}: replace these with the capability Python should have.
///
/// Nothing Python passes may trap the component: work whose size depends on the input
/// returns a `result` and checks that size before allocating (docs/CAPS.md).
interface {iface} {{
    /// A greeting for `name`, said `times` times; an error when it would not fit in memory.
    greet: func(name: string, times: u32) -> result<string, string>;

    /// The Adler-32 checksum of `data`.
    adler32: func(data: list<u8>) -> u32;
}}

/// What the cap's component provides.
world {name}-provider {{
    export {iface};
}}

/// What the generated CPython extension is built against.
world {name}-ext {{
    import {iface};
}}
"#,
        name = spec.name
    )
}

pub(super) fn rust(spec: &Spec, ns: &str, pkg: &str, iface: &str) -> String {
    let path = [ns, pkg, iface].map(|p| p.replace('-', "_")).join("::");
    format!(
        r#"//! The {name} cap's component (built for wasm32-wasip2 by `cargo pylon compose`).

#![cfg(target_family = "wasm")]

use exports::{path}::Guest;

wit_bindgen::generate!({{ world: "{name}-provider", path: "wit" }});

struct Cap;

export!(Cap);

impl Guest for Cap {{
    fn greet(name: String, times: u32) -> Result<String, String> {{
        let one = format!("Hello, {{name}}!");
        // Size first, then a fallible reservation: a failed allocation in a component
        // aborts, a trap that would end the whole interpreter.
        let len = one.len().checked_mul(times as usize).ok_or("the greeting is too long")?;
        let mut out = String::new();
        out.try_reserve_exact(len).map_err(|_| format!("cannot allocate {{len}} bytes for the greeting"))?;
        for _ in 0..times {{
            out.push_str(&one);
        }}
        Ok(out)
    }}

    fn adler32(data: Vec<u8>) -> u32 {{
        const MOD: u32 = 65521;
        let (mut a, mut b) = (1u32, 0u32);
        // 5552 bytes is the most that cannot overflow b before the modulo.
        for chunk in data.chunks(5552) {{
            for &byte in chunk {{
                a += u32::from(byte);
                b += a;
            }}
            a %= MOD;
            b %= MOD;
        }}
        (b << 16) | a
    }}
}}
"#,
        name = spec.name
    )
}

/// The cap's two worlds, beside a `--from-wit` package's own files.
pub(super) fn worlds(spec: &Spec, ns: &str, pkg: &str, iface: &str, version: &str) -> String {
    format!(
        "package {ns}:{pkg}@{version};\n\n/// What the cap's component provides.\nworld {name}-provider {{\n    export {iface};\n}}\n\n/// What the generated CPython extension is built against.\nworld {name}-ext {{\n    import {iface};\n}}\n",
        name = spec.name
    )
}

pub(super) fn stub_rust(spec: &Spec) -> String {
    format!(
        r#"//! The {name} cap's component (built for wasm32-wasip2 by `cargo pylon compose`).
//!
//! `stubs` makes wit-bindgen export an implementation whose functions are not written
//! yet (calling one traps). Replace it: drop `stubs`, implement the generated `Guest`
//! traits on your own type and `export!` it.

#![cfg(target_family = "wasm")]

wit_bindgen::generate!({{ world: "{name}-provider", path: "wit", stubs }});
"#,
        name = spec.name
    )
}

pub(super) fn reexport_facade(module: &str, ext: &str) -> String {
    format!("\"\"\"{module}: Python's face of the cap (the work runs in its WebAssembly component).\"\"\"\n\nfrom {ext} import *  # noqa: F403\nfrom {ext} import Error  # noqa: F401\n")
}

pub(super) fn names_smoke(module: &str, names: &[String]) -> String {
    let list = names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "\"\"\"Smoke test for {module}: the interface is importable. Call each function once it is implemented.\"\"\"\nimport {module}\n\nfor name in [{list}]:\n    assert hasattr({module}, name), name\nprint(\"{module} ok\")\n"
    )
}

pub(super) fn facade(module: &str, ext: &str) -> String {
    format!(
        r#""""{module}: Python's face of the cap (the work runs in its WebAssembly component)."""

from {ext} import Error, adler32, greet

__all__ = ["Error", "adler32", "greet"]
"#
    )
}

pub(super) fn smoke(module: &str) -> String {
    format!(
        r#""""Smoke test for {module}, run inside pylon by `cargo pylon smoke`."""
import {module}

assert {module}.greet("pylon", 1) == "Hello, pylon!"
assert {module}.greet("pylon", 2) == "Hello, pylon!Hello, pylon!"
# A size memory cannot hold is an exception, never a trap.
try:
    {module}.greet("pylon", 2**32 - 1)
except {module}.Error:
    pass
else:
    raise AssertionError("a huge greeting must raise {module}.Error")
assert {module}.adler32(b"Wikipedia") == 0x11E60398
assert {module}.adler32(b"") == 1
assert {module}.adler32(bytes(100_000)) == {module}.adler32(bytearray(100_000))
try:
    {module}.greet(42, 1)
except TypeError:
    pass
else:
    raise AssertionError("greet(42, 1) must raise TypeError")
print("{module} ok")
"#
    )
}

pub(super) fn hostile(module: &str, ext: &str) -> String {
    format!(
        r#""""Hostile inputs for {module}: every exported function driven with bad arguments.
Only Python exceptions may come out; a trap would end the interpreter and fail the test."""
import {ext}
from pylon_hostile import Fuzz

fuzz = Fuzz()
fuzz.drive({ext}.greet, fuzz.strings(), fuzz.integers())
fuzz.drive({ext}.adler32, fuzz.data([b"Wikipedia"]))
fuzz.report()
"#
    )
}

pub(super) fn readme(spec: &Spec, module: &str, ext: &str) -> String {
    format!(
        "# {name}\n\nA pylon cap. Python code writes `import {module}`.\n\n\
- `wit/{name}.wit`: the contract (edit it first);\n\
- `src/lib.rs`: the component that implements it (Rust, built for wasm32-wasip2);\n\
- the CPython extension `{ext}` is generated from the WIT at compose time;\n\
- `{facade}`: the facade users import;\n\
- `tests/{snake}_smoke.py` and `tests/{snake}_hostile.py` (bad input in, only Python\n  exceptions out): run by `cargo pylon smoke`.\n\n\
```sh\ncargo pylon compose && cargo pylon smoke\n```\n",
        facade = Facade::of(spec, module).file,
        name = spec.name,
        snake = spec.name.replace('-', "_")
    )
}
