"""lz4 inside pylon: lz4.block and lz4.frame run the compiled lz4.block._block and
lz4.frame._frame (builtin modules of the interpreter) over the lz4 1.9.4 they bundle. A
block and a frame are checked byte for byte against encodings worked out by hand from
the lz4 formats, a frame made natively (high compression, block and content checksums)
decompresses, the same options rebuild it byte for byte, and streams round-trip."""
import io
import sys

import lz4
import lz4.block
import lz4.frame

assert "lz4.block._block" in sys.builtin_module_names and "lz4.frame._frame" in sys.builtin_module_names
assert lz4.block.compress.__module__ == "lz4.block._block" and lz4.frame.compress.__module__ == "lz4.frame._frame"
assert lz4.library_version_string() == "1.9.4" and lz4.library_version_number() == 10904

data = b"pylon " * 20 + b"end"  # 123 bytes

# A block: a 4-byte little-endian size (123), then token 0x6F (6 literals, a match of
# 15 + 93 + 4 = 112 bytes at offset 6, its extra length byte 0x5D), then token 0x50: the
# last 5 bytes as literals.
block = b"\x7b\x00\x00\x00\x6fpylon \x06\x00\x5d\x50n end"
assert lz4.block.compress(data) == block
assert lz4.block.compress(data, store_size=False) == block[4:]
assert lz4.block.decompress(block) == data
assert lz4.block.decompress(block[4:], uncompressed_size=123) == data
assert lz4.block.compress(b"hello") == b"\x05\x00\x00\x00\x50hello"  # too short to match: literals only
assert lz4.block.decompress(lz4.block.compress(data, mode="high_compression", compression=12)) == data
assert lz4.block.decompress(lz4.block.compress(data, mode="fast", acceleration=8)) == data
dictionary = b"pylon end " * 10
with_dict = lz4.block.compress(data, dict=dictionary)
assert lz4.block.decompress(with_dict, dict=dictionary) == data

# A frame: magic 184D2204, FLG 0x68 (version 1, independent blocks, content size), BD
# 0x40 (64 KiB blocks), the content size, header checksum 0x7E, one compressed block of
# 16 bytes, and the end mark.
frame = b"\x04\x22\x4d\x18\x68\x40" + (123).to_bytes(8, "little") + b"\x7e" + b"\x10\x00\x00\x00" + block[4:] + \
    b"\x00\x00\x00\x00"
assert lz4.frame.compress(data) == frame
assert lz4.frame.decompress(frame) == data
assert lz4.frame.compress(b"") == b"\x04\x22\x4d\x18\x60\x40\x82\x00\x00\x00\x00"
info = lz4.frame.get_frame_info(frame)
assert info["content_size"] == 123 and info["block_size"] == 65536 and not info["content_checksum"]

NATIVE_FRAME = (
    b"\x04\"M\x18|@n\x01\x00\x00\x00\x00\x00\x00\xdd\xeb\x00\x00\x00\xa1line 0: 0\n\n\x00B1: 1\n"
    b"\x00B2: 4\n\x00B3: 9\n\x00R4: 16\x0b\x00R5: 25\x0b\x00C6: 3\x16\x00C7: 4,\x00C8: 6A\x00S9: 8"
    b"1`\x00T0: 10m\x00\x00n\x00\x142\x1a\x00c2: 144\r\x00\x103j\x00\x139\r\x00\x00w\x00#96\r\x00"
    b"\x00y\x00\x04z\x00 16\x86\x00\x04\x1a\x00T7: 284\x00T8: 32N\x00\x109\xa2\x00\x04\xd8\x00D0: "
    b"4\x82\x00d21: 44\x1a\x00\x00\xf3\x00#84\r\x00c3: 529\r\x00c4: 576\r\x00D5: 6\x82\x00U26: 6"
    b"\x1a\x00E7: 74\x00E8: 7N\x00p9: 841\n\x9f\x88\xd8\x9e\x00\x00\x00\x00>-\xbc\xb2"
)
text = "".join("line %d: %d\n" % (i, i * i) for i in range(30)).encode()
assert lz4.frame.decompress(NATIVE_FRAME) == text
info = lz4.frame.get_frame_info(NATIVE_FRAME)
assert info["content_checksum"] and info["block_checksum"] and info["content_size"] == len(text) == 366
assert lz4.frame.compress(text, content_checksum=True, block_checksum=True, compression_level=12,
                          store_size=True) == NATIVE_FRAME

# Streaming, linked blocks, and the file object.
compressor = lz4.frame.LZ4FrameCompressor(block_linked=True, content_checksum=True,
                                          block_size=lz4.frame.BLOCKSIZE_MAX64KB)
big = b"".join(b"%08d|" % (i * 7919 % 100000) for i in range(120000))  # 1.08 MB, several blocks
stream = compressor.begin(len(big))
stream += b"".join(compressor.compress(big[i:i + 50000]) for i in range(0, len(big), 50000))
stream += compressor.flush()
decompressor = lz4.frame.LZ4FrameDecompressor()
out = b"".join(decompressor.decompress(stream[i:i + 777]) for i in range(0, len(stream), 777))
assert out == big and decompressor.eof and len(stream) < len(big)
buffer = io.BytesIO()
with lz4.frame.open(buffer, "wb", compression_level=3) as f:
    f.write(text)
    f.write(data)
with lz4.frame.open(io.BytesIO(buffer.getvalue()), "rb") as f:
    assert f.read(366) == text and f.read() == data
decompressor = lz4.frame.LZ4FrameDecompressor()
assert decompressor.decompress(frame + NATIVE_FRAME) == data and decompressor.unused_data == NATIVE_FRAME
print("lz4 ok:", lz4.__version__, "library", lz4.library_version_string())
