/* Exit codes for the interpreter.
 *
 * wasi-libc ends a program with __wasi_proc_exit(code), which the preview1 adapter maps
 * to wasi:cli/exit.exit(result): every failure becomes 1. The interpreter is linked with
 * --wrap=__wasi_proc_exit so the code goes to exit-with-code instead, and sys.exit(3)
 * exits 3. */
#include <stdint.h>

#include "pylon_glue.h"

_Noreturn void __wrap___wasi_proc_exit(uint32_t code) {
    wasi_cli_exit_exit_with_code((uint8_t)code);
    __builtin_unreachable();
}
