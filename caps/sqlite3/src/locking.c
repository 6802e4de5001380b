/* SQLite's default file system for the guest: "unix-pylon".
 *
 * WASI has no fcntl locks, so SQLite's own WASI build falls back to "unix-dotfile", where
 * every lock is exclusive and a killed process leaves its lock behind. This VFS is
 * SQLite's "unix" VFS with its lock calls sent to the launcher, which takes them on the
 * real file as open file description locks (pylon-runtime's locks.rs): the same bytes,
 * ranges and semantics as SQLite on Linux, so pylon interpreters and native SQLite
 * processes share a database safely, and the kernel drops a run's locks when it ends,
 * however it ends. The unix VFS's own per-file bookkeeping coordinates the connections of
 * one interpreter, exactly as on POSIX.
 *
 * A host that holds no locks (not Linux; an emitted wasi:http component elsewhere, which
 * has no shared files) says so, and the lock calls then succeed without effect while,
 * between interpreters, the dotfile convention stands in: while any connection here
 * holds a lock, the folder `<database>.lock` exists and other interpreters wait
 * (SQLITE_BUSY, so the busy timeout applies). A lock folder left by a killed run there
 * has to be removed by hand, as with unix-dotfile.
 *
 * Installed by SQLITE_EXTRA_INIT when SQLite initializes; `vfs=unix-dotfile` or
 * `vfs=unix-none` in a URI still choose the others. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite3.h"

/* wasi-libc defines no lock commands; SQLite's WASI build passes its own numbers. */
#ifndef F_SETLK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#if __LONG_MAX == 0x7fffffffL
#define F_GETLK 12
#define F_SETLK 13
#define F_SETLKW 14
#else
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#endif
#endif

/* A database file this interpreter has open, and how many of its connections hold a lock. */
struct shared_file {
    char *lock_dir;
    int holders;
    int opened;
    int made; /* the lock folder is ours (not on a read-only folder) */
    struct shared_file *next;
};

/* Our file: the unix VFS's file follows it in the same allocation. */
struct pylon_file {
    sqlite3_file base;
    struct shared_file *shared; /* main database files only */
    int holding;
};

static sqlite3_vfs *unix_vfs;
static sqlite3_vfs pylon_vfs;
static sqlite3_io_methods methods;
static struct shared_file *files;

static sqlite3_file *inner(sqlite3_file *f) { return (sqlite3_file *)((struct pylon_file *)f + 1); }

/* The launcher's locks (cargo-pylon's guest/pylon_locks.c): 0 done, 1 busy, 2 unsupported. */
int pylon_locks_supported(void);
int pylon_locks_call(const char *path, int test, int kind, unsigned long long start,
                     unsigned long long length);

/* The guest path of each descriptor the unix VFS opened while the host holds locks: a lock
 * reaches the host by name. */
static char **fd_paths;
static int fd_slots;
static int (*real_open)(const char *, int, int);
static int (*real_close)(int);

static int opened(const char *path, int flags, int mode) {
    int fd = real_open(path, flags, mode);
    if (fd < 0 || !pylon_locks_supported()) return fd;
    if (fd >= fd_slots) {
        int slots = fd + 16;
        char **grown = realloc(fd_paths, (size_t)slots * sizeof *grown);
        if (!grown) goto no_memory;
        memset(grown + fd_slots, 0, (size_t)(slots - fd_slots) * sizeof *grown);
        fd_paths = grown;
        fd_slots = slots;
    }
    free(fd_paths[fd]);
    if (!(fd_paths[fd] = strdup(path))) goto no_memory;
    return fd;
no_memory:
    real_close(fd);
    errno = ENOMEM;
    return -1;
}

static int closed(int fd) {
    if (fd >= 0 && fd < fd_slots) {
        free(fd_paths[fd]);
        fd_paths[fd] = NULL;
    }
    return real_close(fd);
}

/* SQLite's lock calls go to the host; the rest to wasi-libc. F_SETLKW never waits (SQLite
 * only asks for it when built to wait on locks, which this build is not). */
static int locking(int fd, int op, ...) {
    va_list ap;
    va_start(ap, op);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (op != F_SETLK && op != F_SETLKW && op != F_GETLK) return fcntl(fd, op, arg);
    struct flock *lock = arg;
    const char *path = fd >= 0 && fd < fd_slots ? fd_paths[fd] : NULL;
    int kind = lock->l_type == F_RDLCK ? 0 : lock->l_type == F_WRLCK ? 1 : 2;
    int outcome = path ? pylon_locks_call(path, op == F_GETLK, kind, (unsigned long long)lock->l_start,
                                          (unsigned long long)lock->l_len)
                       : 2;
    switch (outcome) {
    case 0: /* done */
    case 2: /* no host locks: the lock folder stands in between interpreters */
        if (op == F_GETLK) lock->l_type = F_UNLCK;
        return 0;
    case 1: /* busy */
        if (op == F_GETLK) {
            lock->l_type = F_WRLCK;
            return 0;
        }
        errno = EAGAIN;
        return -1;
    default:
        errno = EIO;
        return -1;
    }
}

static struct shared_file *share(const char *path) {
    size_t n = strlen(path);
    for (struct shared_file *s = files; s; s = s->next) {
        if (strncmp(s->lock_dir, path, n) == 0 && strcmp(s->lock_dir + n, ".lock") == 0) {
            s->opened++;
            return s;
        }
    }
    struct shared_file *s = calloc(1, sizeof *s);
    char *dir = malloc(n + 6);
    if (!s || !dir) return free(s), free(dir), NULL;
    memcpy(dir, path, n);
    memcpy(dir + n, ".lock", 6);
    *s = (struct shared_file){dir, 0, 1, 0, files};
    files = s;
    return s;
}

