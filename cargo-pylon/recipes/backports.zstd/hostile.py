"""Hostile inputs for the backports.zstd cap: truncated, bit-flipped and spliced zstd
frames, frame headers declaring huge content and window sizes, dictionaries that do not
match or are garbage, compression and decompression parameters out of range or of wrong
types, pledged sizes that lie, and streaming objects used out of order; only Python
exceptions may come out."""
import io

import backports.zstd as zstd
from backports.zstd import CompressionParameter, DecompressionParameter, ZstdCompressor, ZstdDecompressor

from pylon_hostile import WRONG_TYPES, Fuzz

text = b"".join(b"line %d: %d\n" % (i, i * i) for i in range(300))
raw_dict = zstd.ZstdDict(b"line : \n" * 64, is_raw=True)
samples = [b"line %d: %d and some shared words\n" % (i, i * 7) for i in range(400)]
trained = zstd.train_dict(samples, 2048)
MAGIC = b"\x28\xb5\x2f\xfd"
FRAMES = [
    zstd.compress(text), zstd.compress(text, options={CompressionParameter.checksum_flag: 1}),
    zstd.compress(text, options={CompressionParameter.content_size_flag: 0}), zstd.compress(b""),
    zstd.compress(samples[3], zstd_dict=trained), zstd.compress(text, zstd_dict=raw_dict),
    MAGIC + b"\x20\x05\x29\x00\x00hello", MAGIC + b"\x60\xe8\x02\x43\x1f\x00a", b"\x50\x2a\x4d\x18\x03\x00\x00\x00abc",
]
HUGE = [
    MAGIC + b"\xe0" + b"\xff" * 8 + b"\x29\x00\x00hello",  # content size 2**64 - 1
    MAGIC + b"\xa0" + b"\xff\xff\xff\x7f" + b"\x29\x00\x00hello",  # content size 2**31 - 1
    MAGIC + b"\x00\xf8" + b"\x29\x00\x00hello",  # a window of 2**41 bytes
    MAGIC + b"\x20\xff" + b"\xfc\xff\xff" + b"x" * 10,  # a raw block claiming 2 MiB
    MAGIC + b"\x03" + b"\xff\xff\xff\xff" + b"\x29\x00\x00hello",  # a dictionary id nobody has
    b"\x5f\x2a\x4d\x18\xff\xff\xff\xff" + b"x" * 10,  # a skippable frame claiming 4 GiB
]
dicts = [None, raw_dict, trained, trained.as_digested_dict, trained.as_undigested_dict, trained.as_prefix,
         (trained, 5), (trained, -1), (None, 0), "dict", b"dict", 5]


def decompress_stream(data, chunk, limit):
    d = ZstdDecompressor()
    out = []
    for i in range(0, len(data), chunk):
        out.append(d.decompress(data[i:i + chunk], max_length=limit))
        if d.eof:
            break
    return out, d.unused_data, d.needs_input


def compressor_misuse(order, value):
    c = ZstdCompressor(level=1)
    for step in order:
        if step == "pledge":
            c.set_pledged_input_size(value)
        elif step == "compress":
            c.compress(value if isinstance(value, bytes) else b"abc", ZstdCompressor.CONTINUE)
        elif step == "mode":
            c.compress(b"x", value)
        else:
            c.flush(value if step == "flush_with" else ZstdCompressor.FLUSH_FRAME)


fuzz = Fuzz(seconds=1.2)
frames = fuzz.data(FRAMES + HUGE)
fuzz.drive(zstd.decompress, frames)
fuzz.drive(lambda d, z: zstd.decompress(d, zstd_dict=z), frames, dicts)
fuzz.drive(lambda d, o: zstd.decompress(d, options=o), frames,
           [{DecompressionParameter.window_log_max: v} for v in (0, 9, 10, 31, 32, -1, 2**31, None)]
           + [{CompressionParameter.window_log: 20}, {999: 1}, {"window_log_max": 20}, "opts", 5])
fuzz.drive(decompress_stream, frames, [1, 7, 4096], [-1, 0, 1, 100, 2**31, 2**63, None])
fuzz.drive(zstd.get_frame_info, frames)
fuzz.drive(zstd.get_frame_size, frames)
fuzz.drive(lambda d, size: zstd.ZstdFile(io.BytesIO(d)).read(size), frames, [-1, 0, 1, 100, 2**31, 2**63, None])
fuzz.drive(lambda d, mode: zstd.open(io.BytesIO(d), mode).read(), frames, ["rb", "r", "rt", "wb", "x", 5])

# Compression: levels, every parameter with out-of-range values, dictionaries and modes.
values = fuzz.integers([22, 23, -131072, -131073, 30, 31, 32])
parameters = list(CompressionParameter)
fuzz.drive(lambda level: zstd.compress(text, level=level), values)
fuzz.drive(lambda p, v: zstd.compress(text, options={p: v}), parameters + [999, "level", None, -1], values)
fuzz.drive(lambda p: p.bounds(), parameters + list(DecompressionParameter))
fuzz.drive(lambda z: zstd.compress(text, zstd_dict=z), dicts)
fuzz.drive(lambda z, level: ZstdCompressor(level=level, zstd_dict=z).compress(text, ZstdCompressor.FLUSH_FRAME),
           dicts, [1, 19, None, 2**31])
fuzz.drive(lambda level, options: ZstdCompressor(level=level, options=options), [None, 3] + WRONG_TYPES,
           [None, {}, {CompressionParameter.compression_level: 5}] + WRONG_TYPES)
fuzz.drive(lambda z, options: ZstdDecompressor(zstd_dict=z, options=options).decompress(FRAMES[4]), dicts,
           [None, {}, {DecompressionParameter.window_log_max: 10}] + WRONG_TYPES)
fuzz.drive(compressor_misuse, [["pledge", "compress", "flush"], ["compress", "pledge"], ["flush", "flush"], ["mode"],
                               ["flush_with"], ["pledge", "pledge", "flush"], ["compress", "flush", "compress"]],
           [0, 2, 3, -1, 2**64 - 1, 2**64, b"abcd", None, ZstdCompressor.FLUSH_BLOCK, 5, "x"])

# Dictionaries: garbage content, training and finalizing with wrong sizes.
fuzz.drive(lambda data, raw: zstd.ZstdDict(data, is_raw=raw).dict_id, fuzz.data([trained.dict_content]),
           [True, False])
fuzz.drive(lambda s, size: zstd.train_dict(s, size), [samples[:20], [], [b""] * 10, [b"a"], ["text"], None, b"x"],
           [0, 1, 256, 2**31, -1, None], seconds=0.6)
fuzz.drive(lambda z, s, size, level: zstd.finalize_dict(z, s, size, level), [trained, raw_dict, None, b"x"],
           [samples[:50], [], [b""] * 5], [0, 1, 1024, 2**31, -1], [0, 3, 30, -1], seconds=0.6)
fuzz.report()
