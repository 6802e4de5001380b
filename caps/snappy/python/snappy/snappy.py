"""The codec: raw Snappy blocks, the framing format and Hadoop's block format.

The block codec runs in the snappy cap's WebAssembly component (the Rust ``snap`` crate).
The component keeps no state: a stream's pending bytes live in the objects below, so the
component can be linked when pylon starts instead of compiled in. Every error the
component reports, corrupt input or a size memory cannot hold, is an ``UncompressError``
(or, when compressing, a ``MemoryError``).
"""

import _snappy_cap as _cap

__all__ = [
    "compress", "decompress", "uncompress", "isValidCompressed", "UncompressError",
    "StreamCompressor", "StreamDecompressor", "HadoopStreamCompressor",
    "HadoopStreamDecompressor", "stream_compress", "stream_decompress",
    "hadoop_stream_compress", "hadoop_stream_decompress", "raw_stream_compress",
    "raw_stream_decompress",
]

_CHUNK_MAX = 65536
_STREAM_TO_STREAM_BLOCK_SIZE = _CHUNK_MAX
_STREAM_IDENTIFIER = b"sNaPpY"
_IDENTIFIER_CHUNK = 0xFF
_STREAM_HEADER_BLOCK = b"\xff\x06\x00\x00" + _STREAM_IDENTIFIER


class UncompressError(Exception):
    """The input is not valid Snappy data."""


def _compressed(data):
    try:
        return _cap.compress(data)
    except _cap.Error as e:  # only a size memory cannot hold
        raise MemoryError(*e.args) from None


def compress(data, encoding="utf-8"):
    """``data`` (bytes-like, or str encoded with ``encoding``) as one raw Snappy block."""
    if isinstance(data, str):
        data = data.encode(encoding)
    return _compressed(data)


def uncompress(data, decoding=None):
    """A raw Snappy block back to bytes (or to str, decoded with ``decoding``)."""
    if isinstance(data, str):
        raise UncompressError("It's only possible to uncompress bytes")
    try:
        out = _cap.decompress(data)
    except _cap.Error as e:
        raise UncompressError(*e.args) from None
    return out.decode(decoding) if decoding else out


decompress = uncompress


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
        try:
            out = _cap.frame_compress(data, None if compress is None else bool(compress))
        except _cap.Error as e:
            raise MemoryError(*e.args) from None
        if not self._identified:
            self._identified = True
            return _STREAM_HEADER_BLOCK + out
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

    @staticmethod
    def check_format(fin):
        """Whether the stream ``fin`` starts with the framing format's identifier chunk."""
        try:
            return fin.read(len(_STREAM_HEADER_BLOCK)) == _STREAM_HEADER_BLOCK
        except Exception:
            return False

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


def _u32(data, at):
    return int.from_bytes(data[at:at + 4], "big")


class HadoopStreamCompressor:
    """Hadoop's snappy block format: per call, the input's length and then its raw
    Snappy block with its length (both big-endian 32-bit)."""

    def add_chunk(self, data, compress=None):
        block = _compressed(data)
        return len(data).to_bytes(4, "big") + len(block).to_bytes(4, "big") + block

    compress = add_chunk

    def flush(self):
        """Nothing is buffered."""
        return b""

    def copy(self):
        return HadoopStreamCompressor()


class HadoopStreamDecompressor:
    """Reads Hadoop's snappy block format: blocks of (uncompressed length, then raw Snappy
    sub-blocks, each with its compressed length, until that many bytes are out)."""

    __slots__ = ("_buf", "_left")

    def __init__(self):
        self._buf = b""
        self._left = 0  # bytes the current block still owes

    @staticmethod
    def check_format(fin):
        """Whether ``fin`` (seekable) starts like a Hadoop snappy stream."""
        try:
            size = fin.seek(0, 2)
            fin.seek(0)
            head = fin.read(8)
            if size < 8 or len(head) < 8:
                return False
            block = _u32(head, 4)
            if block == 0 or 8 + block > size:
                return False
            declared, tag = _varint(fin.read(6))
            return declared <= _u32(head, 0) and tag is not None and tag & 0b11 == 0
        except Exception:
            return False

    def decompress(self, data):
        """The bytes of every sub-block completed by ``data``; the rest waits for more."""
        buf = self._buf + bytes(data)
        out, pos = [], 0
        while True:
            if not self._left:
                if len(buf) - pos < 4:
                    break
                self._left = _u32(buf, pos)
                pos += 4
                continue
            if len(buf) - pos < 4:
                break
            length = _u32(buf, pos)
            if len(buf) - pos - 4 < length:
                break
            piece = uncompress(buf[pos + 4:pos + 4 + length])
            if len(piece) > self._left:
                raise UncompressError("a Hadoop sub-block holds more than its block declared")
            self._left -= len(piece)
            out.append(piece)
            pos += 4 + length
        self._buf = buf[pos:]
        return b"".join(out)

    def flush(self):
        """Check that the stream ended on a block boundary."""
        if self._buf or self._left:
            raise UncompressError("Hadoop snappy stream truncated")
        return b""

    def copy(self):
        other = HadoopStreamDecompressor()
        other._buf, other._left = self._buf, self._left
        return other


def _varint(data):
    """(value, the byte after it) of a little-endian base-128 varint at the start of ``data``."""
    value = shift = 0
    for i, byte in enumerate(data):
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, (data[i + 1] if i + 1 < len(data) else None)
        shift += 7
    raise ValueError("truncated varint")


def _pump(src, dst, coder, blocksize, first=None):
    while True:
        if first:
            block, first = first, None
        else:
            block = src.read(blocksize)
            if not block:
                break
        if out := coder(block):
            dst.write(out)


def stream_compress(src, dst, blocksize=_STREAM_TO_STREAM_BLOCK_SIZE, compressor_cls=StreamCompressor):
    """Read ``src`` to its end and write it to ``dst`` in the framing format."""
    _pump(src, dst, compressor_cls().add_chunk, blocksize)


def stream_decompress(src, dst, blocksize=_STREAM_TO_STREAM_BLOCK_SIZE, decompressor_cls=StreamDecompressor, start_chunk=None):
    """Read a framed stream from ``src`` (after ``start_chunk``, bytes already read from it)
    and write its bytes to ``dst``; a truncated stream raises ``UncompressError``."""
    decompressor = decompressor_cls()
    _pump(src, dst, decompressor.decompress, blocksize, start_chunk)
    decompressor.flush()


def hadoop_stream_compress(src, dst, blocksize=_STREAM_TO_STREAM_BLOCK_SIZE):
    """Read ``src`` to its end and write it to ``dst`` in Hadoop's snappy block format."""
    _pump(src, dst, HadoopStreamCompressor().add_chunk, blocksize)
    dst.flush()


def hadoop_stream_decompress(src, dst, blocksize=_STREAM_TO_STREAM_BLOCK_SIZE, start_chunk=None):
    """Read a Hadoop snappy stream from ``src`` and write its bytes to ``dst``."""
    decompressor = HadoopStreamDecompressor()
    _pump(src, dst, decompressor.decompress, blocksize, start_chunk)
    decompressor.flush()
    dst.flush()


def raw_stream_compress(src, dst):
    """Read ``src`` to its end and write it to ``dst`` as one raw block."""
    dst.write(compress(src.read()))


def raw_stream_decompress(src, dst, start_chunk=None):
    """Read one raw block from ``src`` and write its bytes to ``dst``."""
    dst.write(decompress((start_chunk or b"") + src.read()))
