//! Small, checked edits: to the staged standard library for what WASI lacks, and to
//! CPython's C sources where they rely on what native C tolerates and WebAssembly does not.
//!
//! Each edit must find its exact original text, so a new CPython release that changes
//! the code fails the staging (or the build) loudly instead of running unpatched.

use std::path::Path;

use anyhow::{bail, Context, Result};

struct Patch {
    file: &'static str,
    why: &'static str,
    original: &'static str,
    replacement: &'static str,
}

/// asyncio's event loop opens a socket pair to wake itself from other threads and
/// signal handlers; WASI has neither socketpair nor pipe, nor threads or signals to
/// wake it, so the loop runs without one.
const PATCHES: &[Patch] = &[
    Patch {
        file: "asyncio/selector_events.py",
        why: "WASI has no socketpair for the event loop's self-pipe",
        original: "    def _make_self_pipe(self):\n        # A self-socket, really. :-)\n        self._ssock, self._csock = socket.socketpair()\n",
        replacement: "    def _make_self_pipe(self):\n        # A self-socket, really. :-)\n        try:\n            self._ssock, self._csock = socket.socketpair()\n        except OSError:  # pylon: WASI has no socketpair, nor threads or signals to wake the loop\n            self._ssock = self._csock = None\n            return\n",
    },
    Patch {
        file: "asyncio/selector_events.py",
        why: "closing the loop must tolerate the missing self-pipe",
        original: "    def _close_self_pipe(self):\n",
        replacement: "    def _close_self_pipe(self):\n        if self._ssock is None:  # pylon: see _make_self_pipe\n            return\n",
    },
    Patch {
        file: "socket.py",
        why: "WASI has no host name nor resolver; packages read the one at import (boltons), and HTTP clients must fail with an OSError, not an AttributeError",
        original: "from _socket import *\n",
        replacement: "from _socket import *\nif not hasattr(_socket, \"gethostname\"):  # pylon: WASI has no host name\n    def gethostname():\n        \"\"\"Return the host name: in pylon's sandbox, always 'localhost'.\"\"\"\n        return \"localhost\"\nif not hasattr(_socket, \"getaddrinfo\"):  # pylon: WASI preview 1 resolves no names\n    def _pylon_no_resolver(*args, **kwargs):\n        raise gaierror(EAI_NONAME, \"no name resolution in pylon's sandbox: WASI preview 1 has neither a resolver nor outgoing connections\")\n    _socket.getaddrinfo = _socket.gethostbyname = gethostbyname = _pylon_no_resolver\n",
    },
    Patch {
        file: "threading.py",
        why: "threading.get_native_id exists on every platform CPython supports with threads; packages' tests call it",
        original: "except AttributeError:\n    _HAVE_THREAD_NATIVE_ID = False\n",
        replacement: "except AttributeError:  # pylon: WASI's one thread is the process's own\n    def get_native_id():\n        \"\"\"Return the native integral Thread ID of the current thread: in pylon's\n        sandbox, whose one thread is the process's, the process id (as the main\n        thread's is on Linux).\"\"\"\n        return _os.getpid()\n    _HAVE_THREAD_NATIVE_ID = True\n    __all__.append('get_native_id')\n",
    },
    Patch {
        file: "ctypes/__init__.py",
        why: "import ctypes says why it cannot work instead of naming a missing _ctypes",
        original: "from _ctypes import Union, Structure, Array\n",
        replacement: "try:\n    from _ctypes import Union, Structure, Array\nexcept ModuleNotFoundError:  # pylon\n    raise ImportError(\n        \"ctypes is not available in pylon: it calls C functions by address through libffi, \"\n        \"and WebAssembly has no libffi nor loadable shared libraries; use a cap for native code \"\n        \"(docs/CAPS.md)\", name=\"ctypes\") from None\n",
    },
];

