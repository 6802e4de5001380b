"""numpy inside pylon: its compiled core (arrays, ufuncs, dtypes), linear algebra over
lapack-lite, FFT, random generators and masked arrays, each checked against values worked
out by hand or by identities, so a wrong build cannot pass."""
import math

import numpy as np

# Arrays, dtypes, broadcasting and ufuncs.
a = np.arange(12, dtype=np.int64).reshape(3, 4)
assert a.shape == (3, 4) and a.dtype == np.int64
assert a.sum() == 66 and a.sum(axis=0).tolist() == [12, 15, 18, 21]
assert (a * 2 + np.array([1, 0, 1, 0])).tolist()[2] == [17, 18, 21, 22]
assert np.sqrt(np.array([4.0, 9.0])).tolist() == [2.0, 3.0]
assert np.array([1, 2, 3], dtype=np.uint8).astype(np.float32).dtype == np.float32
assert np.dtype("complex128").itemsize == 16 and np.dtype("<i4").byteorder in "=<"
assert math.isclose(float(np.pi), math.pi)
assert np.isnan(np.array([np.nan, 1.0])).tolist() == [True, False]
assert np.sort(np.array([3, 1, 2])).tolist() == [1, 2, 3]  # C++ sorts
assert np.argsort(np.array([3.0, -1.0, 2.0])).tolist() == [1, 2, 0]
assert np.unique(np.array([3, 1, 3, 2, 1])).tolist() == [1, 2, 3]
s = np.array(["b", "a", "c"])
assert np.char.upper(s).tolist() == ["B", "A", "C"] and sorted(s.tolist()) == ["a", "b", "c"]
r = np.zeros(3, dtype=[("x", "f8"), ("n", "i4")])
r["n"] = [1, 2, 3]
assert r["n"].sum() == 6 and r.dtype.names == ("x", "n")
assert np.frombuffer(b"\x01\x00\x02\x00", dtype="<u2").tolist() == [1, 2]
assert np.longdouble(1) / 3 != 0  # quad precision long double on wasm32

# Linear algebra (lapack-lite): a solved system, an inverse and eigenvalues.
m = np.array([[4.0, 1.0], [2.0, 3.0]])
x = np.linalg.solve(m, np.array([1.0, 2.0]))
assert np.allclose(m @ x, [1.0, 2.0])
assert np.allclose(np.linalg.inv(m) @ m, np.eye(2))
assert np.allclose(sorted(np.linalg.eigvals(m).real), [2.0, 5.0])
assert math.isclose(np.linalg.det(m), 10.0)
u, sv, vt = np.linalg.svd(m)
assert np.allclose((u * sv) @ vt, m)

# FFT (pocketfft): a pure tone's spectrum has one peak, and the inverse undoes it.
t = np.arange(64)
signal = np.cos(2 * np.pi * 5 * t / 64)
spectrum = np.abs(np.fft.rfft(signal))
assert int(np.argmax(spectrum)) == 5 and math.isclose(spectrum[5], 32.0, rel_tol=1e-9)
assert np.allclose(np.fft.ifft(np.fft.fft(signal)).real, signal)

# Random: seeded generators repeat, and their statistics are sound.
g1, g2 = np.random.default_rng(1234), np.random.default_rng(1234)
assert g1.integers(0, 100, 5).tolist() == g2.integers(0, 100, 5).tolist()
sample = np.random.default_rng(7).normal(size=20000)
assert abs(sample.mean()) < 0.05 and abs(sample.std() - 1) < 0.05
np.random.seed(0)
assert 0 <= np.random.rand() < 1
for bits in (np.random.PCG64, np.random.Philox, np.random.SFC64, np.random.MT19937):
    assert np.random.Generator(bits(5)).random() < 1

# Masked arrays and printing.
ma = np.ma.masked_array([1, 2, 3], mask=[False, True, False])
assert ma.sum() == 4 and ma.count() == 2
assert repr(np.array([1.5, 2.0])) == "array([1.5, 2. ])"
assert np.__version__ == "2.5.5"
print("numpy ok:", np.__version__)
