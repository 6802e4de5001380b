/* Duplicated descriptors inside the guest: os.dup and os.dup2 (pytest's default capture,
 * its faulthandler plugin, any redirection of stdout to a file and back).
 *
 * WASI preview 1 has no call that duplicates a descriptor, so the guest keeps its own
 * table: a guest descriptor number names a host descriptor (the preview1 adapter's, or
 * pylon's /dev/null), several numbers may name one, and the host descriptor is closed
 * when the last number naming it is. As with dup(2), duplicates share one open file, its
 * offset and its flags. A number with no row in the table names the host descriptor of
 * the same number, so nothing changes until a program duplicates something; the table
 * is empty when compose takes the pre-initialized snapshot.
 *
 * The interpreter is linked with --wrap for every wasi-libc call that takes or returns a
 * descriptor (relink.rs lists them). The calls pylon_devnull.c and pylon_paths.c stand in
 * front of translate their descriptors with pylon_fd_host() first; the others are wrapped
 * here. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "pylon_fds.h"

/* A guest number closed while the host descriptor of the same number lives on under
 * another number. */
#define CLOSED UINT32_MAX
/* Guest numbers dup() hands out stay below this; well under pylon's /dev/null range. */
#define NUMBERS 4096
#define ROWS 256

struct row {
    __wasi_fd_t guest;
    __wasi_fd_t host;
};
static struct row rows[ROWS];
static unsigned used;

static int find(__wasi_fd_t guest) {
    for (unsigned i = 0; i < used; i++)
        if (rows[i].guest == guest) return (int)i;
    return -1;
}

static void drop(int i) { rows[i] = rows[--used]; }

/* Point `guest` at `host` (no row when they are equal). */
static __wasi_errno_t point(__wasi_fd_t guest, __wasi_fd_t host) {
    int i = find(guest);
    if (guest == host) {
        if (i >= 0) drop(i);
        return __WASI_ERRNO_SUCCESS;
    }
    if (i < 0) {
        if (used == ROWS) return __WASI_ERRNO_MFILE;
        i = (int)used++;
        rows[i].guest = guest;
    }
    rows[i].host = host;
    return __WASI_ERRNO_SUCCESS;
}

__wasi_errno_t pylon_fd_host(__wasi_fd_t *fd) {
    int i = used ? find(*fd) : -1;
    if (i < 0) return __WASI_ERRNO_SUCCESS;
    if (rows[i].host == CLOSED) return __WASI_ERRNO_BADF;
    *fd = rows[i].host;
    return __WASI_ERRNO_SUCCESS;
}

__wasi_errno_t __real___wasi_fd_fdstat_get(__wasi_fd_t, __wasi_fdstat_t *);
__wasi_errno_t __real___wasi_fd_close(__wasi_fd_t);

static bool host_open(__wasi_fd_t host) {
    __wasi_fdstat_t stat;
    return pylon_devnull_is(host) || __real___wasi_fd_fdstat_get(host, &stat) == __WASI_ERRNO_SUCCESS;
}

/* How many guest numbers name `host`. */
static unsigned names(__wasi_fd_t host) {
    unsigned n = find(host) < 0 && host_open(host);
    for (unsigned i = 0; i < used; i++) n += rows[i].host == host;
    return n;
}

static bool guest_open(__wasi_fd_t guest) {
    int i = find(guest);
    return i >= 0 ? rows[i].host != CLOSED : host_open(guest);
}

static __wasi_errno_t close_host(__wasi_fd_t host) {
    return pylon_devnull_close(host) ? __WASI_ERRNO_SUCCESS : __real___wasi_fd_close(host);
}

/* Close `host` once no guest number names it. */
static __wasi_errno_t release(__wasi_fd_t host) {
    if (names(host) > 0) return __WASI_ERRNO_SUCCESS;
    int i = find(host);
    if (i >= 0 && rows[i].host == CLOSED) drop(i);
    return close_host(host);
}

