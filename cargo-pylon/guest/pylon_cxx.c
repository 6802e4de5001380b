/* The throw half of the C++ runtime, for packages whose C++ throws (numpy's pocketfft and
 * np.unique): Debian's libc++abi for wasm32 is built without exceptions, and code compiled
 * for wasm32-wasi without the exception-handling proposal cannot unwind, so no catch
 * would ever run. A throw ends the run after saying what was thrown, instead of failing
 * the link. The throws numpy's C++ can reach are allocation failures and checks its
 * Python layer makes first (docs/CAPS.md, package caps). */
#include <stdio.h>
#include <stdlib.h>

/* The Itanium C++ ABI's std::type_info: a vtable, then the mangled name. */
struct pylon_type_info {
    const void *vtable;
    const char *name;
};

void *__cxa_allocate_exception(size_t size) {
    void *object = calloc(1, size);
    if (object == NULL) {
        fputs("pylon: out of memory while throwing a C++ exception\n", stderr);
        abort();
    }
    return object;
}

void __cxa_free_exception(void *object) { free(object); }

_Noreturn void __cxa_throw(void *object, struct pylon_type_info *type, void (*destroy)(void *)) {
    (void)object;
    (void)destroy;
    fprintf(stderr,
            "pylon: C++ code threw %s, and C++ exceptions cannot unwind in this interpreter; "
            "the run ends here\n",
            type != NULL && type->name != NULL ? type->name : "an exception");
    fflush(stderr);
    abort();
}
