"""Hostile inputs for the snappy cap: every exported function and the facade's decoders
are driven with corrupt, truncated and oversized data and wrong types; only Python
exceptions may come out, and the interpreter must live on."""
import io

import _snappy_cap
import snappy
from snappy import snappy_formats
from pylon_hostile import Fuzz

fuzz = Fuzz()
text = b"pylon hostile input " * 200
samples = [
    snappy.compress(text),
    snappy.compress(bytes(range(256)) * 40),
    snappy.StreamCompressor().add_chunk(text),
    snappy.StreamCompressor().add_chunk(bytes(70000), compress=True),
    snappy.HadoopStreamCompressor().add_chunk(text),
]
data = fuzz.data(samples)

# Declared lengths no block can produce, the 4 GiB header, a framing chunk that
# claims 16 MiB, and a varint that never ends: refused before anything is allocated.
for hostile in (b"\xff\xff\xff\xff\x0fgarbage", b"\xff" * 10, b"\x80\x80\x80\x80\x80\x80", b"\xff\x06\x00\x00sNaPpY\x00\xff\xff\xff" + bytes(16)):
    err = fuzz.call(snappy.decompress, hostile)
    assert isinstance(err, snappy.UncompressError), err
    assert snappy.isValidCompressed(hostile) is False

# The component's exports, straight.
fuzz.drive(_snappy_cap.compress, data)
fuzz.drive(_snappy_cap.decompress, data)
fuzz.drive(_snappy_cap.is_valid_compressed, data)
fuzz.drive(_snappy_cap.frame_compress, data, fuzz.flags())
fuzz.drive(_snappy_cap.frame_decompress, data, fuzz.flags())

# The facade: one-shot, streaming (fed in random pieces), Hadoop's format, detection.
fuzz.drive(snappy.uncompress, data, [None, "utf-8", "ascii", 5])
fuzz.drive(snappy.compress, data, ["utf-8", "nope", None])


def stream(decompressor_class, blob, piece):
    decompressor = decompressor_class()
    for at in range(0, len(blob), max(1, piece % 4096)):
        decompressor.decompress(blob[at:at + max(1, piece % 4096)])
    decompressor.flush()


pieces = fuzz.integers([3, 17, 4095])
fuzz.drive(lambda blob, piece: stream(snappy.StreamDecompressor, blob, piece), data, pieces)
fuzz.drive(lambda blob, piece: stream(snappy.HadoopStreamDecompressor, blob, piece), data, pieces)
fuzz.drive(lambda blob: snappy_formats.get_decompress_function("auto", io.BytesIO(blob))(io.BytesIO(blob), io.BytesIO()), data)
fuzz.report()
