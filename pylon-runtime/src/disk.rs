//! The bound on what a run may write to its own root (`Sandbox::max_disk`).
//!
//! The guest's `/` is a host folder (the run's staging folder). WASI gives it the host's
//! free space; this bound makes it a disk of its own size instead: the launcher answers
//! file writes under that folder (wasi:filesystem's `write`, `set-size`, and the streams
//! of `write-via-stream` and `append-via-stream`, through which wasi-libc's `write` goes)
//! with `insufficient-space`, which Python sees as `OSError(ENOSPC)`, once the files under
//! it would hold more than the bound. Deleting files gives their room back: the folder is
//! measured again whenever the bytes written since the last measure would pass the bound.
//! Writes to granted folders are the host's business and are not bounded.
//!
//! Which folder a file lies in is read from `/proc/self/fd` (Linux); elsewhere the bound
//! is not enforced.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use wasmtime::component::{Linker, Resource};
use wasmtime::StoreContextMut;
use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::filesystem::types::{ErrorCode, HostDescriptor};
use wasmtime_wasi::p2::{DynOutputStream, FsResult, OutputStream, Pollable, StreamError};

use crate::error::IntoAnyhow;
use crate::state::State;

/// The interface whose writing functions are bounded (wasmtime-wasi's version of it).
const TYPES: &str = "wasi:filesystem/types@0.2.12";

/// One run's bound on its root.
pub(crate) struct Quota {
    root: PathBuf,
    limit: u64,
    usage: Mutex<Usage>,
}

#[derive(Default)]
struct Usage {
    /// The bytes of the files under the root when last measured.
    measured: u64,
    /// Bytes allowed since.
    since: u64,
}

impl Quota {
    /// At most `limit` bytes of files under `root`.
    pub(crate) fn new(root: &Path, limit: u64) -> Arc<Self> {
        Arc::new(Self {
            root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            limit,
            usage: Mutex::new(Usage {
                measured: size_of(root),
                since: 0,
            }),
        })
    }

    /// Whether `bytes` more may be written under the root.
    fn charge(&self, bytes: u64) -> bool {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let within = |usage: &Usage| {
            usage
                .measured
                .saturating_add(usage.since)
                .saturating_add(bytes)
                <= self.limit
        };
        if !within(&usage) {
            *usage = Usage {
                measured: size_of(&self.root),
                since: 0,
            };
            if !within(&usage) {
                return false;
            }
        }
        usage.since = usage.since.saturating_add(bytes);
        true
    }

    /// Whether `file` lies under the root.
    fn covers(&self, file: &std::fs::File) -> bool {
        use std::os::fd::AsRawFd;
        std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .is_ok_and(|path| path.starts_with(&self.root))
    }
}

/// The bytes of the files under `root` (symlinks not followed).
fn size_of(root: &Path) -> u64 {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .filter(|meta| meta.is_file())
        .map(|meta| meta.len())
        .sum()
}

/// The quota that bounds writes to `fd`, if one does.
fn quota_for<X: Send + 'static>(
    state: &mut State<X>,
    fd: &Resource<Descriptor>,
) -> wasmtime::Result<Option<(Arc<Quota>, Arc<std::fs::File>)>> {
    let Some(quota) = state.files.quota.clone() else {
        return Ok(None);
    };
    match state.table.get(fd)? {
        Descriptor::File(f) if quota.covers(&f.file) => Ok(Some((quota, f.file.clone()))),
        _ => Ok(None),
    }
}

/// wasmtime-wasi's answer, as the function returns it to the guest.
fn lower<T>(result: FsResult<T>) -> wasmtime::Result<Result<T, ErrorCode>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(err) => Ok(Err(err.downcast()?)),
    }
}

