/* The pre-initialized interpreter: CPython is started by `wizer.initialize` while compose
 * takes a snapshot, and every run resumes from it through the exported wasi:cli/run.
 *
 * What belongs to one run is that run's own: argv (the command or the script, sys.argv
 * and sys.orig_argv), the environment (wasi-libc's and os.environ), the preopened folders
 * (wasi-libc asks the host for them again), the random seed, the time zone and stdout's
 * buffering (guest/pylon_resume.py). The launcher starts this interpreter only for a
 * command line it can honour (a script or -c, no PYTHON* variables); anything else runs
 * on the cold one. */
#include <Python.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "pylon_preinit.h"
#include "pylon_resume_source.h"

void __wasilibc_reset_preopens(void);
void __wasilibc_deinitialize_environ(void);
void __wasilibc_initialize_environ(void);
void pylon_enter_cwd(void);
extern char **environ;
/* CPython's own (internal; linked statically): the configuration Py_RunMain runs, and
 * gc.freeze without importing gc. */
const PyConfig *_PyInterpreterState_GetConfig(PyInterpreterState *interp);
void _PyGC_Freeze(PyInterpreterState *interp);

static PyObject *resume_fn; /* pylon_resume.resume, ready in the snapshot */
static bool preinitialized;

static void flush_stdio(void) {
    static const char *const names[] = {"stdout", "stderr"};
    for (size_t i = 0; i < 2; i++) {
        PyObject *stream = PySys_GetObject(names[i]);
        PyObject *done = stream ? PyObject_CallMethod(stream, "flush", NULL) : NULL;
        Py_XDECREF(done);
        PyErr_Clear();
    }
}

/* Run before the snapshot: CPython started as a cold `python3` would start, the
 * workspace's preloaded modules imported, and the resume function compiled. */
__attribute__((export_name("wizer.initialize")))
void pylon_preinit_initialize(void) {
    static char *const argv[] = {"python3", NULL};
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    PyStatus status = PyConfig_SetBytesArgv(&config, 1, argv);
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        fprintf(stderr, "pylon: Python did not start: %s\n", status.err_msg ? status.err_msg : "unknown error");
        abort();
    }
    /* Not a module in sys.modules: a program sees no trace of it. */
    PyObject *globals = PyDict_New();
    PyObject *name = PyUnicode_FromString("pylon_resume");
    PyObject *code = Py_CompileString(PYLON_RESUME_SOURCE, "pylon_resume.py", Py_file_input);
    PyObject *done = NULL;
    if (globals && name && code && PyDict_SetItemString(globals, "__name__", name) == 0 &&
        PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) == 0) {
        done = PyEval_EvalCode(code, globals, globals);
    }
    Py_XDECREF(name);
    Py_XDECREF(code);
    Py_XDECREF(done);
    PyObject *prepare = done && globals ? PyDict_GetItemString(globals, "prepare") : NULL;
    PyObject *prepared = prepare ? PyObject_CallNoArgs(prepare) : NULL;
    resume_fn = globals ? PyDict_GetItemString(globals, "resume") : NULL;
    Py_XINCREF(resume_fn);
    Py_XDECREF(globals);
    if (prepared == NULL || resume_fn == NULL) {
        PyErr_Print();
        abort();
    }
    Py_DECREF(prepared);
    /* What initializing made lives as long as the interpreter: no collection, the final
     * one included, needs to walk it (gc.freeze, as pre-forking servers use it; it halves
     * the time a run spends finalizing). */
    PyGC_Collect();
    _PyGC_Freeze(PyInterpreterState_Get());
    /* Output written while initializing goes out now, not into every run. */
    flush_stdio();
    /* The snapshot must not keep compose's folders: wasi-libc asks the run's host for its
     * own on first use. */
    __wasilibc_reset_preopens();
    preinitialized = true;
}

/* The run's command line, from WASI (a reactor has no main to receive it). */
static char **read_argv(int *argc) {
    __wasi_size_t count, size;
    if (__wasi_args_sizes_get(&count, &size) != 0) return NULL;
    char **argv = calloc(count + 1, sizeof *argv);
    char *buffer = malloc(size);
    if (argv == NULL || buffer == NULL || __wasi_args_get((uint8_t **)argv, (uint8_t *)buffer) != 0) return NULL;
    *argc = (int)count;
    return argv;
}

static PyObject *list_of(Py_ssize_t n, wchar_t *const *items) {
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list && i < n; i++) {
        PyObject *item = PyUnicode_FromWideChar(items[i], -1);
        if (item == NULL) Py_CLEAR(list);
        else PyList_SET_ITEM(list, i, item);
    }
    return list;
}

/* Put the run's program where Py_RunMain and sys look: `python3 -c CODE ARGS...`,
 * `python3 -m MODULE ARGS...` or `python3 SCRIPT ARGS...`, as the cold interpreter's
 * command-line parser would. */
