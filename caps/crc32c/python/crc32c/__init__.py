"""CRC-32C (Castagnoli) checksums, with the API of the PyPI ``crc32c`` package.

The checksum runs in the crc32c cap's WebAssembly component (the Rust ``crc32c`` crate).
The component keeps no state: a running checksum is a Python int handed back on each
call, so the component can be linked when pylon starts instead of compiled in. As on PyPI,
``crc32c.main`` (and ``python -m crc32c._cli``) checksums files and ``crc32c.benchmark``
measures the speed.
"""

import sys as _sys
import warnings as _warnings

from _crc32c_cap import extend as _extend

__all__ = ["crc32c", "crc32", "CRC32CHash", "hardware_based", "big_endian", "main"]

#: The PyPI release whose API this package follows.
__version__ = "2.9"

#: WebAssembly has no CRC instruction: the component computes with tables.
hardware_based = False
big_endian = _sys.byteorder == "big"


def crc32c(data, value=0, gil_release_mode=-1):
    """The CRC-32C of ``data`` (any buffer), continuing from ``value``.

    ``gil_release_mode`` is accepted for compatibility; pylon's interpreter has one thread.
    """
    return _extend(value, data)


def crc32(data, value=0, gil_release_mode=-1):
    """Deprecated name of :func:`crc32c`, kept as the PyPI package keeps it."""
    _warnings.warn("crc32c.crc32 is deprecated, use crc32c.crc32c", DeprecationWarning, stacklevel=2)
    return _extend(value, data)


class CRC32CHash:
    """A hashlib-style object: ``update()`` feeds data, ``digest()`` is the big-endian CRC."""

    name = "crc32c"
    digest_size = 4
    block_size = 1

    __slots__ = ("_checksum",)

    def __init__(self, data=b"", gil_release_mode=-1):
        self._checksum = _extend(0, data)

    @property
    def checksum(self):
        """The checksum so far, as an int."""
        return self._checksum

    def update(self, data):
        self._checksum = _extend(self._checksum, data)

    def digest(self):
        return self._checksum.to_bytes(4, "big")

    def hexdigest(self):
        return format(self._checksum, "08x")

    def copy(self):
        other = CRC32CHash.__new__(CRC32CHash)
        other._checksum = self._checksum
        return other


from ._cli import main  # noqa: E402  (the CLI uses crc32c above)