/* Point the lowest free guest number at `host`, as dup(2) numbers its result. */
static __wasi_errno_t number(__wasi_fd_t host, __wasi_fd_t *out) {
    for (__wasi_fd_t n = 0; n < NUMBERS; n++) {
        if (!guest_open(n)) {
            *out = n;
            return point(n, host);
        }
    }
    return __WASI_ERRNO_MFILE;
}

/* The guest number for a descriptor the host just opened. */
__wasi_fd_t pylon_fd_adopt(__wasi_fd_t host) {
    int i = used ? find(host) : -1;
    if (i < 0) return host;
    if (rows[i].host == CLOSED) {
        drop(i);
        return host;
    }
    /* Its number is a duplicate's: the new descriptor takes the lowest free one. */
    __wasi_fd_t n = host;
    return number(host, &n) == __WASI_ERRNO_SUCCESS ? n : host;
}

__wasi_errno_t __wrap___wasi_fd_close(__wasi_fd_t guest) {
    int i = find(guest);
    if (i < 0) {
        /* Its own number: keep the host descriptor while duplicates name it. */
        if (names(guest) > 1) return point(guest, CLOSED);
        return close_host(guest);
    }
    __wasi_fd_t host = rows[i].host;
    if (host == CLOSED) return __WASI_ERRNO_BADF;
    drop(i);
    /* Its number must not fall back to naming a host descriptor that lives on. */
    if (host_open(guest)) point(guest, CLOSED);
    return release(host);
}

/* The open host descriptor guest number `guest` names, or EBADF. */
static __wasi_errno_t open_host(__wasi_fd_t guest, __wasi_fd_t *host) {
    *host = guest;
    __wasi_errno_t err = pylon_fd_host(host);
    if (err != __WASI_ERRNO_SUCCESS) return err;
    return host_open(*host) ? __WASI_ERRNO_SUCCESS : __WASI_ERRNO_BADF;
}

static __wasi_errno_t duplicate(__wasi_fd_t guest, __wasi_fd_t *out) {
    __wasi_fd_t host;
    __wasi_errno_t err = open_host(guest, &host);
    return err != __WASI_ERRNO_SUCCESS ? err : number(host, out);
}

static __wasi_errno_t duplicate_to(__wasi_fd_t guest, __wasi_fd_t to) {
    __wasi_fd_t host;
    __wasi_errno_t err = open_host(guest, &host);
    if (err != __WASI_ERRNO_SUCCESS) return err;
    if (guest == to) return __WASI_ERRNO_SUCCESS;
    if (to >= NUMBERS) return __WASI_ERRNO_BADF;
    __wasi_fd_t old = to;
    bool had = guest_open(to) && pylon_fd_host(&old) == __WASI_ERRNO_SUCCESS;
    err = point(to, host);
    if (err != __WASI_ERRNO_SUCCESS) return err;
    return had && old != host ? release(old) : __WASI_ERRNO_SUCCESS;
}

static int with_errno(__wasi_errno_t err, int result) {
    if (err == __WASI_ERRNO_SUCCESS) return result;
    errno = err;
    return -1;
}

/* Strong definitions of the weak ones CPython's build carries (pylon-sys's patches). */
int pylon_dup(int fd) {
    __wasi_fd_t out = 0;
    return with_errno(fd < 0 ? __WASI_ERRNO_BADF : duplicate((__wasi_fd_t)fd, &out), (int)out);
}

int pylon_dup2(int fd, int to) {
    return with_errno(fd < 0 || to < 0 ? __WASI_ERRNO_BADF : duplicate_to((__wasi_fd_t)fd, (__wasi_fd_t)to), to);
}

/* wasi-libc's __wasilibc_fd_renumber: `to` takes `fd`'s place, `fd` is closed. */
__wasi_errno_t __wrap___wasi_fd_renumber(__wasi_fd_t fd, __wasi_fd_t to) {
    __wasi_errno_t err = duplicate_to(fd, to);
    return err != __WASI_ERRNO_SUCCESS || fd == to ? err : __wrap___wasi_fd_close(fd);
}

