"""zstandard (python-zstandard) inside pylon: zstandard.backend is "cext", the compiled
zstandard.backend_c (a builtin module of the interpreter) over the zstd 1.5.7 it
bundles. Frames built by hand from the zstd format (raw, RLE and skippable) decode, a
frame made natively (level 19 with a checksum) decompresses and is rebuilt byte for
byte, a corrupted checksum is caught, and dictionaries and streams round-trip."""
import io
import sys

import zstandard

assert zstandard.backend == "cext" and "zstandard.backend_c" in sys.builtin_module_names
assert zstandard.ZstdCompressor is zstandard.backend_c.ZstdCompressor
assert zstandard.ZstdCompressor.__module__ == "zstandard.backend_c"
assert zstandard.ZSTD_VERSION == (1, 5, 7) and zstandard.__version__ == "0.25.0"

MAGIC = b"\x28\xb5\x2f\xfd"
# Frame header 0x20: a single segment whose 1-byte content size (5) follows; then block
# header 0x000029: the last block, raw, 5 bytes.
RAW = MAGIC + b"\x20\x05" + b"\x29\x00\x00" + b"hello"
# Header 0x60: a 2-byte content size, 1000 - 256 = 0x02E8; block 0x001F43: the last, RLE,
# 1000 copies of one byte.
RLE = MAGIC + b"\x60\xe8\x02" + b"\x43\x1f\x00" + b"a"
SKIPPABLE = b"\x50\x2a\x4d\x18" + b"\x03\x00\x00\x00" + b"abc"  # magic 0x184D2A50, 3 bytes to skip
dctx = zstandard.ZstdDecompressor()
assert dctx.decompress(RAW) == b"hello" and dctx.decompress(RLE) == b"a" * 1000
assert zstandard.frame_content_size(RLE) == 1000 and zstandard.frame_header_size(RLE) == 7
params = zstandard.get_frame_parameters(RLE)
assert params.content_size == 1000 and params.dict_id == 0 and not params.has_checksum
across = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True)
assert across.decompress(SKIPPABLE + RAW + RLE) == b"hello" + b"a" * 1000
assert b"".join(dctx.read_to_iter(io.BytesIO(RAW + RLE), read_size=4)) == b"hello"  # one frame only
assert dctx.decompressobj().decompress(RAW) == b"hello"

# One short frame, byte for byte: header 0x20 with content size 123, then one compressed
# block of 16 bytes.
data = b"pylon " * 20 + b"end"
frame = zstandard.ZstdCompressor(level=3).compress(data)
assert frame == MAGIC + b"\x20\x7b\x85\x00\x00Hpylon end\x01\x00/i)\x02", frame
assert zstandard.compress(data) == frame and zstandard.decompress(frame) == data

NATIVE_FRAME = (
    b"(\xb5/\xfddn\x00M\x04\x00R\n\x17\x0f\xc0\xb7\x01\xb6\xfc/\x9c\"\xbd\xb2;\xf9;:o\x80\n\xfb4"
    b"\x8e\x1e\xedq\xfd\xf9z\xf3\xb0\xbel\xeb\x85\xb1z\xbb\xaa'W\x1fL'\xfa,\x8b\x1e\x13\xdd\x0fs"
    b"\x7ff\xf7vI}\xe5Q/\xaa\xa8\xb7\xa9\xa7@} \xc2>\xebz\xcc\xea\xc7\x89\xfe\xcc\xbd\x1d\xf5\x95"
    b"\xbd\xa8\xde\xd4\x13\x08}(9\xc5\x04\x1e\xa8 \x02\"@\xda\xcb\x01\xb0\x15f8 \x02\x829\x0f\xc6"
    b"\xba\x10 a^f\x01v\x82\xbeNo\xc0\x8b\x90\xcf}\xf3\x8d\xe7zI\nrK\xf2t"
)
text = "".join("line %d: %d\n" % (i, i * i) for i in range(30)).encode()
assert dctx.decompress(NATIVE_FRAME) == text
assert zstandard.get_frame_parameters(NATIVE_FRAME).has_checksum
assert zstandard.ZstdCompressor(level=19, write_checksum=True).compress(text) == NATIVE_FRAME
broken = NATIVE_FRAME[:-1] + bytes([NATIVE_FRAME[-1] ^ 1])  # the last byte of the checksum
try:
    dctx.decompress(broken)
    raise AssertionError("a wrong checksum passed")
except zstandard.ZstdError as e:
    assert "checksum" in str(e).lower() or "corruption" in str(e).lower(), e

# Parameters, dictionaries and streaming.
cparams = zstandard.ZstdCompressionParameters.from_level(5, window_log=20, strategy=zstandard.STRATEGY_LAZY2)
assert cparams.window_log == 20 and cparams.strategy == zstandard.STRATEGY_LAZY2
tuned = zstandard.ZstdCompressor(compression_params=cparams).compress(text)
assert zstandard.ZstdDecompressor().decompress(tuned) == text
raw_dict = zstandard.ZstdCompressionDict(b"line : \n" * 64, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
with_dict = zstandard.ZstdCompressor(dict_data=raw_dict).compress(text)
assert zstandard.ZstdDecompressor(dict_data=raw_dict).decompress(with_dict) == text
big = b"".join(b"record %d of the series;" % (i % 5000) for i in range(60000))  # 1.5 MB
cobj = zstandard.ZstdCompressor(level=1).compressobj(size=len(big))
stream = b"".join(cobj.compress(big[i:i + 65536]) for i in range(0, len(big), 65536)) + cobj.flush()
assert len(stream) < len(big) // 10
assert zstandard.ZstdDecompressor().decompress(stream) == big
dobj = zstandard.ZstdDecompressor().decompressobj()
assert b"".join(dobj.decompress(stream[i:i + 4099]) for i in range(0, len(stream), 4099)) == big
source, destination = io.BytesIO(big), io.BytesIO()
read, written = zstandard.ZstdCompressor(level=2, write_checksum=True).copy_stream(source, destination)
assert read == len(big) and written == len(destination.getvalue())
with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(destination.getvalue())) as reader:
    assert reader.read(10) == b"record 0 o" and reader.read() == big[10:]
buffer = io.BytesIO()
with zstandard.open(buffer, "wb", closefd=False) as f:
    f.write(text)
assert zstandard.open(io.BytesIO(buffer.getvalue()), "rb").read() == text
print("zstandard ok:", zstandard.__version__, "zstd", ".".join(map(str, zstandard.ZSTD_VERSION)))
