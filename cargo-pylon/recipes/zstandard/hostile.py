"""Hostile inputs for the zstandard cap: truncated, bit-flipped and spliced zstd frames,
frame headers declaring huge content and window sizes, output limits, dictionaries that
do not match, compression parameters out of range, buffers with segments outside their
data, and streaming objects used out of order; only Python exceptions may come out."""
import io
import struct

import zstandard

from pylon_hostile import WRONG_TYPES, Fuzz

text = b"".join(b"line %d: %d\n" % (i, i * i) for i in range(300))
dictionary = zstandard.ZstdCompressionDict(b"line : \n" * 64, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
MAGIC = b"\x28\xb5\x2f\xfd"
FRAMES = [
    zstandard.ZstdCompressor(level=3).compress(text),
    zstandard.ZstdCompressor(level=19, write_checksum=True).compress(text),
    zstandard.ZstdCompressor(write_content_size=False).compress(text * 20), zstandard.compress(b""),
    zstandard.ZstdCompressor(dict_data=dictionary).compress(text),
    MAGIC + b"\x20\x05\x29\x00\x00hello", MAGIC + b"\x60\xe8\x02\x43\x1f\x00a", b"\x50\x2a\x4d\x18\x03\x00\x00\x00abc",
]
HUGE = [
    MAGIC + b"\xe0" + b"\xff" * 8 + b"\x29\x00\x00hello",  # content size 2**64 - 1 in an 8-byte field
    MAGIC + b"\xa0" + b"\xff\xff\xff\x7f" + b"\x29\x00\x00hello",  # content size 2**31 - 1
    MAGIC + b"\xc0" + (2**40).to_bytes(8, "little")[:4] + b"\x00" * 4 + b"\x29\x00\x00hello",
    MAGIC + b"\x00\xf8" + b"\x29\x00\x00hello",  # a window of 2**41 bytes
    MAGIC + b"\x20\xff" + b"\xfc\xff\xff" + b"x" * 10,  # a raw block claiming 2 MiB
    MAGIC + b"\x20\xff" + b"\xfb\xff\xff" + b"x",  # an RLE block too large for its frame
    MAGIC + b"\x03" + b"\xff\xff\xff\xff" + b"\x29\x00\x00hello",  # a dictionary id nobody has
    b"\x5f\x2a\x4d\x18\xff\xff\xff\xff" + b"x" * 10,  # a skippable frame claiming 4 GiB
]


def decompress(data, limit):
    return zstandard.ZstdDecompressor().decompress(data, max_output_size=limit)


def streamed(data, chunk, across):
    dobj = zstandard.ZstdDecompressor().decompressobj(read_across_frames=across)
    return [dobj.decompress(data[i:i + chunk]) for i in range(0, len(data), chunk)]


def reader(data, size):
    with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as r:
        return r.read(size), r.read1(size), r.readinto(bytearray(64))


fuzz = Fuzz(seconds=1.2)
frames = fuzz.data(FRAMES + HUGE)
limits = [0, 1, 100, 2**20, 2**31 - 1, 2**31, 2**63, -1, None, "x"]
fuzz.drive(decompress, frames, limits)
fuzz.drive(lambda d: zstandard.ZstdDecompressor(dict_data=dictionary).decompress(d), frames)
fuzz.drive(lambda d: zstandard.ZstdDecompressor(max_window_size=1 << 10).decompress(d), frames)
fuzz.drive(streamed, frames, [1, 7, 4096], [True, False])
fuzz.drive(reader, frames, [-1, 0, 1, 10, 2**31, 2**63])
fuzz.drive(lambda d: list(zstandard.ZstdDecompressor().read_to_iter(io.BytesIO(d), read_size=5, write_size=3)), frames)
fuzz.drive(lambda d: zstandard.ZstdDecompressor().copy_stream(io.BytesIO(d), io.BytesIO()), frames)
fuzz.drive(zstandard.get_frame_parameters, frames)
fuzz.drive(zstandard.frame_content_size, frames)
fuzz.drive(zstandard.frame_header_size, frames)
fuzz.drive(lambda chain: zstandard.ZstdDecompressor().decompress_content_dict_chain(chain),
           [[f] for f in frames[:20]] + [frames[:3], [], [FRAMES[0], b"junk"], None, [None], "abc"])

# Parameters and compression options out of range.
integers = fuzz.integers([19, 22, 23, -131072, -131073])
fuzz.drive(lambda level, threads: zstandard.ZstdCompressor(level=level, threads=threads).compress(text),
           integers, [0, 1, -1, 2**31])
fuzz.drive(lambda name, value: zstandard.ZstdCompressionParameters(**{name: value}).window_log,
           ["window_log", "chain_log", "hash_log", "search_log", "min_match", "target_length", "strategy",
            "compression_level", "ldm_hash_log", "job_size", "overlap_log", "threads", "no_such"], integers)
fuzz.drive(zstandard.ZstdCompressor(level=1, write_checksum=True).compress, fuzz.data([text]))
fuzz.drive(lambda data, kind: zstandard.ZstdCompressionDict(data, dict_type=kind).dict_id(), fuzz.data([text]),
           [zstandard.DICT_TYPE_AUTO, zstandard.DICT_TYPE_RAWCONTENT, zstandard.DICT_TYPE_FULLDICT, 99, -1])
fuzz.drive(lambda size, samples: zstandard.train_dictionary(size, samples).dict_id(), [0, 1, 100, 2**31, -1],
           [[], [b"a"], [text[:100]] * 10, [b""] * 5, ["text"], None], seconds=0.6)


# Buffers with segments: offsets and lengths outside their data (within 2**63; see below).
def segments(*pairs):
    return struct.pack("<" + "Q" * len(pairs), *pairs)


data = b"abcdefgh" * 10
bad_segments = [segments(0, 8), segments(70, 20), segments(2**63, 2**63), segments(0, 81), segments(80, 0),
                b"\x00" * 15, b"", segments(0, 8, 8, 2**40), segments(0, 2**62)]
# An offset near 2**64 whose sum with the length wraps round passes the bounds check and
# reads memory before the buffer (natively too); such offsets are left out here.
fuzz.drive(lambda segs: [bytes(s) for s in zstandard.BufferWithSegments(data, segs)], bad_segments + WRONG_TYPES)
fuzz.drive(lambda frames_, sizes: zstandard.ZstdDecompressor().multi_decompress_to_buffer(frames_,
                                                                                          decompressed_sizes=sizes),
           [FRAMES[:2], [b"junk"], [FRAMES[0], b""], [], None, FRAMES[:1] * 3],
           [None, segments(1, 2), struct.pack("<Q", 2**40), struct.pack("<QQ", 0, 2**63), b"\x00"])


# Streaming objects used out of order.
def compressobj_misuse(order, value):
    cobj = zstandard.ZstdCompressor().compressobj(size=100)
    for step in order:
        (cobj.compress(value) if step == "compress" else cobj.flush(value if step == "flush_with" else
                                                                  zstandard.COMPRESSOBJ_FLUSH_FINISH))


fuzz.drive(compressobj_misuse, [["compress", "flush", "compress"], ["flush", "flush"], ["flush_with"],
                                ["compress", "flush_with", "compress", "flush"]], [b"x" * 101, b"", 5, None, 99, -1])
fuzz.report()
