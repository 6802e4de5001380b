/* The guest's descriptor table (pylon_fds.c) and pylon's /dev/null (pylon_devnull.c), as
 * the other wrappers of wasi-libc's calls see them. */
#include <stdbool.h>
#include <wasi/api.h>

/* The host descriptor guest descriptor `*fd` names, in place; EBADF for a closed number. */
__wasi_errno_t pylon_fd_host(__wasi_fd_t *fd);
/* The guest number for a descriptor the host just opened. */
__wasi_fd_t pylon_fd_adopt(__wasi_fd_t host);

/* Translate `fd` in place, or return the error from the enclosing call. */
#define PYLON_FD_HOST(fd)                                 \
    do {                                                  \
        __wasi_errno_t pylon_err_ = pylon_fd_host(&(fd)); \
        if (pylon_err_ != __WASI_ERRNO_SUCCESS) return pylon_err_; \
    } while (0)

/* Whether host descriptor `fd` is one of pylon's /dev/null, and closing one. */
bool pylon_devnull_is(__wasi_fd_t fd);
bool pylon_devnull_close(__wasi_fd_t fd);
