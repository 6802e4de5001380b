//! Turning CPython's wasm32-wasip1 core module into a wasi:cli command component.

use std::path::Path;

use anyhow::{Context, Result};
use wasi_preview1_component_adapter_provider::{WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER};
use wit_component::ComponentEncoder;

/// Encode `core` (a preview1 command module) as a component at `out`, unless `out` is
/// already newer than `core`; without its DWARF sections unless `debug` (the name section
/// stays, so traps still name functions). Written beside and renamed, so a reader never
/// sees half a file.
pub fn ensure_command(core: &Path, out: &Path, debug: bool) -> Result<()> {
    if is_newer(out, core) {
        return Ok(());
    }
    let mut module = std::fs::read(core).with_context(|| format!("cannot read {}", core.display()))?;
    if !debug {
        module = strip_debug(&module).with_context(|| format!("cannot read the sections of {}", core.display()))?;
    }
    let component = ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .with_context(|| format!("{} is not a core module wit-component accepts", core.display()))?
        .adapter(WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER)
        .context("the preview1 command adapter was rejected")?
        .encode()
        .with_context(|| format!("cannot encode {} as a component", core.display()))?;
    write_atomically(out, &component)
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

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("output path has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path).with_context(|| format!("cannot move the new file to {}", path.display()))?;
    Ok(())
}

fn is_newer(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(a), modified(b)), (Some(a), Some(b)) if a >= b)
}
