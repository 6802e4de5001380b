"""greeting: Python's face of the cap (the work runs in its WebAssembly component)."""

from _greeting_cap import Error, adler32, greet

__all__ = ["Error", "adler32", "greet"]
