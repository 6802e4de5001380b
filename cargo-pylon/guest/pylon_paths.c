/* Paths that cannot cross to WASI fail with EILSEQ instead of trapping.
 *
 * WASI preview 2 passes paths as strings, so the preview1 adapter traps ("invalid utf-8
 * sequence") on a path that is not UTF-8, and the whole interpreter dies: os.stat(b"/x\xff")
 * or open("/x\udcff") would end the program. The interpreter is linked with
 * --wrap=__wasi_path_* (relink.rs lists them), so every path wasi-libc hands to the
 * adapter passes through here first and an unrepresentable one fails the call with
 * EILSEQ, as a POSIX system does for a name its file system cannot hold. Python then
 * raises OSError(EILSEQ) and goes on. A symlink whose target would lead out of the
 * granted folder it is made in is refused with EPERM. Folder descriptors are guest numbers,
 * translated to the host's first (pylon_fds.c). */
#include <stdbool.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include <wasi/api.h>

#include "pylon_fds.h"

/* Well-formed UTF-8 exactly as Rust's str::from_utf8 (the adapter's check) accepts it:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8(const char *text) {
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        unsigned char c = *s;
        if (c < 0x80) {
            s += 1;
            continue;
        }
        int extra;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0) lo = 0xA0;      /* overlong */
            else if (c == 0xED) hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0) lo = 0x90;      /* overlong */
            else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
        } else {
            return false;
        }
        if (s[1] < lo || s[1] > hi) return false;
        for (int i = 2; i <= extra; i++) {
            if (s[i] < 0x80 || s[i] > 0xBF) return false;
        }
        s += extra + 1;
    }
    return true;
}

#define GUARD(path) \
    if (!utf8(path)) return __WASI_ERRNO_ILSEQ

/* /dev/null is pylon's own (pylon_devnull.c). */
bool pylon_devnull_path(__wasi_fd_t dirfd, const char *path);
__wasi_errno_t pylon_devnull_open(__wasi_oflags_t oflags, __wasi_fd_t *out);
void pylon_devnull_stat(__wasi_filestat_t *out);

__wasi_errno_t __real___wasi_path_create_directory(__wasi_fd_t, const char *);
__wasi_errno_t __wrap___wasi_path_create_directory(__wasi_fd_t fd, const char *path) {
    PYLON_FD_HOST(fd);
    GUARD(path);
    return __real___wasi_path_create_directory(fd, path);
}

__wasi_errno_t __real___wasi_path_filestat_get(__wasi_fd_t, __wasi_lookupflags_t, const char *, __wasi_filestat_t *);
__wasi_errno_t __wrap___wasi_path_filestat_get(__wasi_fd_t fd, __wasi_lookupflags_t flags, const char *path, __wasi_filestat_t *out) {
    PYLON_FD_HOST(fd);
    GUARD(path);
    if (pylon_devnull_path(fd, path)) {
        pylon_devnull_stat(out);
        return __WASI_ERRNO_SUCCESS;
    }
    return __real___wasi_path_filestat_get(fd, flags, path, out);
}

__wasi_errno_t __real___wasi_path_filestat_set_times(__wasi_fd_t, __wasi_lookupflags_t, const char *, __wasi_timestamp_t, __wasi_timestamp_t, __wasi_fstflags_t);
__wasi_errno_t __wrap___wasi_path_filestat_set_times(__wasi_fd_t fd, __wasi_lookupflags_t flags, const char *path, __wasi_timestamp_t atim, __wasi_timestamp_t mtim, __wasi_fstflags_t fst) {
    PYLON_FD_HOST(fd);
    GUARD(path);
    return __real___wasi_path_filestat_set_times(fd, flags, path, atim, mtim, fst);
}

__wasi_errno_t __real___wasi_path_link(__wasi_fd_t, __wasi_lookupflags_t, const char *, __wasi_fd_t, const char *);
__wasi_errno_t __wrap___wasi_path_link(__wasi_fd_t old_fd, __wasi_lookupflags_t flags, const char *old_path, __wasi_fd_t new_fd, const char *new_path) {
    PYLON_FD_HOST(old_fd);
    PYLON_FD_HOST(new_fd);
    GUARD(old_path);
    GUARD(new_path);
    return __real___wasi_path_link(old_fd, flags, old_path, new_fd, new_path);
}

