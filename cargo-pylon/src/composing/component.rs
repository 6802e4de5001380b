//! Turning CPython's wasm32-wasip1 core module into a wasi:cli command component.

use std::path::Path;

use anyhow::{Context, Result};
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
};
use wit_component::ComponentEncoder;

/// Encode `core` (a preview1 command module) as a component at `out`, unless `out` is
/// already newer than `core`; without its DWARF sections unless `debug` (the name section
/// stays, so traps still name functions). Written beside and renamed, so a reader never
/// sees half a file.
pub fn ensure_command(core: &Path, out: &Path, debug: bool) -> Result<()> {
    if is_newer(out, core) {
        return Ok(());
    }
    let mut module =
        std::fs::read(core).with_context(|| format!("cannot read {}", core.display()))?;
    if !debug {
        module = strip_debug(&module)
            .with_context(|| format!("cannot read the sections of {}", core.display()))?;
    }
    let component = encode(&module, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER)
        .with_context(|| format!("cannot encode {} as a component", core.display()))?;
    crate::support::fs::write_atomically(out, &component)
}

/// A preview1 core module as a component, with `adapter` (command, reactor or proxy)
/// turning its WASI calls into WASI 0.2 imports.
pub fn encode(module: &[u8], adapter: &[u8]) -> Result<Vec<u8>> {
    ComponentEncoder::default()
        .validate(true)
        .module(module)
        .context("not a core module wit-component accepts")?
        .adapter(WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, adapter)
        .context("the preview1 adapter was rejected")?
        .encode()
}

/// `module` without its `.debug_*` custom sections (DWARF: most of CPython's bytes).
pub fn strip_debug(module: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(module.len() / 4);
    out.extend_from_slice(module.get(..8).context("not a wasm module")?);
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload?;
        if let wasmparser::Payload::CustomSection(section) = &payload {
            if section.name().starts_with(".debug_") {
                continue;
            }
        }
        if let Some((id, range)) = payload.as_section() {
            let data = &module[range.start as usize..range.end as usize];
            wasm_encoder::Section::append_to(&wasm_encoder::RawSection { id, data }, &mut out);
        }
    }
    Ok(out)
}

fn is_newer(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(a), modified(b)), (Some(a), Some(b)) if a >= b)
}
