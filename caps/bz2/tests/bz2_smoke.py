"""bz2 inside pylon: CPython's own module, and tarfile's and shutil's bzip2 formats."""
import bz2
import io
import shutil
import tarfile

data = b"pylon bz2 " * 20000 + bytes(range(256))
assert bz2.decompress(bz2.compress(data, 9)) == data
c = bz2.BZ2Compressor(1)
packed = c.compress(data) + c.flush()
# Bounded output: at most max_length bytes per call, the rest on later calls.
d = bz2.BZ2Decompressor()
pieces = [d.decompress(packed, max_length=1000)]
while not d.eof:
    pieces.append(d.decompress(b"", max_length=1000))
assert all(len(p) <= 1000 for p in pieces) and b"".join(pieces) == data
assert bz2.decompress(packed + packed) == data + data  # multi-stream

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:bz2") as tar:
    info = tarfile.TarInfo("a.txt")
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
with tarfile.open(fileobj=io.BytesIO(buf.getvalue()), mode="r:bz2") as tar:
    assert tar.extractfile("a.txt").read() == data
assert "bztar" in dict(shutil.get_archive_formats())

try:
    bz2.decompress(b"BZh9" + bytes(50))
except (OSError, ValueError):
    pass
else:
    raise AssertionError("corrupt data must raise")
print("bz2 ok")
