"""backports.zstd inside pylon: CPython 3.14's compression.zstd API runs the compiled
backports.zstd._zstd (a builtin module of the interpreter) over the zstd 1.6.0 it
bundles. Frames built by hand from the zstd format (raw, RLE, skippable) decode, a frame
made natively (level 19 with a checksum) decompresses and is rebuilt byte for byte, a bad
checksum is caught, and parameters, dictionaries, streams and ZstdFile work."""
import io
import sys

import backports.zstd as zstd
from backports.zstd import CompressionParameter, DecompressionParameter, ZstdCompressor, ZstdDecompressor

assert "backports.zstd._zstd" in sys.builtin_module_names
assert ZstdCompressor is zstd._zstd.ZstdCompressor and zstd.ZstdDict is zstd._zstd.ZstdDict
assert zstd.zstd_version_info == (1, 6, 0) and zstd.zstd_version == "1.6.0"
assert zstd.COMPRESSION_LEVEL_DEFAULT == 3

MAGIC = b"\x28\xb5\x2f\xfd"
RAW = MAGIC + b"\x20\x05" + b"\x29\x00\x00" + b"hello"  # single segment, size 5; last raw block of 5
RLE = MAGIC + b"\x60\xe8\x02" + b"\x43\x1f\x00" + b"a"  # size 256 + 0x02E8 = 1000; last RLE block
SKIPPABLE = b"\x50\x2a\x4d\x18" + b"\x03\x00\x00\x00" + b"abc"
assert zstd.decompress(RAW) == b"hello" and zstd.decompress(RLE) == b"a" * 1000
assert zstd.decompress(SKIPPABLE + RAW + RLE + SKIPPABLE) == b"hello" + b"a" * 1000  # across frames
info = zstd.get_frame_info(RLE)
assert (info.decompressed_size, info.dictionary_id) == (1000, 0)
assert zstd.get_frame_size(RAW + RLE) == len(RAW) == 14
checked = MAGIC + b"\x24\x05" + b"\x29\x00\x00" + b"hello" + b"\x00\x00\x00\x00"  # a checksum, and a wrong one
try:
    zstd.decompress(checked)
    raise AssertionError("a wrong checksum passed")
except zstd.ZstdError as e:
    assert "checksum" in str(e), e

# Byte for byte: a raw block for a short input, then one compressed block of 16 bytes.
assert ZstdCompressor().compress(b"abc", ZstdCompressor.FLUSH_FRAME) == MAGIC + b"\x20\x03\x19\x00\x00abc"
data = b"pylon " * 20 + b"end"
assert zstd.compress(data) == MAGIC + b"\x20\x7b\x85\x00\x00Hpylon end\x01\x00/i)\x02"

NATIVE_FRAME = (
    b"(\xb5/\xfddn\x00M\x04\x00R\n\x17\x0f\xc0\xb7\x01\xb6\xfc/\x9c\"\xbd\xb2;\xf9;:o\x80\n\xfb4"
    b"\x8e\x1e\xedq\xfd\xf9z\xf3\xb0\xbel\xeb\x85\xb1z\xbb\xaa'W\x1fL'\xfa,\x8b\x1e\x13\xdd\x0fs"
    b"\x7ff\xf7vI}\xe5Q/\xaa\xa8\xb7\xa9\xa7@} \xc2>\xebz\xcc\xea\xc7\x89\xfe\xcc\xbd\x1d\xf5\x95"
    b"\xbd\xa8\xde\xd4\x13\x08}(9\xc5\x04\x1e\xa8 \x02\"@\xda\xcb\x01\xb0\x15f8 \x02\x829\x0f\xc6"
    b"\xba\x10 a^f\x01v\x82\xbeNo\xc0\x8b\x90\xcf}\xf3\x8d\xe7zI\nrK\xf2t"
)
text = "".join("line %d: %d\n" % (i, i * i) for i in range(30)).encode()
assert zstd.decompress(NATIVE_FRAME) == text
options = {CompressionParameter.compression_level: 19, CompressionParameter.checksum_flag: 1}
assert zstd.compress(text, options=options) == NATIVE_FRAME
broken = NATIVE_FRAME[:-1] + bytes([NATIVE_FRAME[-1] ^ 0x80])
try:
    zstd.decompress(broken)
    raise AssertionError("a wrong checksum passed")
except zstd.ZstdError as e:
    assert "checksum" in str(e), e

# Parameters and their bounds.
assert CompressionParameter.compression_level.bounds()[1] == 22
assert CompressionParameter.window_log.bounds() == (10, 30 if sys.maxsize < 2**32 else 31)  # 32-bit guest: 30
assert CompressionParameter.strategy.bounds() == (1, 9) and zstd.Strategy.btultra2 == 9
assert DecompressionParameter.window_log_max.bounds()[0] == 10
compressor = ZstdCompressor(options={CompressionParameter.window_log: 17,
                                     CompressionParameter.strategy: zstd.Strategy.lazy2})
assert zstd.decompress(compressor.compress(text, ZstdCompressor.FLUSH_FRAME)) == text

# Dictionaries: a raw-content one, and one trained from samples (same samples, same dictionary).
samples = [('{"id": %d, "name": "user%d", "tags": ["a", "b"]}' % (i, i)).encode() for i in range(500)]
trained = zstd.train_dict(samples, 4096)
assert len(trained.dict_content) == 4096 and trained.dict_id == 165058026
small = zstd.compress(samples[7], zstd_dict=trained)
assert len(small) < len(zstd.compress(samples[7])) and zstd.decompress(small, zstd_dict=trained) == samples[7]
prefixed = zstd.compress(samples[9], zstd_dict=trained.as_prefix)
assert zstd.decompress(prefixed, zstd_dict=trained.as_prefix) == samples[9]
raw = zstd.ZstdDict(b"line : \n" * 64, is_raw=True)
assert raw.dict_id == 0 and zstd.decompress(zstd.compress(text, zstd_dict=raw), zstd_dict=raw) == text

# Streaming and files.
big = b"".join(b"record %d of the series;" % (i % 5000) for i in range(60000))  # 1.5 MB
compressor = ZstdCompressor(level=1)
stream = b"".join(compressor.compress(big[i:i + 65536]) for i in range(0, len(big), 65536)) + compressor.flush()
assert len(stream) < len(big) // 10 and compressor.last_mode == ZstdCompressor.FLUSH_FRAME
decompressor = ZstdDecompressor()
out = b"".join(decompressor.decompress(stream[i:i + 4099]) for i in range(0, len(stream), 4099))
assert out == big and decompressor.eof
decompressor = ZstdDecompressor()
assert decompressor.decompress(RAW + b"tail") == b"hello" and decompressor.unused_data == b"tail"
buffer = io.BytesIO()
with zstd.ZstdFile(buffer, "w", level=5) as f:
    f.write(text)
    f.write(data)
with zstd.open(io.BytesIO(buffer.getvalue()), "rb") as f:
    assert f.read(366) == text and f.read() == data
print("backports.zstd ok: zstd", zstd.zstd_version)
