"""BLAKE3 hashing, with the core API of the PyPI ``blake3`` package.

The hashing runs in the blake3 cap's WebAssembly component (the Rust ``blake3`` crate);
this module is the Python face of it. Hashers also support ``close()`` and ``with``
blocks, which release the component's state at once instead of at garbage collection.
"""

import _blake3_cap as _cap
from _blake3_cap import Incremental as _Incremental

__all__ = ["blake3", "KEY_LEN", "OUT_LEN"]

KEY_LEN = 32
OUT_LEN = 32


def _keyed(key):
    try:
        return _Incremental.keyed(key)
    except _cap.Error as e:  # the component's message: the key's length is wrong
        raise ValueError(*e.args) from None


class blake3:
    """An incremental BLAKE3 hasher: ``blake3(data=b"", *, key=None, derive_key_context=None)``."""

    name = "blake3"
    digest_size = OUT_LEN
    block_size = 64
    key_size = KEY_LEN
    AUTO = -1

    __slots__ = ("_handle", "_key", "_context", "_pending")

    # Up to this much initial data is kept (copied) until it is known whether the hasher
    # is used incrementally: `blake3(data).digest()` then costs one call into the
    # component instead of creating, feeding, finalizing and dropping a handle.
    _LAZY_LIMIT = 1 << 16

    def __init__(self, data=b"", /, *, key=None, derive_key_context=None, max_threads=1, usedforsecurity=True):
        self._handle = None
        self._key = self._context = None
        if key is not None or derive_key_context is not None:
            self._set_mode(key, derive_key_context)
        if max_threads != 1 and max_threads != self.AUTO and (not isinstance(max_threads, int) or max_threads < 1):
            raise ValueError("max_threads must be a positive integer or blake3.AUTO")
        if type(data) is bytes and len(data) <= self._LAZY_LIMIT:
            self._pending = data  # immutable: kept without a copy
            return
        if isinstance(data, str):
            raise TypeError("Unicode-objects must be encoded before hashing")
        view = memoryview(data)
        if view.nbytes <= self._LAZY_LIMIT:
            self._pending = bytes(view)  # the caller may change its buffer later
        else:
            self._pending = b""
            self._open().update(data)

    def _set_mode(self, key, context):
        if key is not None and context is not None:
            raise ValueError("cannot use key and derive_key_context together")
        if context is not None and not isinstance(context, str):
            raise TypeError(f"derive_key_context must be str, not {type(context).__name__}")
        if key is not None:
            key = bytes(memoryview(key))
            if len(key) != KEY_LEN:
                raise ValueError(f"key must be {KEY_LEN} bytes, got {len(key)}")
        self._key, self._context = key, context

    def _fresh_handle(self):
        if self._key is not None:
            return _keyed(self._key)
        if self._context is not None:
            return _Incremental.derive_key(self._context)
        return _Incremental()

    def _open(self):
        """The component-side hasher, created (and fed the pending data) on first need."""
        if self._handle is None:
            self._handle = self._fresh_handle()
            if self._pending:
                self._handle.update(self._pending)
                self._pending = b""
        return self

    def update(self, data, /):
        """Add bytes-like ``data`` to the hash; returns the hasher."""
        if isinstance(data, str):
            raise TypeError("Unicode-objects must be encoded before hashing")
        self._open()._handle.update(data)
        return self

    def digest(self, length=OUT_LEN, *, seek=0):
        """``length`` bytes of output (starting ``seek`` bytes into the output stream)."""
        if self._handle is None and self._key is None and self._context is None and not seek and 0 <= length < 1 << 32:
            return _cap.hash(self._pending, length)
        if length < 0 or seek < 0:
            raise ValueError("length and seek must be non-negative")
        if seek + length >= 1 << 32:
            raise ValueError("length and seek must add up to less than 2**32")
        if self._handle is None:
            if self._key is not None:
                out = _cap.keyed_hash(self._key, self._pending, seek + length)
            elif self._context is not None:
                out = _cap.derive_key(self._context, self._pending, seek + length)
            else:
                out = _cap.hash(self._pending, seek + length)
        else:
            out = self._handle.finalize(seek + length)
        return out[seek:] if seek else out

    def hexdigest(self, length=OUT_LEN, *, seek=0):
        """The digest as a string of hexadecimal digits."""
        return self.digest(length, seek=seek).hex()

    def copy(self):
        """An independent hasher with the same state."""
        clone = blake3.__new__(blake3)
        clone._key, clone._context, clone._pending = self._key, self._context, self._pending
        clone._handle = None if self._handle is None else self._handle.copy()
        return clone

    def reset(self):
        """Forget everything fed so far (keeping the key or context)."""
        old, self._handle, self._pending = self._handle, None, b""
        if old is not None:
            old.close()

    def close(self):
        """Release the hasher now; using it afterwards raises ValueError."""
        self._open()._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