/// What a sandbox answers for the users, groups and creation mask WASI does not have:
/// one ordinary user, uid and gid 1000 (not root: code that believes itself root, tarfile
/// among it, calls `chown`, which WASI lacks), who owns every file it sees (`st_uid`,
/// `st_gid`; pytest's tmp_path refuses a folder owned by another), no supplementary
/// groups, and a mask that is kept but has no effect (WASI files have no mode bits).
/// Packages call these at import (`from os import getuid`); without them that is an
/// ImportError. The sandbox is one process: its parent is 1 (as for an orphan on Linux),
/// `kill` of itself (pid 0, -1 or its own) raises the signal in-process, so its handler runs
/// (SIGINT: KeyboardInterrupt) and signal 0 checks it exists; any other pid is
/// ProcessLookupError, as for a process that is gone.
const POSIX_IDENTITY: &str = r#"#include <stdlib.h>               // system()
#ifdef __wasi__
/* pylon: a sandbox's users, groups, creation mask and process (pylon-sys's cpython/patches.rs). */
#include <sys/types.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
static pid_t pylon_getppid(void) { return 1; }
static int pylon_kill(pid_t pid, int sig) {
    if (pid != 0 && pid != -1 && pid != getpid()) { errno = ESRCH; return -1; }
    if (sig < 0 || sig >= _NSIG) { errno = EINVAL; return -1; }
    return sig == 0 ? 0 : raise(sig);
}
#define getppid pylon_getppid
#define kill pylon_kill
#define HAVE_GETPPID 1
#define HAVE_KILL 1
static uid_t pylon_getuid(void) { return 1000; }
static gid_t pylon_getgid(void) { return 1000; }
static int pylon_getgroups(int size, gid_t *list) { (void)size; (void)list; return 0; }
static mode_t pylon_mask = 022;
static mode_t pylon_umask(mode_t mask) { mode_t old = pylon_mask; pylon_mask = mask & 0777; return old; }
#define getuid pylon_getuid
#define geteuid pylon_getuid
#define getgid pylon_getgid
#define getegid pylon_getgid
#define getgroups pylon_getgroups
#define umask pylon_umask
#define HAVE_GETUID 1
#define HAVE_GETEUID 1
#define HAVE_GETGID 1
#define HAVE_GETEGID 1
#define HAVE_GETGROUPS 1
#define HAVE_UMASK 1
/* os.dup2 over the descriptor table pylon links in (Python/fileutils.c holds the weak
 * defaults); dup3's close-on-exec means nothing without exec. */
int pylon_dup2(int fd, int fd2);
static int pylon_dup3(int fd, int fd2, int flags) {
    (void)flags;
    if (fd == fd2) { errno = EINVAL; return -1; }
    return pylon_dup2(fd, fd2);
}
#define dup2 pylon_dup2
#define dup3 pylon_dup3
#define HAVE_DUP3 1
#endif
"#;

/// os.dup: WASI preview 1 has no call that duplicates a descriptor, so pylon's glue keeps
/// a table of the guest's own (cargo-pylon's guest/pylon_fds.c) and defines these; CPython's
/// own link, which has no glue, keeps the weak defaults, which fail as CPython's WASI build
/// does.
const DUP: &str = r#"#ifdef __wasi__
/* pylon: descriptors are duplicated by the table pylon's glue links in. */
__attribute__((weak)) int pylon_dup(int fd) { (void)fd; errno = ENOTSUP; return -1; }
__attribute__((weak)) int pylon_dup2(int fd, int fd2) { (void)fd; (void)fd2; errno = ENOTSUP; return -1; }
#endif

