/* The guest's working folder, as the launcher chose it (pylon-runtime's staging.rs):
 * WASI has no working folder of its own, so wasi-libc starts every run in `/`. When the
 * host's working folder is the script's folder or above it (and so visible to the guest),
 * the launcher names it in PYLON_CWD, and the run starts there, as `python` would; the
 * variable is removed before Python reads its environment. The command interpreter
 * enters it before main; the pre-initialized one at the start of every run. */
/* unsetenv is POSIX, outside the C11 the glue is compiled as. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void pylon_enter_cwd(void) {
    const char *cwd = getenv("PYLON_CWD");
    if (cwd == NULL) return;
    if (chdir(cwd) != 0) perror("pylon: cannot enter the working folder");
    unsetenv("PYLON_CWD");
}

__attribute__((constructor)) static void enter_cwd_at_start(void) { pylon_enter_cwd(); }
