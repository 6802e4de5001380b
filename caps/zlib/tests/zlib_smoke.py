"""zlib inside pylon: CPython's own module, and what the standard library builds on it."""
import gzip
import io
import zipfile
import zlib

data = b"pylon " * 10000 + bytes(range(256))
assert zlib.decompress(zlib.compress(data, 9)) == data
assert zlib.crc32(b"123456789") == 0xCBF43926 and zlib.adler32(b"Wikipedia") == 0x11E60398
assert zlib.ZLIB_RUNTIME_VERSION.startswith("1.3")

c = zlib.compressobj(6, zlib.DEFLATED, -15)
raw = c.compress(data) + c.flush()
d = zlib.decompressobj(-15)
assert d.decompress(raw, 1000) + d.decompress(d.unconsumed_tail) + d.flush() == data

buf = io.BytesIO()
with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
    f.write(data)
assert gzip.decompress(buf.getvalue()) == data

archive = io.BytesIO()
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a.txt", data)
with zipfile.ZipFile(archive) as z:
    assert z.read("a.txt") == data and z.infolist()[0].compress_type == zipfile.ZIP_DEFLATED

try:
    zlib.decompress(b"\x78\x9c garbage")
except zlib.error:
    pass
else:
    raise AssertionError("corrupt data must raise zlib.error")
print("zlib ok")