int
_Py_dup(int fd)
{
#ifdef __wasi__
    Py_BEGIN_ALLOW_THREADS
    fd = pylon_dup(fd);
    Py_END_ALLOW_THREADS
    if (fd < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return fd;
#endif
"#;

/// The allocator's entry points: every `PyObject_Malloc`, `PyObject_Free`, `PyMem_Malloc` ...
/// calls the domain's function through a pointer. On x86 that is a jump; in WebAssembly a
/// `call_indirect` that checks the table bounds and the signature, then a second call
/// frame, in a path that runs for nearly every object (a third of `spectral_norm`'s time,
/// docs/PERFORMANCE.md). While the domain still holds the default allocator (WASI builds
/// use libc's malloc for all three domains: no pymalloc), it is called directly, so clang
/// inlines it; hooks (tracemalloc, `PyMem_SetAllocator`, `PYTHONMALLOC`) change the
/// pointer and take the indirect call as before.
const DIRECT_ALLOCATOR: &str = r#"#define _PyObject (_PyRuntime.allocators.standard.obj)
#if defined(__wasi__) && !defined(WITH_PYMALLOC) && !defined(Py_GIL_DISABLED)
/* pylon: call the default allocator directly while it is installed (pylon-sys's cpython/patches.rs). */
#  define PYLON_ALLOCATOR_CALL(domain, fn, default_fn, ...) \
     ((domain).fn == default_fn ? default_fn(__VA_ARGS__) : (domain).fn(__VA_ARGS__))
#else
#  define PYLON_ALLOCATOR_CALL(domain, fn, default_fn, ...) (domain).fn(__VA_ARGS__)
#endif
"#;

/// One call through an allocator domain's table, made a [`DIRECT_ALLOCATOR`] call.
macro_rules! direct_allocator_call {
    ($domain:literal, $fn:literal, $default:literal, $args:literal) => {
        Patch {
            file: "Objects/obmalloc.c",
            why: "the default allocator is called directly, not through a checked indirect call",
            original: concat!($domain, ".", $fn, "(", $domain, ".ctx, ", $args, ");"),
            replacement: concat!(
                "PYLON_ALLOCATOR_CALL(",
                $domain,
                ", ",
                $fn,
                ", ",
                $default,
                ", ",
                $domain,
                ".ctx, ",
                $args,
                ");"
            ),
        }
    };
}

/// Edits to the C sources, made before CPython is configured.
///
/// A function called through a pointer of another type works in native C; WebAssembly's
/// `call_indirect` checks the type and traps. `operator.methodcaller`'s `tp_clear`
/// returns `void` where the slot is `int (*)(PyObject *)`: the collector traps clearing
/// one in a reference cycle (html5lib leaves some behind at exit).
const SOURCE_PATCHES: &[Patch] = &[
    Patch {
        file: "Modules/_operator.c",
        why: "methodcaller's tp_clear must return int (an indirect call of the wrong type traps)",
        original: "static void\nmethodcaller_clear(methodcallerobject *mc)\n{",
        replacement: "static int\nmethodcaller_clear(methodcallerobject *mc)\n{",
    },
    Patch {
        file: "Modules/_operator.c",
        why: "methodcaller's tp_clear must return int (an indirect call of the wrong type traps)",
        original: "        Py_CLEAR(mc->vectorcall_kwnames);\n    }\n}\n",
        replacement: "        Py_CLEAR(mc->vectorcall_kwnames);\n    }\n    return 0;\n}\n",
    },
    Patch {
        file: "Modules/posixmodule.c",
        why: "os.getuid, geteuid, getgid, getegid, getgroups, umask, getppid, kill and dup2 for a sandbox",
        original: "#include <stdlib.h>               // system()\n",
        replacement: POSIX_IDENTITY,
    },
    Patch {
        file: "Modules/posixmodule.c",
        why: "the sandbox's user owns the files it sees",
        original: "    SET_ITEM(4, _PyLong_FromUid(st->st_uid));\n    SET_ITEM(5, _PyLong_FromGid(st->st_gid));\n",
        replacement: "#ifdef __wasi__\n    SET_ITEM(4, _PyLong_FromUid(pylon_getuid()));\n    SET_ITEM(5, _PyLong_FromGid(pylon_getgid()));\n#else\n    SET_ITEM(4, _PyLong_FromUid(st->st_uid));\n    SET_ITEM(5, _PyLong_FromGid(st->st_gid));\n#endif\n",
    },
    Patch {
        file: "Python/fileutils.c",
        why: "os.dup through pylon's descriptor table",
        original: "int\n_Py_dup(int fd)\n{\n",
        replacement: DUP,
    },
    Patch {
        file: "Modules/_ssl.c",
        why: "OpenSSL for WASI has no socket layer (no SSL_set_fd): TLS runs over memory BIOs only",
        original: "    if (sock) {\n        SSL_set_fd(self->ssl, Py_SAFE_DOWNCAST(sock->sock_fd, SOCKET_T, int));\n    } else {\n",
        replacement: "#ifndef OPENSSL_NO_SOCK\n    if (sock) {\n        SSL_set_fd(self->ssl, Py_SAFE_DOWNCAST(sock->sock_fd, SOCKET_T, int));\n    } else\n#endif\n    {\n",
    },
    Patch {
        file: "Modules/_ssl.c",
        why: "wrapping a socket says why it cannot work and what does",
        original: "    char *hostname = NULL;\n    PyObject *res;\n\n    /* server_hostname is either None (or absent), or to be encoded\n       as IDN A-label (ASCII str) without NULL bytes. */\n    if (hostname_obj != Py_None) {\n        if (!PyArg_Parse(hostname_obj, \"es\", \"ascii\", &hostname))\n            return NULL;\n    }\n\n    res = (PyObject *) newPySSLSocket(self, (PySocketSockObject *)sock,\n",
        replacement: "    char *hostname = NULL;\n    PyObject *res;\n\n#ifdef OPENSSL_NO_SOCK\n    /* pylon: OpenSSL is built without its socket layer for WASI. */\n    (void)sock; (void)server_side; (void)owner; (void)session;\n    PyObject *why = Py_BuildValue(\"(is)\", ENOTSUP, \"TLS over a socket: pylon's OpenSSL has no socket layer (WASI preview 1 makes no connections); use SSLContext.wrap_bio with ssl.MemoryBIO\");\n    if (why != NULL) {\n        PyErr_SetObject(PyExc_OSError, why);\n        Py_DECREF(why);\n    }\n    return NULL;\n#endif\n    /* server_hostname is either None (or absent), or to be encoded\n       as IDN A-label (ASCII str) without NULL bytes. */\n    if (hostname_obj != Py_None) {\n        if (!PyArg_Parse(hostname_obj, \"es\", \"ascii\", &hostname))\n            return NULL;\n    }\n\n    res = (PyObject *) newPySSLSocket(self, (PySocketSockObject *)sock,\n",
    },
    Patch {
        file: "Objects/obmalloc.c",
        why: "the default allocator is called directly, not through a checked indirect call",
        original: "#define _PyObject (_PyRuntime.allocators.standard.obj)\n",
        replacement: DIRECT_ALLOCATOR,
    },
    direct_allocator_call!("_PyMem_Raw", "malloc", "_PyMem_RawMalloc", "size"),
    direct_allocator_call!("_PyMem_Raw", "calloc", "_PyMem_RawCalloc", "nelem, elsize"),
    direct_allocator_call!("_PyMem_Raw", "realloc", "_PyMem_RawRealloc", "ptr, new_size"),
    direct_allocator_call!("_PyMem_Raw", "free", "_PyMem_RawFree", "ptr"),
    direct_allocator_call!("_PyMem", "malloc", "_PyMem_RawMalloc", "size"),
    direct_allocator_call!("_PyMem", "calloc", "_PyMem_RawCalloc", "nelem, elsize"),
    direct_allocator_call!("_PyMem", "realloc", "_PyMem_RawRealloc", "ptr, new_size"),
    direct_allocator_call!("_PyMem", "free", "_PyMem_RawFree", "ptr"),
    direct_allocator_call!("_PyObject", "malloc", "_PyMem_RawMalloc", "size"),
    direct_allocator_call!("_PyObject", "calloc", "_PyMem_RawCalloc", "nelem, elsize"),
    direct_allocator_call!("_PyObject", "realloc", "_PyMem_RawRealloc", "ptr, new_size"),
    direct_allocator_call!("_PyObject", "free", "_PyMem_RawFree", "ptr"),
];

/// Patch the staged standard library at `stdlib`.
pub(super) fn apply(stdlib: &Path) -> Result<()> {
    apply_all(PATCHES, stdlib)
}

/// Patch the CPython source tree at `source`.
pub(super) fn apply_to_source(source: &Path) -> Result<()> {
    apply_all(SOURCE_PATCHES, source)
}

fn apply_all(patches: &[Patch], root: &Path) -> Result<()> {
    for patch in patches {
        let path = root.join(patch.file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if text.matches(patch.original).count() != 1 {
            bail!(
                "pylon's WASI patch to {} ({}) no longer applies to this CPython; the patch list in pylon-sys needs updating",
                patch.file, patch.why
            );
        }
        let text = text.replacen(patch.original, patch.replacement, 1);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Identifies the standard library's patch set, for the runtime's cache key.
pub(super) fn fingerprint() -> String {
    fingerprint_of(PATCHES)
}

/// Identifies the C sources' patch set, for the build's cache key.
pub(super) fn source_fingerprint() -> String {
    fingerprint_of(SOURCE_PATCHES)
}

fn fingerprint_of(patches: &[Patch]) -> String {
    patches
        .iter()
        .map(|p| format!("{}|{}|{}", p.file, p.original, p.replacement))
        .collect()
}
