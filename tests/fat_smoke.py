"""The fat interpreter's packages: numpy and MarkupSafe's speedups, built from their
sdists into the interpreter (the workspace requires them). A workspace that leaves them
out gets the lean interpreter, where this file skips (exit 77); `PYLON_REQUIRE_FAT=1`
turns that skip into a failure, as release runs of a fat build want."""
import sys

try:
    import markupsafe._speedups
    import numpy as np
except ImportError as missing:
    print(f"lean interpreter: {missing}")
    sys.exit(77)

assert "numpy._core._multiarray_umath" in sys.builtin_module_names
assert float(np.linalg.norm(np.array([3.0, 4.0]))) == 5.0
assert markupsafe._speedups._escape_inner("<") == "&lt;"
print("fat interpreter:", np.__version__)
