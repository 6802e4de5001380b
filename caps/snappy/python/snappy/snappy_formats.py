"""The stream formats ``python -m snappy`` reads and writes, and detecting them.

``framing`` is Snappy's framing format (the default when compressing), ``hadoop`` Hadoop's
block format, ``raw`` one raw block; ``auto`` compresses as framing and, when
decompressing, recognises the format from the stream's first bytes.
"""

from .snappy import (
    HadoopStreamDecompressor,
    StreamDecompressor,
    UncompressError,
    _varint,
    hadoop_stream_compress,
    hadoop_stream_decompress,
    raw_stream_compress,
    raw_stream_decompress,
    stream_compress,
    stream_decompress,
)

__all__ = [
    "DEFAULT_FORMAT", "ALL_SUPPORTED_FORMATS", "uvarint", "check_unframed_format",
    "guess_format_by_header", "get_decompress_function", "get_compress_function",
]

DEFAULT_FORMAT = "auto"
ALL_SUPPORTED_FORMATS = ["framing", "auto", "hadoop", "raw"]

_COMPRESS_METHODS = {"framing": stream_compress, "hadoop": hadoop_stream_compress, "raw": raw_stream_compress}
_DECOMPRESS_METHODS = {"framing": stream_decompress, "hadoop": hadoop_stream_decompress, "raw": raw_stream_decompress}
# Detected formats, in the order they are tried.
_DECOMPRESS_FORMAT_FUNCS = {"framed": stream_decompress, "hadoop": hadoop_stream_decompress, "raw": raw_stream_decompress}


def uvarint(fin):
    """Read a little-endian base-128 varint from the stream ``fin``."""
    result = shift = 0
    while True:
        byte = fin.read(1)
        if not byte:
            raise EOFError("truncated varint")
        result |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return result
        shift += 7


def check_unframed_format(fin, reset=False):
    """Whether ``fin`` (seekable) could hold one raw Snappy block: a declared length below
    4 GiB and a literal as the first element. True does not promise it decodes."""
    try:
        if reset:
            fin.seek(0)
        size = uvarint(fin)
        first = fin.read(1)
        end = fin.seek(0, 2)
        return size < 2**32 - 1 and size < end * 22 + 1 and len(first) == 1 and first[0] & 0b11 == 0
    except Exception:
        return False


def guess_format_by_header(fin):
    """(format name, its stream decompress function) for the seekable stream ``fin``."""
    fin.seek(0)
    if StreamDecompressor.check_format(fin):
        form = "framed"
    elif HadoopStreamDecompressor.check_format(fin):
        form = "hadoop"
    elif check_unframed_format(fin, reset=True):
        form = "raw"
    else:
        raise UncompressError("Can't detect format")
    fin.seek(0)
    return form, _DECOMPRESS_FORMAT_FUNCS[form]


def get_decompress_function(specified_format, fin):
    """The stream decompress function for ``specified_format`` (``auto``: detected from
    ``fin``, which is left at its start)."""
    if specified_format == "auto":
        return guess_format_by_header(fin)[1]
    return _DECOMPRESS_METHODS[specified_format]


def get_compress_function(specified_format):
    """The stream compress function for ``specified_format`` (``auto`` is framing)."""
    return _COMPRESS_METHODS["framing" if specified_format == "auto" else specified_format]
