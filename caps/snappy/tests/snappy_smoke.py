"""The snappy cap inside pylon: raw blocks, the framing format, and corrupt input."""
import io

import snappy
from snappy import UncompressError

# Raw blocks: known encodings, round trips, str input, decoding.
assert snappy.compress(b"") == b"\x00"
assert snappy.compress(b"hello") == b"\x05\x10hello"  # length varint, then one literal
assert snappy.decompress(b"\x05\x10hello") == b"hello"
text = b"pylon snappy " * 1000 + bytes(range(256)) * 40
packed = snappy.compress(text)
assert len(packed) < len(text) // 4
assert snappy.decompress(packed) == text and snappy.uncompress(packed) == text
assert snappy.decompress(memoryview(bytearray(packed))) == text
assert snappy.compress("héllo") == snappy.compress("héllo".encode())
assert snappy.compress("h\xe9llo", encoding="latin-1") == snappy.compress(b"h\xe9llo")
assert snappy.decompress(snappy.compress("héllo"), decoding="utf-8") == "héllo"
assert snappy.isValidCompressed(packed) and not snappy.isValidCompressed(packed[:-1])
assert not snappy.isValidCompressed(b"\xff\xff\xff")

# Corrupt raw input raises the facade's error type, never a trap.
for bad in (b"", packed[:-1], b"\x05\x10hel", b"\xff\xff\xff\xff\xff\xff", b"\x10\x00"):
    try:
        snappy.decompress(bad)
    except UncompressError:
        pass
    else:
        raise AssertionError(f"decompress({bad!r}) did not raise")
try:
    snappy.decompress("text")
except UncompressError:
    pass
else:
    raise AssertionError("str input must raise UncompressError")

# The framing format: the identifier once, then chunks of at most 64 KiB with CRCs.
IDENT = b"\xff\x06\x00\x00sNaPpY"
c = snappy.StreamCompressor()
first = c.add_chunk(b"hello", compress=False)


def crc32c(data):  # bitwise, to check the cap against the definition, not against itself
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


crc = crc32c(b"hello")
masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
assert first == IDENT + b"\x01\x09\x00\x00" + masked.to_bytes(4, "little") + b"hello"
assert c.add_chunk(b"hello", compress=False) == first[len(IDENT):]
big = bytes(range(256)) * 1024 + b"z" * 200_000  # ~456 KiB: several chunks, both kinds
stream = snappy.StreamCompressor().compress(big)
assert stream.startswith(IDENT) and len(stream) < len(big)
assert snappy.StreamCompressor().add_chunk(big, compress=True) != snappy.StreamCompressor().add_chunk(big, compress=False)

d = snappy.StreamDecompressor()
assert d.decompress(stream) == big and d.flush() == b""
# Byte-at-a-time and odd-sized feeds give the same bytes.
for size in (1, 3, 4095, 70_000):
    d = snappy.StreamDecompressor()
    out = b"".join(d.decompress(stream[i:i + size]) for i in range(0, len(stream), size))
    assert out == big, size
    d.flush()
# copy() carries the pending state.
d = snappy.StreamDecompressor()
head = d.decompress(stream[:100_000])
e = d.copy()
assert head + d.decompress(stream[100_000:]) == big
assert head + e.decompress(stream[100_000:]) == big
# Chunks from separate add_chunk calls concatenate into one stream.
c = snappy.StreamCompressor()
joined = c.add_chunk(b"abc") + c.add_chunk(b"def", compress=True) + c.add_chunk(b"", compress=None)
assert snappy.StreamDecompressor().decompress(joined) == b"abcdef"

# Corrupt streams raise UncompressError: no identifier, a flipped byte (CRC), an
# unskippable reserved chunk, a truncated end.
flipped = bytearray(stream)
flipped[len(IDENT) + 20] ^= 0x40
cases = [b"\x00\x05\x00\x00abcde", bytes(flipped), IDENT + b"\x02\x01\x00\x00x"]
for bad in cases:
    try:
        snappy.StreamDecompressor().decompress(bad)
    except UncompressError:
        pass
    else:
        raise AssertionError(f"corrupt stream {bytes(bad[:16])!r}... was accepted")
d = snappy.StreamDecompressor()
d.decompress(stream[:-3])
try:
    d.flush()
except UncompressError:
    pass
else:
    raise AssertionError("a truncated stream must fail at flush()")
# Skippable chunks (0x80-0xfe) are skipped.
assert snappy.StreamDecompressor().decompress(IDENT + b"\x80\x02\x00\x00xy" + first[len(IDENT):]) == b"hello"

# File-to-file helpers.
src, dst = io.BytesIO(big), io.BytesIO()
snappy.stream_compress(src, dst)
back = io.BytesIO()
snappy.stream_decompress(io.BytesIO(dst.getvalue()), back)
assert back.getvalue() == big
print("snappy ok")

# The package layout of python-snappy, and `python -m snappy` in every format (Hadoop's too).
import runpy
import sys
from snappy import snappy_formats

assert snappy.__version__ == "0.7.3" and snappy.snappy._CHUNK_MAX == 65536
original = bytes(range(256)) * 1000 + b"tail"
with open("/cli-in.bin", "wb") as f:
    f.write(original)
for fmt in ("framing", "hadoop", "raw"):
    for mode, src, dst in (("-c", "/cli-in.bin", "/cli.snappy"), ("-d", "/cli.snappy", "/cli-out.bin")):
        sys.argv = ["snappy", mode, "-t", fmt if mode == "-c" else "auto", src, dst]
        runpy.run_module("snappy", run_name="__main__")
    with open("/cli-out.bin", "rb") as f:
        assert f.read() == original, fmt
    with open("/cli.snappy", "rb") as f:
        assert snappy_formats.guess_format_by_header(f)[0] == {"framing": "framed"}.get(fmt, fmt), fmt
print("snappy cli ok")
