"""Snappy compression, with the API of python-snappy (raw blocks and the framing format).

The codec runs in the snappy cap's WebAssembly component (the Rust ``snap`` crate). The
component keeps no state: a stream's pending bytes live in the objects below, so the
component can be linked when pylon starts instead of compiled in. Hadoop's block
format is not ported.
"""

import _snappy_cap as _cap

__all__ = [
    "compress", "decompress", "uncompress", "isValidCompressed", "UncompressError",
    "StreamCompressor", "StreamDecompressor", "stream_compress", "stream_decompress",
]

_STREAM_BLOCK = 1 << 16


class UncompressError(Exception):
    """The input is not valid Snappy data."""


def compress(data, encoding="utf-8"):
    """``data`` (bytes-like, or str encoded with ``encoding``) as one raw Snappy block."""
    if isinstance(data, str):
        data = data.encode(encoding)
    return _cap.compress(data)


def decompress(data, decoding=None):
    """A raw Snappy block back to bytes (or to str, decoded with ``decoding``)."""
    if isinstance(data, str):
        raise UncompressError("It's only possible to uncompress bytes")
    try:
        out = _cap.decompress(data)
    except _cap.Error as e:
        raise UncompressError(*e.args) from None
    return out.decode(decoding) if decoding else out


uncompress = decompress


def isValidCompressed(data):
    """Whether ``data`` is a complete, valid raw Snappy block."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _cap.is_valid_compressed(data)


class StreamCompressor:
    """The framing format's compressor, shaped like ``zlib.compressobj``.

    Every call returns complete chunks; nothing is buffered.
    """

    __slots__ = ("_identified",)

    def __init__(self):
        self._identified = False

    def add_chunk(self, data, compress=None):
        """``data`` as framed chunks; ``compress`` None decides per chunk, True always, False never."""
        out = _cap.frame_compress(data, None if compress is None else bool(compress))
        if not self._identified:
            self._identified = True
            return b"\xff\x06\x00\x00sNaPpY" + out
        return out

    def compress(self, data):
        return self.add_chunk(data)

    def flush(self, mode=None):
        """Nothing is buffered; kept for ``zlib.compressobj`` compatibility."""
        return b""

    def copy(self):
        other = StreamCompressor()
        other._identified = self._identified
        return other


class StreamDecompressor:
    """The framing format's decompressor, shaped like ``zlib.decompressobj``."""

    __slots__ = ("_buf", "_identified")

    def __init__(self):
        self._buf = b""
        self._identified = False

    def decompress(self, data):
        """The bytes of every chunk completed by ``data``; a partial chunk waits for more."""
        buf = self._buf + data if self._buf else data
        try:
            out, used = _cap.frame_decompress(buf, self._identified)
        except _cap.Error as e:
            raise UncompressError(*e.args) from None
        if used:
            self._identified = True
        self._buf = bytes(buf[used:])
        return out

    def flush(self):
        """Check that the stream ended on a chunk boundary."""
        if self._buf:
            raise UncompressError("chunk truncated")
        return b""

    def copy(self):
        other = StreamDecompressor()
        other._buf, other._identified = self._buf, self._identified
        return other


def stream_compress(src, dst, blocksize=_STREAM_BLOCK):
    """Read ``src`` to its end and write it to ``dst`` in the framing format."""
    compressor = StreamCompressor()
    while block := src.read(blocksize):
        dst.write(compressor.add_chunk(block))


def stream_decompress(src, dst, blocksize=_STREAM_BLOCK):
    """Read a framed stream from ``src`` and write its bytes to ``dst``."""
    decompressor = StreamDecompressor()
    while block := src.read(blocksize):
        if out := decompressor.decompress(block):
            dst.write(out)
    decompressor.flush()
