//! Byte-range locks the launcher holds for a guest (`pylon:runtime/locks`), so SQLite in
//! pylon locks a database as SQLite on Linux does.
//!
//! WASI has no file locks. The interpreter's SQLite asks its host instead, naming the file
//! by its guest path; the host takes the lock on the real file with an open file
//! description lock (Linux's `F_OFD_SETLK`): native processes' POSIX locks and these
//! conflict, and the kernel drops them when the instance's store is dropped or the process
//! dies by any means, so a killed run leaves nothing behind. Each store holds one open file
//! description per locked file, so an instance's own locks merge and replace as a POSIX
//! process's do (what SQLite's unix VFS expects), while two instances, a request's and
//! the next one's, exclude each other as two processes would.
//!
//! Hosts without such locks (not Linux; an emitted wasi:http component under another
//! engine, where a stub answers) say `supported() == false`, and SQLite falls back to its
//! lock folder (caps/sqlite3/src/locking.c).

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;

use anyhow::{Context, Result};
use wasmtime::component::{ComponentType, Lift, Linker, Lower};
use wasmtime::StoreContextMut;

use crate::error::IntoAnyhow;
use crate::sandbox::Grant;
use crate::state::State;

/// The interface's name, as the interpreter imports it (guest/glue.wit).
pub const INTERFACE: &str = "pylon:runtime/locks@0.1.0";

/// The lock a call asks for.
// Only ever lifted from a guest's call, which the compiler does not see.
#[allow(dead_code)]
#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq)]
#[component(enum)]
#[repr(u8)]
pub enum Kind {
    /// Shared.
    #[component(name = "read")]
    Read,
    /// Exclusive.
    #[component(name = "write")]
    Write,
    /// Give the range back.
    #[component(name = "unlock")]
    Unlock,
}

/// What became of a call.
#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq)]
#[component(enum)]
#[repr(u8)]
pub enum Outcome {
    /// Taken or given back (`test`: nothing stands in the way).
    #[component(name = "done")]
    Done,
    /// Another instance or process holds a conflicting lock.
    #[component(name = "busy")]
    Busy,
    /// This host holds no locks.
    #[component(name = "unsupported")]
    Unsupported,
    /// The file cannot be locked (no such file, not in a granted folder, an I/O error).
    #[component(name = "failed")]
    Failed,
}

/// One store's locks: the folders its guest sees, and a file per locked file.
#[derive(Default)]
pub struct Locks {
    /// (guest path, host folder, read-only), longest guest path first.
    mounts: Vec<(String, PathBuf, bool)>,
    /// The open file description carrying this store's locks on each file, by identity.
    held: HashMap<(u64, u64), File>,
}

impl Locks {
    /// Locks on the files under `root` (the guest's `/`, if it has one) and `mounts`.
    pub(crate) fn new<'a>(
        root: Option<&std::path::Path>,
        mounts: impl IntoIterator<Item = &'a Grant>,
    ) -> Self {
        let mut mounts: Vec<(String, PathBuf, bool)> = root
            .map(|root| ("/".to_string(), root.to_path_buf(), false))
            .into_iter()
            .chain(mounts.into_iter().map(|g| {
                (
                    g.guest.trim_end_matches('/').to_string(),
                    g.host.clone(),
                    g.read_only,
                )
            }))
            .collect();
        mounts.sort_by_key(|(guest, ..)| std::cmp::Reverse(guest.len()));
        Self {
            mounts,
            held: HashMap::new(),
        }
    }

    /// The host file the guest names `path`, opened inside its granted folder (a path or
    /// symlink that leaves the folder is refused, as the guest's own opens are).
    fn open(&self, path: &str) -> std::io::Result<File> {
        let not_found = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let (rest, host, read_only) = self
            .mounts
            .iter()
            .find_map(|(guest, host, read_only)| {
                let rest = if guest == "/" {
                    path.strip_prefix('/')
                } else {
                    path.strip_prefix(guest.as_str())
                        .and_then(|r| r.strip_prefix('/'))
                }?;
                Some((rest, host, *read_only))
            })
            .ok_or_else(not_found)?;
        if rest.is_empty() {
            return Err(not_found());
        }
        let folder =
            cap_primitives::fs::open_ambient_dir(host, cap_primitives::ambient_authority())?;
        let mut options = cap_primitives::fs::OpenOptions::new();
        options.read(true).write(!read_only);
        match cap_primitives::fs::open(&folder, rest.as_ref(), &options) {
            // A file the guest may only read takes read locks only, as on POSIX.
            Err(err) if !read_only && err.kind() == std::io::ErrorKind::PermissionDenied => {
                cap_primitives::fs::open(&folder, rest.as_ref(), options.write(false))
            }
            other => other,
        }
    }

    /// This store's file for `path`: the one that already carries its locks on that file,
    /// or a new one.
    fn file(&mut self, path: &str) -> std::io::Result<&File> {
        use std::os::unix::fs::MetadataExt;
        let file = self.open(path)?;
        let meta = file.metadata()?;
        Ok(self.held.entry((meta.dev(), meta.ino())).or_insert(file))
    }

    fn call(&mut self, path: &str, kind: Kind, start: u64, length: u64, test: bool) -> Outcome {
        if !SUPPORTED {
            return Outcome::Unsupported;
        }
        let (Ok(start), Ok(length)) = (i64::try_from(start), i64::try_from(length)) else {
            return Outcome::Failed;
        };
        match self.file(path) {
            Ok(file) => ofd::lock(file, kind, start, length, test),
            Err(_) => Outcome::Failed,
        }
    }
}

