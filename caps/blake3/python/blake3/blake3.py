"""The ``blake3`` hasher class, over the blake3 cap's WebAssembly component.

Arguments are accepted and refused as the PyPI package does: data is any C-contiguous
buffer of bytes (or ``None``), other buffers raise ``BufferError``; lengths and offsets are
unsigned (``OverflowError``). Hashers also support ``close()`` and ``with`` blocks, which
release the component's state at once instead of at garbage collection.
"""

import operator as _operator
import os as _os
import sys as _sys

import _blake3_cap as _cap
from _blake3_cap import Incremental as _Incremental

__all__ = ["blake3"]

#: The PyPI release whose API this module follows.
__version__ = "1.0.11"

KEY_LEN = 32
OUT_LEN = 32

# Output is fetched from the component in pieces of at most this much, into a buffer
# Python allocates first: a length memory cannot hold is a MemoryError here, never an
# allocation failure inside the component or in the interpreter's import of its result.
_PIECE = 1 << 24
# Files read by `update_mmap` go through a reused buffer of this size (WASI has no mmap).
_FILE_BLOCK = 1 << 20


def _buffer(data):
    """A read-only view of bytes-like ``data``, refused as PyPI's blake3 refuses it."""
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str'")
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") from None
    if view.itemsize != 1:
        view.release()
        raise BufferError("buffer contents are not compatible with u8")
    if not view.c_contiguous:
        view.release()
        raise BufferError("buffer is not contiguous")
    return view


def _unsigned(value, bits=None):
    value = _operator.index(value)
    if value < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if bits and value >> bits:
        raise OverflowError("int too big to convert")
    return value


def _output_size(length, seek):
    length, seek = _unsigned(length), _unsigned(seek, 64)
    if length > _sys.maxsize:
        raise OverflowError("length overflows isize")
    return length, seek


def _call(function, *args):
    try:
        return function(*args)
    except _cap.Error as e:  # the component could not allocate the output
        raise MemoryError(*e.args) from None


class blake3:
    """An incremental BLAKE3 hasher: ``blake3(data=None, /, *, key=None, derive_key_context=None, max_threads=1, usedforsecurity=True)``."""

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

    def __init__(self, data=None, /, *, key=None, derive_key_context=None, max_threads=1, usedforsecurity=True):
        self._handle = None
        self._key = self._context = None
        if key is not None or derive_key_context is not None:
            self._set_mode(key, derive_key_context)
        if max_threads != 1:
            max_threads = _operator.index(max_threads)
            if max_threads != self.AUTO and max_threads < 1:
                raise ValueError("max_threads must be a positive integer or blake3.AUTO")
            if not -(1 << 63) <= max_threads < 1 << 63:
                raise OverflowError("Python int too large to convert to C long")
        if type(data) is bytes and len(data) <= self._LAZY_LIMIT:
            self._pending = data  # immutable: kept without a copy
            return
        self._pending = b""
        if data is None:
            return
        with _buffer(data) as view:
            if view.nbytes <= self._LAZY_LIMIT:
                self._pending = view.tobytes()  # the caller may change its buffer later
            else:
                self._open()._handle.update(view)

    def _set_mode(self, key, context):
        if key is not None and context is not None:
            raise ValueError("cannot use key and derive_key_context at the same time")
        if context is not None and not isinstance(context, str):
            raise TypeError(f"argument 'derive_key_context': '{type(context).__name__}' object cannot be converted to 'PyString'")
        if key is not None:
            with _buffer(key) as view:
                key = view.tobytes()
            if len(key) != KEY_LEN:
                raise ValueError(f"expected a {KEY_LEN}-byte key, found {len(key)} bytes")
        self._key, self._context = key, context

    def _fresh_handle(self):
        if self._key is not None:
            try:
                return _Incremental.keyed(self._key)
            except _cap.Error as e:  # the component's message: the key's length is wrong
                raise ValueError(*e.args) from None
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
        with _buffer(data) as view:
            self._open()._handle.update(view)
        return self

    def update_mmap(self, path):
        """Add the contents of the file at ``path`` (str or path-like); returns the hasher.

        WASI has no mmap: the file is read in blocks through one reused buffer.
        """
        if not isinstance(path, str):
            path = _os.fspath(path)
            if not isinstance(path, str):
                raise TypeError(f"'{type(path).__name__}' object is not an instance of 'str'")
        block = bytearray(_FILE_BLOCK)
        handle = self._open()._handle
        with open(path, "rb", buffering=0) as f, memoryview(block) as view:
            while n := f.readinto(block):
                handle.update(view[:n])
        return self

    def digest(self, length=OUT_LEN, *, seek=0):
        """``length`` bytes of output (starting ``seek`` bytes into the output stream)."""
        if type(length) is int and 0 <= length <= _PIECE and seek == 0 and self._handle is None:
            try:  # inline: this is the per-call fast path
                if self._key is not None:
                    return _cap.keyed_hash(self._key, self._pending, length)
                if self._context is not None:
                    return _cap.derive_key(self._context, self._pending, length)
                return _cap.hash(self._pending, length)
            except _cap.Error as e:  # the component could not allocate the output
                raise MemoryError(*e.args) from None
        length, seek = _output_size(length, seek)
        handle = self._open()._handle
        if length <= _PIECE:
            return _call(handle.finalize, seek, length)
        out = bytearray(length)
        for at in range(0, length, _PIECE):
            n = min(_PIECE, length - at)
            out[at:at + n] = _call(handle.finalize, seek + at, n)
        return bytes(out)

    def hexdigest(self, length=OUT_LEN, *, seek=0):
        """The digest as a string of hexadecimal digits."""
        length, seek = _output_size(length, seek)
        if length > _sys.maxsize // 2:
            raise OverflowError("length overflows isize")
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
