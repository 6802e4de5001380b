/* pylon: what packages' thread code links that CPython's WASI stubs for pthreads leave
 * out. wasi-libc's own pthread_cond_broadcast would bring its whole condition-variable
 * object, whose other functions CPython's stubs define already (a duplicate-symbol link
 * error). With one thread, no one waits on a condition: waking every waiter wakes none. */
#include <pthread.h>

int pthread_cond_broadcast(pthread_cond_t *cond) {
    (void)cond;
    return 0;
}
