"""pytest plugin for upstream test suites run inside pylon (`cargo pylon upstream-test`).

- Tests the cap's manifest lists under `upstream.skip` (env PYLON_UPSTREAM_SKIP, JSON
  [[node id or prefix, reason], ...]) are reported as skipped with that reason; a file or
  folder named whole is not collected at all (its imports may be what WASI lacks).
- Modules pylon cannot have (ctypes and mmap: no libffi, no shared memory in WASI; psutil:
  no processes to inspect; numpy in a workspace that does not lock it) can still be
  imported by test modules, as stand-ins:
  a test that uses one is skipped with the reason, instead of its whole file failing at
  collection. Only test modules get a stand-in: the package under test imports the real
  thing and sees the ImportError it is written to handle.
"""
import importlib
import importlib.abc
import importlib.util
import json
import os
import sys
import types

import pytest

_SKIPS = json.loads(os.environ.get("PYLON_UPSTREAM_SKIP", "[]"))
# Natively (the baseline `--native` runs), only what pylon does not collect stays out, so
# both runs collect the same tests; every other test runs.
_NATIVE = os.environ.get("PYLON_UPSTREAM_NATIVE") == "1"
_WHY = {
    "ctypes": "WASI has no libffi to call C through",
    "mmap": "WASI has no memory mapping of files",
    "numpy": "this workspace does not lock numpy",
    "psutil": "WASI has no processes to inspect: psutil reads /proc and asks the OS",
}


def _skip(module):
    pytest.skip(f"needs {module}, which pylon does not have ({_WHY[module]})", allow_module_level=True)


_IN_TEST = [False]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _IN_TEST[0] = True
    try:
        yield
    finally:
        _IN_TEST[0] = False


class _Missing:
    """A name of a module pylon cannot have: looked up freely while test modules are
    collected, it skips the test that uses it (a lookup on it, a call, ...)."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if _IN_TEST[0]:
            _skip(self._module)
        return self

    def _use(self, *args, **kwargs):
        _skip(self._module)

    __call__ = __getitem__ = __iter__ = __len__ = __bool__ = __index__ = _use
    __mul__ = __rmul__ = __add__ = __eq__ = __hash__ = _use

    def __mro_entries__(self, bases):
        _skip(self._module)


class _MissingModule(types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if _IN_TEST[0]:
            _skip(self.__name__)
        return _Missing(self.__name__)


def _importer_is_a_test():
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith("<frozen"):
        frame = frame.f_back
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    return any(part.startswith("test") or part == "conftest" for part in name.split("."))


def _missing_from_stdlib(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return True
    return False


_MISSING_STDLIB = [
    name for name in ("ctypes", "mmap", "psutil", "numpy") if _missing_from_stdlib(name)
]


class _StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name in _MISSING_STDLIB and _importer_is_a_test():
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return _MissingModule(spec.name)

    def exec_module(self, module):
        pass


if _MISSING_STDLIB and not _NATIVE:
    sys.meta_path.insert(0, _StandIns())


def _forget_stand_ins():
    """Keep stand-ins out of the module cache, so the package under test never gets one."""
    for name in _MISSING_STDLIB:
        if isinstance(sys.modules.get(name), _MissingModule):
            del sys.modules[name]


def pytest_collectstart(collector):
    _forget_stand_ins()


def pytest_runtest_setup(item):
    _forget_stand_ins()


_NOT_COLLECTED = []


def pytest_ignore_collect(collection_path, config):
    """A skipped file or folder is not even imported: its imports may be what WASI lacks."""
    relative = os.path.relpath(str(collection_path), str(config.rootpath))
    for prefix, why in _SKIPS:
        if "::" in prefix:
            continue
        if relative == prefix or relative.startswith(prefix.rstrip("/") + "/"):
            _NOT_COLLECTED.append((relative, why))
            return True
    return None


def pytest_terminal_summary(terminalreporter):
    for path, why in _NOT_COLLECTED:
        terminalreporter.write_line(f"SKIPPED [file] {path}: pylon: {why} (not collected)")


def pytest_collection_modifyitems(config, items):
    if _NATIVE:
        return
    for item in items:
        for prefix, why in _SKIPS:
            if item.nodeid == prefix or item.nodeid.startswith(prefix + "::") or item.nodeid.startswith(prefix + "["):
                item.add_marker(pytest.mark.skip(reason=f"pylon: {why}"))
            elif prefix.endswith(".py") and item.nodeid.split("::")[0] == prefix:
                item.add_marker(pytest.mark.skip(reason=f"pylon: {why}"))


# What a test meets when it starts a thread or a process, which WASI cannot: such a test is
# reported as skipped, with the reason, instead of failed (CPython's own suite marks them
# with requires_working_threading and requires_subprocess, which skip on WASI).
_CANNOT = (
    (RuntimeError, "can't start new thread", "starts a thread, which WASI cannot"),
    (OSError, "does not support processes", "starts a process, which WASI cannot"),
)


def _wasi_cannot(error, seen=None):
    seen = seen if seen is not None else set()
    if error is None or id(error) in seen:
        return None
    seen.add(id(error))
    for kind, text, why in _CANNOT:
        if isinstance(error, kind) and text in str(error):
            return why
    for inner in getattr(error, "exceptions", ()):
        why = _wasi_cannot(inner, seen)
        if why:
            return why
    return _wasi_cannot(error.__cause__, seen) or _wasi_cannot(error.__context__, seen)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not _NATIVE and report.failed and call.excinfo is not None:
        why = _wasi_cannot(call.excinfo.value)
        if why:
            path, line, _ = item.reportinfo()
            report.outcome = "skipped"
            report.longrepr = (str(path), (line or 0) + 1, f"pylon: {why}")