static int set_program(int argc, char **argv) {
    bool module = argc >= 3 && strcmp(argv[1], "-m") == 0;
    bool command = module || (argc >= 3 && strcmp(argv[1], "-c") == 0);
    if (!command && (argc < 2 || argv[1][0] == '-')) {
        fprintf(stderr, "pylon: the pre-initialized interpreter runs `python3 SCRIPT`, `python3 -c CODE` or `python3 -m MODULE`; "
                        "run other command lines on the cold interpreter (pylon.wasm)\n");
        exit(2);
    }
    wchar_t **wide = PyMem_RawCalloc((size_t)argc, sizeof *wide);
    if (wide == NULL) return PyErr_NoMemory(), -1;
    int result = -1;
    for (int i = 0; i < argc; i++) {
        if ((wide[i] = Py_DecodeLocale(argv[i], NULL)) == NULL) {
            PyErr_Format(PyExc_UnicodeError, "argument %d cannot be decoded", i);
            goto done;
        }
    }
    /* sys.argv: "-c", "-m" (runpy puts the module's path there) or the script, then the
     * program's own arguments. */
    int first = command ? 3 : 2;
    Py_ssize_t n = 1 + (argc - first);
    wchar_t **args = PyMem_RawCalloc((size_t)n, sizeof *args);
    if (args == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    args[0] = wide[1];
    for (int i = first; i < argc; i++) args[1 + i - first] = wide[i];

    PyConfig *config = (PyConfig *)_PyInterpreterState_GetConfig(PyInterpreterState_Get());
    PyStatus status = PyConfig_SetWideStringList(config, &config->orig_argv, argc, wide);
    if (!PyStatus_Exception(status)) status = PyConfig_SetWideStringList(config, &config->argv, n, args);
    if (!PyStatus_Exception(status) && module) {
        status = PyConfig_SetString(config, &config->run_module, wide[2]);
    } else if (!PyStatus_Exception(status) && command) {
        size_t len = wcslen(wide[2]);
        wchar_t *code = PyMem_RawMalloc((len + 2) * sizeof *code);
        if (code == NULL) {
            status = PyStatus_NoMemory();
        } else {
            /* The cold parser ends the command with a newline too. */
            wcscpy(code, wide[2]);
            code[len] = L'\n';
            code[len + 1] = L'\0';
            status = PyConfig_SetString(config, &config->run_command, code);
            PyMem_RawFree(code);
        }
    } else if (!PyStatus_Exception(status)) {
        status = PyConfig_SetString(config, &config->run_filename, wide[1]);
    }
    if (PyStatus_Exception(status)) {
        PyErr_SetString(PyExc_RuntimeError, status.err_msg ? status.err_msg : "cannot set the program");
    } else {
        PyObject *sys_argv = list_of(n, args), *sys_orig = list_of(argc, wide);
        if (sys_argv && sys_orig && PySys_SetObject("argv", sys_argv) == 0 && PySys_SetObject("orig_argv", sys_orig) == 0) {
            result = 0;
        }
        Py_XDECREF(sys_argv);
        Py_XDECREF(sys_orig);
    }
    PyMem_RawFree(args);
done:
    for (int i = 0; i < argc; i++) PyMem_RawFree(wide[i]);
    PyMem_RawFree(wide);
    return result;
}

/* The run's environment, as os.environ holds it: bytes to bytes. */
static PyObject *environment(void) {
    PyObject *env = PyDict_New();
    for (char **entry = environ; env && entry && *entry; entry++) {
        const char *eq = strchr(*entry, '=');
        if (eq == NULL || eq == *entry) continue;
        PyObject *key = PyBytes_FromStringAndSize(*entry, eq - *entry);
        PyObject *value = PyBytes_FromString(eq + 1);
        /* The first of repeated names wins, as in a cold start. */
        if (key == NULL || value == NULL || (!PyDict_Contains(env, key) && PyDict_SetItem(env, key, value) < 0)) {
            Py_CLEAR(env);
        }
        Py_XDECREF(key);
        Py_XDECREF(value);
    }
    return env;
}

bool exports_wasi_cli_run_run(void) {
    int argc = 0;
    char **argv = read_argv(&argc);
    if (argv == NULL) {
        fprintf(stderr, "pylon: cannot read the command line\n");
        exit(1);
    }
    /* A module run without its snapshot starts cold. */
    if (!preinitialized) exit(Py_BytesMain(argc, argv));
    __wasilibc_deinitialize_environ();
    __wasilibc_initialize_environ();
    pylon_enter_cwd();
    PyObject *env = environment();
    PyObject *resumed = env && set_program(argc, argv) == 0 ? PyObject_CallOneArg(resume_fn, env) : NULL;
    Py_XDECREF(env);
    if (resumed == NULL) {
        PyErr_Print();
        fprintf(stderr, "pylon: the pre-initialized interpreter could not take this run's state\n");
        exit(1);
    }
    Py_DECREF(resumed);
    exit(Py_RunMain());
}
