"""Hostile inputs for the numpy cap: impossible shapes, sizes and dtypes, buffers that are
too short, and indexes out of range; only Python exceptions (numpy's own) may come out."""
import numpy as np

from pylon_hostile import Fuzz

fuzz = Fuzz()
sizes = fuzz.integers() + [(2**31, 2**31), (-1,), (10**6, 10**6), (0, -3)]
dtypes = ["f8", "i4", "U5", "S0", "V0", "no-such-dtype", "(3,)i4", "<M8[ns]", "O", "?", "i999", 5, None]
data = fuzz.data([b"\x00" * 16, bytes(range(256))])

# A huge allocation raises MemoryError or ValueError, never exhausts the interpreter.
fuzz.drive(np.empty, sizes, dtypes)
fuzz.drive(np.zeros, sizes)
fuzz.drive(lambda n: np.arange(n).reshape(-1, 7), fuzz.integers())
fuzz.drive(np.dtype, dtypes + fuzz.integers())
fuzz.drive(lambda b, d: np.frombuffer(b, dtype=d), data, dtypes)
fuzz.drive(lambda b, n, o: np.frombuffer(b, count=n, offset=o), data, fuzz.integers(), fuzz.integers())
fuzz.drive(lambda i: np.arange(10)[i], fuzz.integers() + [slice(None, None, 0), (1, 2), [20], 1.5])
fuzz.drive(lambda shape: np.ones(6).reshape(shape), sizes + [(2, 3), (4, 2), (-1, -1)])
fuzz.drive(lambda t: np.array([1, 2, 3]).astype(t), dtypes)
fuzz.drive(lambda s: np.fromstring(s, sep=","), ["1,2,x", "", "\x00", "1" * 10000])
fuzz.drive(lambda m: np.linalg.inv(np.array(m, dtype=float)), [[[0, 0], [0, 0]], [[1, 2, 3]], [], [[np.nan]]])
fuzz.drive(lambda n: np.fft.fft(np.ones(4), n=n), fuzz.integers())
fuzz.drive(lambda n: np.random.default_rng(0).integers(0, n, 3), fuzz.integers())
fuzz.drive(lambda s: np.random.default_rng(s), fuzz.integers() + ["seed", -1])
fuzz.drive(np.load, data)
fuzz.report()
