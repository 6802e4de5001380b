"""Hostile inputs for the bz2 cap: corrupt, truncated and spliced streams and wrong
arguments into CPython's bz2 module; only Python exceptions may come out."""
import bz2

from pylon_hostile import Fuzz

fuzz = Fuzz()
text = b"pylon hostile bz2 " * 300
samples = [bz2.compress(text), bz2.compress(bytes(70000), 1), bz2.compress(b"")]
data = fuzz.data(samples)

fuzz.drive(bz2.decompress, data)
fuzz.drive(bz2.compress, data, fuzz.integers([1, 9]))
fuzz.drive(lambda d, n: bz2.BZ2Decompressor().decompress(d, n), data, fuzz.integers([1, 100]))
fuzz.drive(lambda d: bz2.BZ2Compressor().compress(d), data)
fuzz.report()
