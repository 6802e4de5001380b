"""BLAKE3 hashing, with the core API of the PyPI ``blake3`` package.

The hashing runs in the blake3 cap's WebAssembly component (the Rust ``blake3`` crate);
this module is the Python face of it. Hashers also support ``close()`` and ``with``
blocks, which release the component's state at once instead of at garbage collection.
"""

import _blake3_cap as _cap

__all__ = ["blake3", "KEY_LEN", "OUT_LEN"]

KEY_LEN = 32
OUT_LEN = 32


class blake3:
    """An incremental BLAKE3 hasher: ``blake3(data=b"", *, key=None, derive_key_context=None)``."""

    name = "blake3"
    digest_size = OUT_LEN
    block_size = 64
    key_size = KEY_LEN
    AUTO = -1

    __slots__ = ("_handle", "_key", "_context")

    def __init__(self, data=b"", /, *, key=None, derive_key_context=None, max_threads=1, usedforsecurity=True):
        if key is not None and derive_key_context is not None:
            raise ValueError("cannot use key and derive_key_context together")
        if derive_key_context is not None and not isinstance(derive_key_context, str):
            raise TypeError(f"derive_key_context must be str, not {type(derive_key_context).__name__}")
        if max_threads != 1 and max_threads != self.AUTO and (not isinstance(max_threads, int) or max_threads < 1):
            raise ValueError("max_threads must be a positive integer or blake3.AUTO")
        self._key = None if key is None else bytes(memoryview(key))
        self._context = derive_key_context
        self._handle = self._fresh_handle()
        if data:
            self.update(data)

    def _fresh_handle(self):
        if self._key is not None:
            if len(self._key) != KEY_LEN:
                raise ValueError(f"key must be {KEY_LEN} bytes, got {len(self._key)}")
            return _cap.new_keyed(self._key)
        if self._context is not None:
            return _cap.new_derive_key(self._context)
        return _cap.new()

    def update(self, data, /):
        """Add bytes-like ``data`` to the hash; returns the hasher."""
        if isinstance(data, str):
            raise TypeError("Unicode-objects must be encoded before hashing")
        _cap.update(self._handle, data)
        return self

    def digest(self, length=OUT_LEN, *, seek=0):
        """``length`` bytes of output (starting ``seek`` bytes into the output stream)."""
        if length < 0 or seek < 0:
            raise ValueError("length and seek must be non-negative")
        return _cap.finalize(self._handle, seek + length)[seek:]

    def hexdigest(self, length=OUT_LEN, *, seek=0):
        """The digest as a string of hexadecimal digits."""
        return self.digest(length, seek=seek).hex()

    def copy(self):
        """An independent hasher with the same state."""
        clone = blake3.__new__(blake3)
        clone._key, clone._context = self._key, self._context
        clone._handle = _cap.copy(self._handle)
        return clone

    def reset(self):
        """Forget everything fed so far (keeping the key or context)."""
        old, self._handle = self._handle, self._fresh_handle()
        _cap.close(old)

    def close(self):
        """Release the hasher now; using it afterwards raises ValueError."""
        _cap.close(self._handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
