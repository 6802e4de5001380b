/* pylon: memory-mapped files in a sandbox that has none (WASI preview 1).
 *
 * A mapping is the file's bytes read into memory (zeros past its end, as a mapping past
 * end of file reads); a shared, writable one keeps a duplicate of the descriptor and is
 * written back to the file by msync() and munmap(), which is when POSIX makes writes
 * visible to read() too. One process and no other mapper: what differs from a kernel's
 * mapping is only that two mappings of one file do not see each other's writes before a
 * flush. CPython's mmap module (flush(), close()) and packages' C (numpy.memmap) call
 * these; wasi-libc's own emulation of this vintage has no msync and writes nothing back. */
#define _WASI_EMULATED_MMAN
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The guest's descriptor table's dup (pylon_fds.c): WASI itself has none. */
int pylon_dup(int fd);

struct pylon_mapping {
    struct pylon_mapping *next;
    char *body;
    size_t length;
    off_t offset;
    int fd; /* a duplicate, for writing back; -1 when nothing is written back */
};

static struct pylon_mapping *pylon_mappings;

/* The mapping `addr` points into, and the link that points at it. */
static struct pylon_mapping **pylon_find(const char *addr) {
    for (struct pylon_mapping **at = &pylon_mappings; *at; at = &(*at)->next) {
        if (addr >= (*at)->body && addr < (*at)->body + (*at)->length) return at;
    }
    return NULL;
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
    (void)addr;
    if (length == 0 || (flags & MAP_FIXED) || !(flags & (MAP_SHARED | MAP_PRIVATE))
        || offset < 0) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    if (prot & PROT_EXEC) { /* WebAssembly runs no code from data */
        errno = EACCES;
        return MAP_FAILED;
    }
    int write_back = (flags & MAP_SHARED) && (prot & PROT_WRITE) && !(flags & MAP_ANONYMOUS);
    if (write_back && (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDWR) {
        errno = EACCES;
        return MAP_FAILED;
    }
    struct pylon_mapping *map = malloc(sizeof *map);
    char *body = calloc(1, length);
    if (!map || !body) {
        free(map);
        free(body);
        errno = ENOMEM;
        return MAP_FAILED;
    }
    if (!(flags & MAP_ANONYMOUS)) {
        size_t done = 0;
        while (done < length) {
            ssize_t got = pread(fd, body + done, length - done, offset + (off_t)done);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) {
                int error = errno;
                free(map);
                free(body);
                errno = error;
                return MAP_FAILED;
            }
            if (got == 0) break;
            done += (size_t)got;
        }
    }
    *map = (struct pylon_mapping){pylon_mappings, body, length, offset, -1};
    if (write_back && (map->fd = pylon_dup(fd)) < 0) {
        int error = errno;
        free(map);
        free(body);
        errno = error;
        return MAP_FAILED;
    }
    pylon_mappings = map;
    return body;
}

int msync(void *addr, size_t length, int flags) {
    (void)flags;
    struct pylon_mapping **at = pylon_find(addr);
    if (!at || (char *)addr + length > (*at)->body + (*at)->length) {
        errno = ENOMEM;
        return -1;
    }
    struct pylon_mapping *map = *at;
    if (map->fd < 0) return 0;
    size_t from = (size_t)((char *)addr - map->body), done = 0;
    while (done < length) {
        ssize_t put = pwrite(map->fd, map->body + from + done, length - done,
                             map->offset + (off_t)(from + done));
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return -1;
        done += (size_t)put;
    }
    return 0;
}

int munmap(void *addr, size_t length) {
    struct pylon_mapping **at = pylon_find(addr);
    if (!at || (*at)->body != addr || (*at)->length != length) {
        errno = EINVAL; /* only whole mappings are unmapped */
        return -1;
    }
    struct pylon_mapping *map = *at;
    int result = msync(addr, length, MS_SYNC);
    if (map->fd >= 0) close(map->fd);
    *at = map->next;
    free(map->body);
    free(map);
    return result;
}

int mprotect(void *addr, size_t length, int prot) {
    (void)length;
    (void)prot;
    if (!pylon_find(addr)) {
        errno = ENOMEM;
        return -1;
    }
    return 0; /* the memory stays as it is: WebAssembly has no page protection */
}