/* The calls nothing else stands in front of: translate, then the real call. */
#define TRANSLATED(name, params, args)                                \
    __wasi_errno_t __real___wasi_##name params;                        \
    __wasi_errno_t __wrap___wasi_##name params {                       \
        __wasi_errno_t err = pylon_fd_host(&fd);                       \
        if (err != __WASI_ERRNO_SUCCESS) return err;                   \
        return __real___wasi_##name args;                              \
    }

TRANSLATED(fd_advise, (__wasi_fd_t fd, __wasi_filesize_t offset, __wasi_filesize_t len, __wasi_advice_t advice), (fd, offset, len, advice))
TRANSLATED(fd_allocate, (__wasi_fd_t fd, __wasi_filesize_t offset, __wasi_filesize_t len), (fd, offset, len))
TRANSLATED(fd_fdstat_set_rights, (__wasi_fd_t fd, __wasi_rights_t base, __wasi_rights_t inheriting), (fd, base, inheriting))
TRANSLATED(fd_filestat_set_times, (__wasi_fd_t fd, __wasi_timestamp_t atim, __wasi_timestamp_t mtim, __wasi_fstflags_t flags), (fd, atim, mtim, flags))
TRANSLATED(fd_readdir, (__wasi_fd_t fd, uint8_t *buf, __wasi_size_t len, __wasi_dircookie_t cookie, __wasi_size_t *out), (fd, buf, len, cookie, out))
TRANSLATED(sock_recv, (__wasi_fd_t fd, const __wasi_iovec_t *data, size_t n, __wasi_riflags_t flags, __wasi_size_t *out, __wasi_roflags_t *oflags), (fd, data, n, flags, out, oflags))
TRANSLATED(sock_send, (__wasi_fd_t fd, const __wasi_ciovec_t *data, size_t n, __wasi_siflags_t flags, __wasi_size_t *out), (fd, data, n, flags, out))
TRANSLATED(sock_shutdown, (__wasi_fd_t fd, __wasi_sdflags_t how), (fd, how))

__wasi_errno_t __real___wasi_sock_accept(__wasi_fd_t, __wasi_fdflags_t, __wasi_fd_t *);
__wasi_errno_t __wrap___wasi_sock_accept(__wasi_fd_t fd, __wasi_fdflags_t flags, __wasi_fd_t *out) {
    __wasi_errno_t err = pylon_fd_host(&fd);
    if (err == __WASI_ERRNO_SUCCESS) err = __real___wasi_sock_accept(fd, flags, out);
    if (err == __WASI_ERRNO_SUCCESS) *out = pylon_fd_adopt(*out);
    return err;
}

/* select() and poll(): each descriptor subscription waits on its host descriptor. */
__wasi_errno_t __real___wasi_poll_oneoff(const __wasi_subscription_t *, __wasi_event_t *, __wasi_size_t, __wasi_size_t *);
__wasi_errno_t __wrap___wasi_poll_oneoff(const __wasi_subscription_t *in, __wasi_event_t *out, __wasi_size_t n, __wasi_size_t *count) {
    if (used == 0) return __real___wasi_poll_oneoff(in, out, n, count);
    __wasi_subscription_t *copy = malloc(n * sizeof *copy);
    if (copy == NULL) return __WASI_ERRNO_NOMEM;
    memcpy(copy, in, n * sizeof *copy);
    for (__wasi_size_t i = 0; i < n; i++) {
        __wasi_fd_t *fd = copy[i].u.tag == __WASI_EVENTTYPE_FD_READ ? &copy[i].u.u.fd_read.file_descriptor
                        : copy[i].u.tag == __WASI_EVENTTYPE_FD_WRITE ? &copy[i].u.u.fd_write.file_descriptor
                        : NULL;
        /* A closed number waits on no descriptor: the host answers EBADF for it. */
        if (fd != NULL && pylon_fd_host(fd) != __WASI_ERRNO_SUCCESS) *fd = CLOSED;
    }
    __wasi_errno_t err = __real___wasi_poll_oneoff(copy, out, n, count);
    free(copy);
    return err;
}