/// Whether this host takes real locks.
const SUPPORTED: bool = cfg!(target_os = "linux");

/// Define the interface for interpreters whose SQLite asks for locks.
pub(crate) fn define<X: Send + 'static>(linker: &mut Linker<State<X>>) -> Result<()> {
    let failed = "cannot define pylon's locks interface";
    let mut instance = linker.instance(INTERFACE).anyhow().context(failed)?;
    instance
        .func_wrap("supported", |_: StoreContextMut<'_, State<X>>, (): ()| {
            Ok((SUPPORTED,))
        })
        .anyhow()
        .context(failed)?;
    for (name, test) in [("set", false), ("test", true)] {
        instance
            .func_wrap(
                name,
                move |mut store: StoreContextMut<'_, State<X>>,
                      (path, kind, start, length): (String, Kind, u64, u64)| {
                    Ok((store
                        .data_mut()
                        .files
                        .locks
                        .call(&path, kind, start, length, test),))
                },
            )
            .anyhow()
            .context(failed)?;
    }
    Ok(())
}

#[cfg(target_os = "linux")]
mod ofd {
    use std::fs::File;
    use std::os::fd::AsRawFd;

    use super::{Kind, Outcome};

    /// Take, give back (`F_OFD_SETLK`, never waiting) or test (`F_OFD_GETLK`) a lock.
    pub(super) fn lock(file: &File, kind: Kind, start: i64, length: i64, test: bool) -> Outcome {
        // SAFETY: an all-zero `flock` is a valid value (and l_pid must be 0 for OFD locks).
        let mut request: libc::flock = unsafe { std::mem::zeroed() };
        request.l_type = match kind {
            Kind::Read => libc::F_RDLCK,
            Kind::Write => libc::F_WRLCK,
            Kind::Unlock => libc::F_UNLCK,
        } as libc::c_short;
        request.l_whence = libc::SEEK_SET as libc::c_short;
        request.l_start = start;
        request.l_len = length;
        let command = if test {
            libc::F_OFD_GETLK
        } else {
            libc::F_OFD_SETLK
        };
        // SAFETY: the descriptor is open for the call, and `request` a valid flock.
        let done = unsafe { libc::fcntl(file.as_raw_fd(), command, &mut request) } == 0;
        match std::io::Error::last_os_error().raw_os_error() {
            _ if done && test && i32::from(request.l_type) != libc::F_UNLCK => Outcome::Busy,
            _ if done => Outcome::Done,
            Some(libc::EAGAIN | libc::EACCES) => Outcome::Busy,
            _ => Outcome::Failed,
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod ofd {
    use super::{Kind, Outcome};

    pub(super) fn lock(_: &std::fs::File, _: Kind, _: i64, _: i64, _: bool) -> Outcome {
        Outcome::Unsupported
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn locks(dir: &std::path::Path) -> Locks {
        Locks::new(None, &[Grant::new(dir, "/data")])
    }

    #[test]
    fn two_stores_exclude_each_other_and_a_dropped_store_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("db"), b"").unwrap();
        let (mut a, mut b) = (locks(dir.path()), locks(dir.path()));
        assert_eq!(a.call("/data/db", Kind::Read, 10, 5, false), Outcome::Done);
        assert_eq!(b.call("/data/db", Kind::Read, 10, 5, false), Outcome::Done);
        assert_eq!(b.call("/data/db", Kind::Write, 12, 1, false), Outcome::Busy);
        assert_eq!(b.call("/data/db", Kind::Write, 12, 1, true), Outcome::Busy);
        // One store's own locks never conflict: a read lock becomes a write lock.
        assert_eq!(a.call("/data/db", Kind::Write, 20, 1, false), Outcome::Done);
        assert_eq!(a.call("/data/db", Kind::Write, 20, 1, true), Outcome::Done);
        assert_eq!(
            b.call("/data/db", Kind::Unlock, 10, 5, false),
            Outcome::Done
        );
        assert_eq!(a.call("/data/db", Kind::Write, 10, 5, false), Outcome::Done);
        drop(a);
        assert_eq!(
            b.call("/data/db", Kind::Write, 10, 15, false),
            Outcome::Done
        );
    }

    #[test]
    fn paths_outside_the_mounts_fail() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        std::fs::write(dir.path().join("secret"), b"").unwrap();
        std::os::unix::fs::symlink("../secret", dir.path().join("in/link")).unwrap();
        let mut l = Locks::new(None, &[Grant::new(dir.path().join("in"), "/data")]);
        for path in [
            "/data/../secret",
            "/data/link",
            "/other/db",
            "/data",
            "/datadb",
        ] {
            assert_eq!(
                l.call(path, Kind::Read, 0, 1, false),
                Outcome::Failed,
                "{path}"
            );
        }
    }
}
