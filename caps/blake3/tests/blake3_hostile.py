"""Hostile inputs for the blake3 cap: every export and the facade driven with wrong types,
huge and negative lengths and offsets, bad keys and contexts; only Python exceptions may
come out, and a hasher handle survives every failed call."""
import blake3
import _blake3_cap
from _blake3_cap import Incremental
from pylon_hostile import Fuzz

fuzz = Fuzz()
data = fuzz.data([b"abc", bytes(32), bytes(100000)])
lengths = fuzz.integers([32, 64, 1 << 24, (1 << 24) + 1])
contexts = fuzz.strings()

# Lengths above what one call returns are errors before any allocation.
for length in (2**32 - 1, 2**31, (1 << 24) + 1):
    assert isinstance(fuzz.call(_blake3_cap.hash, b"", length), _blake3_cap.Error)

fuzz.drive(_blake3_cap.hash, data, lengths)
fuzz.drive(_blake3_cap.keyed_hash, data, data, lengths)
fuzz.drive(_blake3_cap.derive_key, contexts, data, lengths)
fuzz.drive(Incremental.keyed, data)
fuzz.drive(Incremental.derive_key, contexts)
handle = Incremental()
fuzz.drive(handle.update, data)
fuzz.drive(handle.finalize, fuzz.integers([0, 2**64 - 32]), lengths)
assert len(handle.finalize(0, 32)) == 32  # the handle lives on

# The facade: constructor arguments, updates, digests with hostile lengths and seeks
# (lengths kept to what the facade may legitimately allocate: it checks the rest).
small = [n for n in fuzz.integers() if not isinstance(n, int) or n < 1 << 20]
fuzz.drive(lambda d, k, c: blake3.blake3(d, key=k, derive_key_context=c), data, data + [None] * 20, contexts + [None] * 20)
fuzz.drive(lambda d, m: blake3.blake3(d, max_threads=m), data, fuzz.integers())
fuzz.drive(lambda n, s: blake3.blake3(b"x").digest(n, seek=s), small, fuzz.integers())
fuzz.drive(lambda n: blake3.blake3(b"x").hexdigest(n), small + [2**62, 2**31 - 1])
fuzz.drive(lambda p: blake3.blake3().update_mmap(p), ["/no/such/file", "/\udcff", "/", b"/x", None, 3])
fuzz.report()