/// Bound the writing functions of wasmtime-wasi's filesystem (already in `linker`).
pub(crate) fn define<X: Send + 'static>(linker: &mut Linker<State<X>>) -> Result<()> {
    let failed = "cannot bound the guest's file writes";
    linker.allow_shadowing(true);
    let mut types = linker.instance(TYPES).anyhow().context(failed)?;
    types
        .func_wrap_async(
            "[method]descriptor.write",
            |mut store: StoreContextMut<'_, State<X>>,
             (fd, bytes, offset): (Resource<Descriptor>, Vec<u8>, u64)| {
                Box::new(async move {
                    let state = store.data_mut();
                    if let Some((quota, _)) = quota_for(state, &fd)? {
                        if !quota.charge(bytes.len() as u64) {
                            return Ok((Err(ErrorCode::InsufficientSpace),));
                        }
                    }
                    let mut fs = state.filesystem();
                    let written = HostDescriptor::write(&mut fs, fd, bytes, offset).await;
                    Ok((lower(written)?,))
                })
            },
        )
        .anyhow()
        .context(failed)?;
    types
        .func_wrap_async(
            "[method]descriptor.set-size",
            |mut store: StoreContextMut<'_, State<X>>, (fd, size): (Resource<Descriptor>, u64)| {
                Box::new(async move {
                    let state = store.data_mut();
                    if let Some((quota, file)) = quota_for(state, &fd)? {
                        let now = file.metadata().map_or(0, |m| m.len());
                        if size > now && !quota.charge(size - now) {
                            return Ok((Err(ErrorCode::InsufficientSpace),));
                        }
                    }
                    let mut fs = state.filesystem();
                    let set = HostDescriptor::set_size(&mut fs, fd, size).await;
                    Ok((lower(set)?,))
                })
            },
        )
        .anyhow()
        .context(failed)?;
    types
        .func_wrap(
            "[method]descriptor.write-via-stream",
            |mut store: StoreContextMut<'_, State<X>>,
             (fd, offset): (Resource<Descriptor>, u64)| {
                let state = store.data_mut();
                let quota = quota_for(state, &fd)?;
                let stream = HostDescriptor::write_via_stream(&mut state.filesystem(), fd, offset);
                Ok((bounded(state, quota, stream)?,))
            },
        )
        .anyhow()
        .context(failed)?;
    types
        .func_wrap(
            "[method]descriptor.append-via-stream",
            |mut store: StoreContextMut<'_, State<X>>, (fd,): (Resource<Descriptor>,)| {
                let state = store.data_mut();
                let quota = quota_for(state, &fd)?;
                let stream = HostDescriptor::append_via_stream(&mut state.filesystem(), fd);
                Ok((bounded(state, quota, stream)?,))
            },
        )
        .anyhow()
        .context(failed)?;
    linker.allow_shadowing(false);
    Ok(())
}

/// A file's new output `stream`, its writes charged to `quota` when one bounds the file.
fn bounded<X: Send + 'static>(
    state: &mut State<X>,
    quota: Option<(Arc<Quota>, Arc<std::fs::File>)>,
    stream: FsResult<Resource<DynOutputStream>>,
) -> wasmtime::Result<Result<Resource<DynOutputStream>, ErrorCode>> {
    let stream = match lower(stream)? {
        Ok(stream) => stream,
        Err(code) => return Ok(Err(code)),
    };
    let Some((quota, _)) = quota else {
        return Ok(Ok(stream));
    };
    let inner = state.table.delete(stream)?;
    let bounded: DynOutputStream = Box::new(Bounded { inner, quota });
    Ok(Ok(state.table.push(bounded)?))
}

/// A file's output stream whose writes are charged to the run's quota first.
struct Bounded {
    inner: DynOutputStream,
    quota: Arc<Quota>,
}

impl Bounded {
    fn charge(&self, bytes: usize) -> Result<(), StreamError> {
        if self.quota.charge(bytes as u64) {
            return Ok(());
        }
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        Err(StreamError::LastOperationFailed(full.into()))
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Bounded {
    async fn ready(&mut self) {
        self.inner.ready().await
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for Bounded {
    fn write(&mut self, bytes: bytes::Bytes) -> Result<(), StreamError> {
        self.charge(bytes.len())?;
        self.inner.write(bytes)
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        self.inner.flush()
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        self.inner.check_write()
    }

    async fn blocking_write_and_flush(&mut self, bytes: bytes::Bytes) -> Result<(), StreamError> {
        self.charge(bytes.len())?;
        self.inner.blocking_write_and_flush(bytes).await
    }

    fn write_zeroes(&mut self, count: usize) -> Result<(), StreamError> {
        self.charge(count)?;
        self.inner.write_zeroes(count)
    }

    async fn write_ready(&mut self) -> Result<usize, StreamError> {
        self.inner.write_ready().await
    }

    async fn cancel(&mut self) {
        self.inner.cancel().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_counts_the_files_under_the_root_and_gives_room_back_when_they_go() {
        let root = tempfile::tempdir().unwrap();
        let quota = Quota::new(root.path(), 1000);
        assert!(quota.charge(600));
        std::fs::write(root.path().join("a"), vec![0; 600]).unwrap();
        assert!(quota.charge(400));
        std::fs::write(root.path().join("b"), vec![0; 400]).unwrap();
        assert!(!quota.charge(1), "full");
        std::fs::remove_file(root.path().join("a")).unwrap();
        assert!(quota.charge(600), "a's room is back");
        std::fs::write(root.path().join("c"), vec![0; 600]).unwrap();
        assert!(!quota.charge(1), "full again");
        let file = std::fs::File::open(root.path().join("b")).unwrap();
        assert!(quota.covers(&file));
        let outside = tempfile::tempfile().unwrap();
        assert!(!quota.covers(&outside));
    }
}
