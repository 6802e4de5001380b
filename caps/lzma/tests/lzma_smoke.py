"""lzma inside pylon: CPython's own module, every container format, and tarfile's xz."""
import io
import lzma
import tarfile

data = b"pylon lzma " * 20000 + bytes(range(256))
for fmt in (lzma.FORMAT_XZ, lzma.FORMAT_ALONE):
    assert lzma.decompress(lzma.compress(data, format=fmt)) == data
filters = [{"id": lzma.FILTER_DELTA, "dist": 4}, {"id": lzma.FILTER_LZMA2, "preset": 6 | lzma.PRESET_EXTREME}]
assert lzma.decompress(lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters), format=lzma.FORMAT_RAW, filters=filters) == data
for check in (lzma.CHECK_NONE, lzma.CHECK_CRC32, lzma.CHECK_CRC64, lzma.CHECK_SHA256):
    assert lzma.is_check_supported(check)
    assert lzma.decompress(lzma.compress(data, check=check)) == data

# Bounded output: at most max_length bytes per call.
d = lzma.LZMADecompressor()
pieces = [d.decompress(lzma.compress(data), max_length=4096)]
while not d.eof:
    pieces.append(d.decompress(b"", max_length=4096))
assert all(len(p) <= 4096 for p in pieces) and b"".join(pieces) == data

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:xz") as tar:
    info = tarfile.TarInfo("a.txt")
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
with tarfile.open(fileobj=io.BytesIO(buf.getvalue()), mode="r:xz") as tar:
    assert tar.extractfile("a.txt").read() == data

try:
    lzma.decompress(b"\xfd7zXZ\x00" + bytes(40))
except lzma.LZMAError:
    pass
else:
    raise AssertionError("corrupt data must raise LZMAError")
print("lzma ok")
