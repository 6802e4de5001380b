"""pytest plugin for upstream test suites run inside pylon (`cargo pylon upstream-test`).

- Tests the cap's manifest lists under `upstream.skip` (env PYLON_UPSTREAM_SKIP, JSON
  [[node id or prefix, reason], ...]) are reported as skipped with that reason.
- numpy is not shipped: when it cannot be imported, `import numpy` still succeeds, and
  any test that then uses it is skipped (reason printed), instead of the whole file
  failing at collection.
"""
import importlib.util
import json
import os
import sys
import types

import pytest

_SKIPS = json.loads(os.environ.get("PYLON_UPSTREAM_SKIP", "[]"))


def _absent(name):
    def __getattr__(attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        pytest.skip(f"needs {name}, which pylon does not ship")

    module = types.ModuleType(name, f"{name} is not available inside pylon")
    module.__getattr__ = __getattr__
    return module


if importlib.util.find_spec("numpy") is None:
    sys.modules["numpy"] = _absent("numpy")


def pytest_collection_modifyitems(config, items):
    for item in items:
        for prefix, why in _SKIPS:
            if item.nodeid == prefix or item.nodeid.startswith(prefix + "::") or item.nodeid.startswith(prefix + "["):
                item.add_marker(pytest.mark.skip(reason=f"pylon: {why}"))
            elif prefix.endswith(".py") and item.nodeid.split("::")[0] == prefix:
                item.add_marker(pytest.mark.skip(reason=f"pylon: {why}"))