static void unshare(struct shared_file *s) {
    if (--s->opened > 0) return;
    for (struct shared_file **at = &files; *at; at = &(*at)->next) {
        if (*at == s) {
            *at = s->next;
            break;
        }
    }
    free(s->lock_dir);
    free(s);
}

/* The interpreter's hold on the file, taken with its first lock, given back with its last. */
static int hold(struct pylon_file *f) {
    if (!f->shared || f->holding) return SQLITE_OK;
    if (f->shared->holders == 0) {
        f->shared->made = mkdir(f->shared->lock_dir, 0777) == 0;
        /* Nobody writes a database on a read-only folder: reading needs no lock folder. */
        if (!f->shared->made && errno != EROFS && errno != EACCES && errno != EPERM && errno != ENOTCAPABLE) {
            return errno == EEXIST ? SQLITE_BUSY : SQLITE_IOERR_LOCK;
        }
    }
    f->shared->holders++;
    f->holding = 1;
    return SQLITE_OK;
}

static void release(struct pylon_file *f) {
    if (!f->holding) return;
    f->holding = 0;
    if (--f->shared->holders == 0 && f->shared->made) rmdir(f->shared->lock_dir);
}

static int file_lock(sqlite3_file *file, int level) {
    struct pylon_file *f = (struct pylon_file *)file;
    int rc = hold(f);
    if (rc != SQLITE_OK) return rc;
    rc = inner(file)->pMethods->xLock(inner(file), level);
    if (rc != SQLITE_OK && level == SQLITE_LOCK_SHARED) release(f);
    return rc;
}

static int file_unlock(sqlite3_file *file, int level) {
    int rc = inner(file)->pMethods->xUnlock(inner(file), level);
    if (rc == SQLITE_OK && level == SQLITE_LOCK_NONE) release((struct pylon_file *)file);
    return rc;
}

static int file_close(sqlite3_file *file) {
    struct pylon_file *f = (struct pylon_file *)file;
    int rc = inner(file)->pMethods->xClose(inner(file));
    release(f);
    if (f->shared) unshare(f->shared);
    return rc;
}

/* The rest of the methods pass straight to the unix file. */
#define PASS(name, params, args) \
    static int file_##name params { return inner(file)->pMethods->x##name args; }
PASS(Read, (sqlite3_file *file, void *buf, int n, sqlite3_int64 at), (inner(file), buf, n, at))
PASS(Write, (sqlite3_file *file, const void *buf, int n, sqlite3_int64 at), (inner(file), buf, n, at))
PASS(Truncate, (sqlite3_file *file, sqlite3_int64 size), (inner(file), size))
PASS(Sync, (sqlite3_file *file, int flags), (inner(file), flags))
PASS(FileSize, (sqlite3_file *file, sqlite3_int64 *size), (inner(file), size))
PASS(CheckReservedLock, (sqlite3_file *file, int *out), (inner(file), out))
PASS(FileControl, (sqlite3_file *file, int op, void *arg), (inner(file), op, arg))
PASS(SectorSize, (sqlite3_file *file), (inner(file)))
PASS(DeviceCharacteristics, (sqlite3_file *file), (inner(file)))

static int vfs_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags) {
    struct pylon_file *f = (struct pylon_file *)file;
    memset(f, 0, sizeof *f);
    int rc = unix_vfs->xOpen(unix_vfs, name, inner(file), flags, out_flags);
    if (rc != SQLITE_OK || !inner(file)->pMethods) return rc;
    if ((flags & SQLITE_OPEN_MAIN_DB) && name && !pylon_locks_supported() && !(f->shared = share(name))) {
        inner(file)->pMethods->xClose(inner(file));
        return SQLITE_NOMEM;
    }
    file->pMethods = &methods;
    return SQLITE_OK;
}

int pylon_sqlite_init(const char *unused) {
    (void)unused;
    unix_vfs = sqlite3_vfs_find("unix");
    if (!unix_vfs) return SQLITE_ERROR;
    real_open = (int (*)(const char *, int, int))unix_vfs->xGetSystemCall(unix_vfs, "open");
    real_close = (int (*)(int))unix_vfs->xGetSystemCall(unix_vfs, "close");
    int rc = unix_vfs->xSetSystemCall(unix_vfs, "fcntl", (sqlite3_syscall_ptr)locking);
    if (rc == SQLITE_OK) rc = unix_vfs->xSetSystemCall(unix_vfs, "open", (sqlite3_syscall_ptr)opened);
    if (rc == SQLITE_OK) rc = unix_vfs->xSetSystemCall(unix_vfs, "close", (sqlite3_syscall_ptr)closed);
    if (rc != SQLITE_OK) return rc;
    /* Version 1 methods: WAL (version 2's shared memory) is left out of SQLite's WASI build. */
    methods = (sqlite3_io_methods){
        1, file_close, file_Read, file_Write, file_Truncate, file_Sync, file_FileSize, file_lock,
        file_unlock, file_CheckReservedLock, file_FileControl, file_SectorSize, file_DeviceCharacteristics,
    };
    pylon_vfs = *unix_vfs;
    pylon_vfs.zName = "unix-pylon";
    pylon_vfs.szOsFile = (int)sizeof(struct pylon_file) + unix_vfs->szOsFile;
    pylon_vfs.xOpen = vfs_open;
    return sqlite3_vfs_register(&pylon_vfs, 1);
}
