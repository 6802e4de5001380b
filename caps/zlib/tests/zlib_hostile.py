"""Hostile inputs for the zlib cap: corrupt, truncated and oversized streams and wrong
arguments into CPython's zlib module; only Python exceptions may come out."""
import gzip
import zlib

from pylon_hostile import Fuzz

fuzz = Fuzz()
text = b"pylon hostile zlib " * 300
samples = [zlib.compress(text), zlib.compress(bytes(70000), 9), gzip.compress(text, mtime=0)]
c = zlib.compressobj(9, zlib.DEFLATED, -15)
samples.append(c.compress(text) + c.flush())
data = fuzz.data(samples)
wbits = [15, -15, 31, 47, 0, 8, 7, 16, 100, -100]

fuzz.drive(zlib.decompress, data, wbits + fuzz.integers(), fuzz.integers([1, 2**31 - 1]))
fuzz.drive(zlib.compress, data, fuzz.integers([-1, 9, 10]), wbits)
fuzz.drive(lambda d, n: zlib.decompressobj().decompress(d, n), data, fuzz.integers([1, 16]))
fuzz.drive(lambda d, w: zlib.decompressobj(w).flush(), data, wbits + fuzz.integers())
fuzz.drive(gzip.decompress, data)
fuzz.drive(zlib.crc32, data, fuzz.integers())
fuzz.drive(zlib.adler32, data, fuzz.integers())
fuzz.report()
