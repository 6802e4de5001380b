"""Hostile inputs for the lzma cap: corrupt, truncated and spliced streams, bad filter
chains and memory limits into CPython's lzma module; only Python exceptions may come out."""
import lzma

from pylon_hostile import Fuzz

fuzz = Fuzz()
text = b"pylon hostile lzma " * 300
samples = [lzma.compress(text), lzma.compress(bytes(70000), format=lzma.FORMAT_ALONE), lzma.compress(b"", check=lzma.CHECK_SHA256)]
data = fuzz.data(samples)
formats = [lzma.FORMAT_AUTO, lzma.FORMAT_XZ, lzma.FORMAT_ALONE, lzma.FORMAT_RAW, 99, -1]
filters = [None, [{"id": lzma.FILTER_LZMA2}], [{"id": lzma.FILTER_DELTA, "dist": 0}], [{"id": 12345}], [{}], "x", [{"id": lzma.FILTER_LZMA1, "dict_size": 2**40}]]

fuzz.drive(lambda d, f, m: lzma.decompress(d, format=f, memlimit=m), data, formats, [None, 1, 4096, 2**40])
fuzz.drive(lambda d, f: lzma.decompress(d, format=lzma.FORMAT_RAW, filters=f), data, filters)
fuzz.drive(lambda d, p: lzma.compress(d, preset=p), data, fuzz.integers([0, 9, 9 | lzma.PRESET_EXTREME]))
fuzz.drive(lambda d, f: lzma.compress(d, format=lzma.FORMAT_RAW, filters=f), data, filters)
fuzz.drive(lambda d, n: lzma.LZMADecompressor().decompress(d, n), data, fuzz.integers([1, 100]))
fuzz.report()
