"""Snappy compression with the API of python-snappy: raw blocks, the framing format and
Hadoop's block format.

The codec runs in the snappy cap's WebAssembly component (the Rust ``snap`` crate); see
``snappy.snappy``. The layout follows the PyPI package: ``snappy.snappy`` holds the codec,
``snappy.snappy_formats`` the stream formats, and ``python -m snappy`` compresses and
decompresses files.
"""

from .snappy import (
    HadoopStreamCompressor,
    HadoopStreamDecompressor,
    StreamCompressor,
    StreamDecompressor,
    UncompressError,
    compress,
    decompress,
    isValidCompressed,
    stream_compress,
    stream_decompress,
    uncompress,
)

__all__ = [
    "compress", "decompress", "uncompress", "stream_compress", "stream_decompress",
    "StreamCompressor", "StreamDecompressor", "UncompressError", "HadoopStreamCompressor",
    "HadoopStreamDecompressor", "isValidCompressed",
]

#: The python-snappy release whose API this package follows.
__version__ = "0.7.3"
