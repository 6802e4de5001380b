"""BLAKE3 hashing with the API of the PyPI ``blake3`` package.

The hashing runs in the blake3 cap's WebAssembly component (the Rust ``blake3`` crate).
As on PyPI, the class lives in the submodule ``blake3.blake3`` and is re-exported here.
"""

from .blake3 import *  # noqa: F403  (rebinds the name `blake3` to the class, as upstream does)
from .blake3 import __all__, __version__  # noqa: F401
