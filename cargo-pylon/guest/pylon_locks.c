/* The guest's side of the launcher's file locks (glue.wit's `locks`), for SQLite's VFS
 * (caps/sqlite3/src/locking.c). Interpreters without SQLite never call these, so the
 * linker drops them and the interpreter does not import the interface. */
#include <string.h>

#include "pylon_glue.h"

int pylon_locks_supported(void) { return pylon_runtime_locks_supported(); }

/* Lock (kind 0 read, 1 write, 2 unlock) or test: 0 done, 1 busy, 2 unsupported, 3 failed. */
int pylon_locks_call(const char *path, int test, int kind, unsigned long long start,
                     unsigned long long length) {
    pylon_glue_string_t name = {(uint8_t *)path, strlen(path)};
    return test ? pylon_runtime_locks_test(&name, kind, start, length)
                : pylon_runtime_locks_set(&name, kind, start, length);
}