__wasi_errno_t __real___wasi_path_open(__wasi_fd_t, __wasi_lookupflags_t, const char *, __wasi_oflags_t, __wasi_rights_t, __wasi_rights_t, __wasi_fdflags_t, __wasi_fd_t *);
__wasi_errno_t __wrap___wasi_path_open(__wasi_fd_t fd, __wasi_lookupflags_t dirflags, const char *path, __wasi_oflags_t oflags, __wasi_rights_t base, __wasi_rights_t inheriting, __wasi_fdflags_t fdflags, __wasi_fd_t *out) {
    PYLON_FD_HOST(fd);
    GUARD(path);
    __wasi_errno_t err = pylon_devnull_path(fd, path)
        ? pylon_devnull_open(oflags, out)
        : __real___wasi_path_open(fd, dirflags, path, oflags, base, inheriting, fdflags, out);
    if (err == __WASI_ERRNO_SUCCESS) *out = pylon_fd_adopt(*out);
    return err;
}

__wasi_errno_t __real___wasi_path_readlink(__wasi_fd_t, const char *, uint8_t *, __wasi_size_t, __wasi_size_t *);
__wasi_errno_t __wrap___wasi_path_readlink(__wasi_fd_t fd, const char *path, uint8_t *buf, __wasi_size_t len, __wasi_size_t *out) {
    PYLON_FD_HOST(fd);
    GUARD(path);
    return __real___wasi_path_readlink(fd, path, buf, len, out);
}

__wasi_errno_t __real___wasi_path_remove_directory(__wasi_fd_t, const char *);
__wasi_errno_t __wrap___wasi_path_remove_directory(__wasi_fd_t fd, const char *path) {
    PYLON_FD_HOST(fd);
    GUARD(path);
    return __real___wasi_path_remove_directory(fd, path);
}

__wasi_errno_t __real___wasi_path_rename(__wasi_fd_t, const char *, __wasi_fd_t, const char *);
__wasi_errno_t __wrap___wasi_path_rename(__wasi_fd_t fd, const char *old_path, __wasi_fd_t new_fd, const char *new_path) {
    PYLON_FD_HOST(fd);
    PYLON_FD_HOST(new_fd);
    GUARD(old_path);
    GUARD(new_path);
    return __real___wasi_path_rename(fd, old_path, new_fd, new_path);
}

/* How deep `path` (its first `len` bytes) ends below the folder it starts in, starting
 * `depth` deep; -1 once a `..` leaves that folder. */
static long depth_after(const char *path, size_t len, long depth) {
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && path[j] != '/') j++;
        size_t n = j - i;
        if (n == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (--depth < 0) return -1;
        } else if (!(n == 0 || (n == 1 && path[i] == '.'))) {
            depth++;
        }
        i = j + 1;
    }
    return depth;
}

/* Whether a link at `link` (relative to its granted folder) pointing at `target` would
 * lead out of that folder: the guest could not follow it, but host tools walking the
 * folder later would. */
static bool escapes(const char *target, const char *link) {
    if (target[0] == '/') return true;
    const char *slash = strrchr(link, '/');
    long depth = depth_after(link, slash ? (size_t)(slash - link) : 0, 0);
    return depth < 0 || depth_after(target, strlen(target), depth) < 0;
}

__wasi_errno_t __real___wasi_path_symlink(const char *, __wasi_fd_t, const char *);
__wasi_errno_t __wrap___wasi_path_symlink(const char *old_path, __wasi_fd_t fd, const char *new_path) {
    PYLON_FD_HOST(fd);
    GUARD(old_path);
    GUARD(new_path);
    if (escapes(old_path, new_path)) return __WASI_ERRNO_PERM;
    return __real___wasi_path_symlink(old_path, fd, new_path);
}

__wasi_errno_t __real___wasi_path_unlink_file(__wasi_fd_t, const char *);
__wasi_errno_t __wrap___wasi_path_unlink_file(__wasi_fd_t fd, const char *path) {
    PYLON_FD_HOST(fd);
    GUARD(path);
    return __real___wasi_path_unlink_file(fd, path);
}
