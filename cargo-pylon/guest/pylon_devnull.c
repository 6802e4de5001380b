/* /dev/null inside the guest.
 *
 * WASI has no device files, yet programs open os.devnull to throw output away (logging
 * handlers, pytest's plugins, subprocess-style code). The interpreter is linked with
 * --wrap for the wasi-libc calls below (relink.rs lists them): opening "/dev/null" hands
 * out a descriptor of pylon's own, which reads as end of file, takes and discards every
 * write, and stats as a character device. Nothing reaches the host, so nothing piles up
 * there. Every other descriptor goes straight to the real call. Guest descriptor numbers
 * are translated first (pylon_fds.c: duplicates), and closing is the table's to decide. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <wasi/api.h>

#include "pylon_fds.h"

/* Descriptors far above any the preview1 adapter hands out. */
#define NULL_BASE 0x3f000000u
#define NULL_SLOTS 64

static uint64_t open_slots;

static bool is_null_fd(__wasi_fd_t fd) {
    return fd >= NULL_BASE && fd < NULL_BASE + NULL_SLOTS && (open_slots >> (fd - NULL_BASE) & 1);
}

bool pylon_devnull_is(__wasi_fd_t fd) { return is_null_fd(fd); }

bool pylon_devnull_close(__wasi_fd_t fd) {
    if (!is_null_fd(fd)) return false;
    open_slots &= ~((uint64_t)1 << (fd - NULL_BASE));
    return true;
}

/* Whether `path`, relative to `dirfd`, names /dev/null: wasi-libc resolves "/dev/null"
 * against the root mount ("/"), as "dev/null". */
bool pylon_devnull_path(__wasi_fd_t dirfd, const char *path) {
    if (strcmp(path, "dev/null") != 0) return false;
    __wasi_prestat_t prestat;
    uint8_t name[2];
    return __wasi_fd_prestat_get(dirfd, &prestat) == __WASI_ERRNO_SUCCESS
        && prestat.u.dir.pr_name_len == 1
        && __wasi_fd_prestat_dir_name(dirfd, name, 1) == __WASI_ERRNO_SUCCESS
        && name[0] == '/';
}

__wasi_errno_t pylon_devnull_open(__wasi_oflags_t oflags, __wasi_fd_t *out) {
    if (oflags & __WASI_OFLAGS_DIRECTORY) return __WASI_ERRNO_NOTDIR;
    if ((oflags & __WASI_OFLAGS_CREAT) && (oflags & __WASI_OFLAGS_EXCL)) return __WASI_ERRNO_EXIST;
    for (unsigned i = 0; i < NULL_SLOTS; i++) {
        if (!(open_slots >> i & 1)) {
            open_slots |= (uint64_t)1 << i;
            *out = NULL_BASE + i;
            return __WASI_ERRNO_SUCCESS;
        }
    }
    return __WASI_ERRNO_NFILE;
}

void pylon_devnull_stat(__wasi_filestat_t *out) {
    memset(out, 0, sizeof *out);
    out->dev = 5;  /* a device of its own, like Linux's devtmpfs */
    out->ino = 1;
    out->filetype = __WASI_FILETYPE_CHARACTER_DEVICE;
    out->nlink = 1;
}

static __wasi_size_t total(const __wasi_ciovec_t *iovs, size_t n) {
    __wasi_size_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += iovs[i].buf_len;
    return sum;
}

/* Each wrapper: pylon's descriptor answers here, any other goes to the real call. */
#define WRAP(name, params, args, null_answer)                       \
    __wasi_errno_t __real___wasi_##name params;                      \
    __wasi_errno_t __wrap___wasi_##name params {                     \
        PYLON_FD_HOST(fd);                                           \
        if (is_null_fd(fd)) { null_answer; }                         \
        return __real___wasi_##name args;                            \
    }

WRAP(fd_read, (__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t n, __wasi_size_t *out), (fd, iovs, n, out),
     *out = 0; return __WASI_ERRNO_SUCCESS)
WRAP(fd_pread, (__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t n, __wasi_filesize_t at, __wasi_size_t *out), (fd, iovs, n, at, out),
     *out = 0; return __WASI_ERRNO_SUCCESS)
WRAP(fd_write, (__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t n, __wasi_size_t *out), (fd, iovs, n, out),
     *out = total(iovs, n); return __WASI_ERRNO_SUCCESS)
WRAP(fd_pwrite, (__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t n, __wasi_filesize_t at, __wasi_size_t *out), (fd, iovs, n, at, out),
     *out = total(iovs, n); return __WASI_ERRNO_SUCCESS)
WRAP(fd_seek, (__wasi_fd_t fd, __wasi_filedelta_t offset, __wasi_whence_t whence, __wasi_filesize_t *out), (fd, offset, whence, out),
     *out = 0; return __WASI_ERRNO_SUCCESS)
WRAP(fd_tell, (__wasi_fd_t fd, __wasi_filesize_t *out), (fd, out),
     *out = 0; return __WASI_ERRNO_SUCCESS)
WRAP(fd_filestat_get, (__wasi_fd_t fd, __wasi_filestat_t *out), (fd, out),
     pylon_devnull_stat(out); return __WASI_ERRNO_SUCCESS)
WRAP(fd_fdstat_get, (__wasi_fd_t fd, __wasi_fdstat_t *out), (fd, out),
     memset(out, 0, sizeof *out);
     out->fs_filetype = __WASI_FILETYPE_CHARACTER_DEVICE;
     /* Seekable, so isatty() answers false as it does for the real /dev/null. */
     out->fs_rights_base = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL
                         | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS;
     return __WASI_ERRNO_SUCCESS)
WRAP(fd_fdstat_set_flags, (__wasi_fd_t fd, __wasi_fdflags_t flags), (fd, flags), return __WASI_ERRNO_SUCCESS)
WRAP(fd_filestat_set_size, (__wasi_fd_t fd, __wasi_filesize_t size), (fd, size), return __WASI_ERRNO_SUCCESS)
WRAP(fd_sync, (__wasi_fd_t fd), (fd), return __WASI_ERRNO_SUCCESS)
WRAP(fd_datasync, (__wasi_fd_t fd), (fd), return __WASI_ERRNO_SUCCESS)
