"""Hostile inputs for the lz4 cap: truncated, bit-flipped and spliced lz4 blocks and
frames, size headers and uncompressed_size arguments claiming huge lengths, frame
headers with wrong checksums and flags, dictionaries and levels out of range, and the
streaming compressor and decompressor misused; only Python exceptions may come out."""
import io

import lz4.block
import lz4.frame

from pylon_hostile import WRONG_TYPES, Fuzz

text = b"".join(b"line %d: %d\n" % (i, i * i) for i in range(200))
BLOCKS = [lz4.block.compress(text), lz4.block.compress(b"pylon " * 20 + b"end"),
          lz4.block.compress(text, mode="high_compression", compression=12), lz4.block.compress(b"")]
FRAMES = [lz4.frame.compress(text), lz4.frame.compress(b""),
          lz4.frame.compress(text, content_checksum=True, block_checksum=True, store_size=True),
          lz4.frame.compress(text * 50, block_size=lz4.frame.BLOCKSIZE_MAX64KB, block_linked=True),
          b"\x50\x2a\x4d\x18\x04\x00\x00\x00abcd"]  # a skippable frame


def header_checksum(descriptor):
    """The lz4 frame header checksum: byte 1 of the xxh32 (seed 0) of a descriptor under 16 bytes."""
    p1, p2, p3, p4, p5, m = 2654435761, 2246822519, 3266489917, 668265263, 374761393, 0xFFFFFFFF

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & m

    h = (p5 + len(descriptor)) & m
    i = 0
    while i + 4 <= len(descriptor):
        h = rotl((h + int.from_bytes(descriptor[i:i + 4], "little") * p3) & m, 17) * p4 & m
        i += 4
    for byte in descriptor[i:]:
        h = rotl((h + byte * p5) & m, 11) * p1 & m
    h ^= h >> 15
    h = h * p2 & m
    h ^= h >> 13
    h = h * p3 & m
    h ^= h >> 16
    return bytes([(h >> 8) & 0xFF])


def frame(flags, block_descriptor, content_size, body):
    """A frame whose header is valid, with its checksum, over whatever body."""
    size = b"" if content_size is None else content_size.to_bytes(8, "little")
    descriptor = bytes([flags, block_descriptor]) + size
    return b"\x04\x22\x4d\x18" + descriptor + header_checksum(descriptor) + body


assert frame(0x68, 0x40, len(text), FRAMES[0][15:]) == lz4.frame.compress(text, store_size=True)
body = FRAMES[0][7:]
# Valid headers over lies: content sizes of 2**63, 2**32 and 2**64 - 1, a 2 GiB block, and
# a 4 MiB block declared but 8 MiB of size field.
HUGE = [frame(0x68, 0x40, 2**63, body), frame(0x68, 0x40, 2**32, body), frame(0x6C, 0x70, 2**64 - 1, body),
        frame(0x64, 0x70, None, b"\xff\xff\xff\x7f" + b"\x00" * 16),
        frame(0x60, 0x70, None, (8 << 20).to_bytes(4, "little") + b"\x00" * 16),
        frame(0x60, 0x70, None, b"\xff\xff\xff\xff"), frame(0x78, 0x40, 5, b"\x01\x00\x00\x80x")]
SIZES = [-1, 0, 1, 5, 2**16, 2**24, 2**31 - 1, 2**31, 2**32, 2**63, -(2**63), 10**40] + WRONG_TYPES


def block_sized(data, size):
    return lz4.block.decompress(data, uncompressed_size=size)


def frame_stream(data, chunk, limit):
    decompressor = lz4.frame.LZ4FrameDecompressor()
    out = []
    for i in range(0, len(data), chunk):
        out.append(decompressor.decompress(data[i:i + chunk], max_length=limit))
        if decompressor.eof:
            break
    return out


def compressor_misuse(order, value):
    compressor = lz4.frame.LZ4FrameCompressor()
    steps = {"begin": lambda: compressor.begin(value), "compress": lambda: compressor.compress(value),
             "flush": compressor.flush, "reset": compressor.reset, "started": compressor.has_context}
    for step in order:
        steps[step]()


fuzz = Fuzz(seconds=1.5)
blocks = fuzz.data(BLOCKS)
frames = fuzz.data(FRAMES + HUGE)
fuzz.drive(lz4.block.decompress, blocks)
fuzz.drive(block_sized, blocks, SIZES)
fuzz.drive(lambda d, dictionary: lz4.block.decompress(d, dict=dictionary), blocks,
           [b"", b"x" * 70000, text] + WRONG_TYPES)
fuzz.drive(lz4.frame.decompress, frames)
fuzz.drive(lz4.frame.get_frame_info, frames)
fuzz.drive(frame_stream, frames, [1, 3, 7, 64, 4096], [-1, 0, 1, 100, 2**31 - 1])
fuzz.drive(lambda d: lz4.frame.LZ4FrameFile(io.BytesIO(d)).read(), frames)
fuzz.drive(lambda d, size: lz4.frame.LZ4FrameFile(io.BytesIO(d)).read(size), frames, SIZES)

# Compression with options out of range.
fuzz.drive(lambda mode, level, accel: lz4.block.compress(text, mode=mode, compression=level, acceleration=accel),
           ["default", "fast", "high_compression", "nope", None], [-(2**31), -1, 0, 12, 17, 2**31, 2**64, None],
           [-1, 0, 1, 2**31, 2**64, None])
fuzz.drive(lambda s, size: lz4.block.compress(s, store_size=size), fuzz.data([text]), [True, False, None, 2])
fuzz.drive(lambda level, size, linked, checksum: lz4.frame.compress(text, compression_level=level, block_size=size,
                                                                    block_linked=linked, content_checksum=checksum),
           [-(2**31), -1, 0, 3, 16, 17, 2**31, None, "x"], [0, 4, 5, 6, 7, 8, -1, 2**40, None],
           [True, False, None, 2], [True, False, None, 2])
orders = [["compress"], ["begin", "begin"], ["flush"], ["begin", "flush", "compress"], ["begin", "reset", "flush"],
          ["reset", "compress"], ["begin", "compress", "flush", "flush"], ["started", "begin", "started"]]
fuzz.drive(compressor_misuse, orders, [0, -1, 2**31, 2**64, b"data", text] + WRONG_TYPES)
fuzz.report()
