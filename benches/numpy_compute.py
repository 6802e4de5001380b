"""numpy compute, the same file inside pylon and natively (best of 5, milliseconds):

    cargo pylon probe benches/numpy_compute.py
    <native CPython with numpy 2.5.5> benches/numpy_compute.py

docs/PERFORMANCE.md has the figures of one run of both."""
import time
import numpy as np

def best(f, n=5):
    b = 1e9
    for _ in range(n):
        s = time.perf_counter(); f(); b = min(b, time.perf_counter() - s)
    return b

rng = np.random.default_rng(0)
a = rng.random((200, 200)); x = rng.random(1_000_000); s = rng.random(2**18)
ints = rng.integers(0, 10**6, 1_000_000)
for name, f in [
    ("ufuncs (sin, exp, power) on 1M floats", lambda: np.sin(x) * np.exp(-x) + x**2),
    ("sum and mean of 1M floats", lambda: (x.sum(), x.mean())),
    ("sort 1M floats", lambda: np.sort(x)),
    ("unique of 1M ints", lambda: np.unique(ints)),
    ("fft of 256K points", lambda: np.fft.fft(s)),
    ("matmul 200x200", lambda: a @ a),
    ("solve 200x200", lambda: np.linalg.solve(a, x[:200])),
]:
    print(f"{name}\t{best(f) * 1000:.2f}")
