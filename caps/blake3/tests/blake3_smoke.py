"""The blake3 cap inside pylon: the facade's API, known answers, and handle rules."""
import blake3
from blake3 import blake3 as Hasher

# The official test vectors' first case (empty input), default 32-byte output.
EMPTY = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
assert Hasher().hexdigest() == EMPTY
assert Hasher(b"").digest() == bytes.fromhex(EMPTY)

# Attributes of the PyPI package.
h = Hasher()
assert (h.name, h.digest_size, h.block_size, h.key_size) == ("blake3", 32, 64, 32)

# Incremental input in any chunking equals one-shot input; update() chains.
data = bytes(i % 251 for i in range(10_000))
one_shot = Hasher(data).digest()
chunked = Hasher()
for start in range(0, len(data), 777):
    chunked.update(data[start:start + 777])
assert chunked.digest() == one_shot
assert Hasher().update(data[:5000]).update(memoryview(data)[5000:]).digest() == one_shot
assert Hasher(bytearray(data)).digest() == one_shot

# Extended output: a prefix-consistent stream; seek reads further into it.
long = Hasher(data).digest(131)
assert len(long) == 131 and long[:32] == one_shot
assert Hasher(data).digest(31, seek=100) == long[100:131]
assert Hasher(data).hexdigest(8) == long[:8].hex()

# digest() leaves the hasher usable; copy() is independent.
h = Hasher(b"abc")
first = h.digest()
assert h.digest() == first
c = h.copy()
c.update(b"def")
assert h.digest() == first and c.digest() == Hasher(b"abcdef").digest()

# Keyed hashing and key derivation differ from plain hashing and from each other.
key = bytes(range(32))
keyed = Hasher(data, key=key).digest()
derived = Hasher(data, derive_key_context="pylon smoke 2026").digest()
assert len({one_shot, keyed, derived}) == 3
assert Hasher(data, key=bytearray(key)).digest() == keyed
k = Hasher(key=key)
k.update(data)
assert k.digest() == keyed and k.copy().digest() == keyed

# Errors are Python exceptions, never traps.
for bad_key in (b"short", bytes(33)):
    try:
        Hasher(key=bad_key)
    except ValueError as e:
        assert "32" in str(e)
    else:
        raise AssertionError("a wrong key length must raise ValueError")
for call in (lambda: Hasher("text"), lambda: Hasher().update("text"), lambda: Hasher(derive_key_context=b"ctx")):
    try:
        call()
    except TypeError:
        pass
    else:
        raise AssertionError("str data and bytes context must raise TypeError")
try:
    Hasher(key=key, derive_key_context="x")
except ValueError:
    pass
else:
    raise AssertionError("key and derive_key_context together must raise")

# Handles: close() releases at once; use after close and double close are clean errors.
h = Hasher(b"x")
h.close()
for call in (h.digest, lambda: h.update(b"y"), h.close, h.copy):
    try:
        call()
    except ValueError as e:
        assert "closed" in str(e)
    else:
        raise AssertionError("a closed hasher must raise ValueError")
with Hasher(b"ctx") as w:
    inside = w.digest()
try:
    w.digest()
except ValueError:
    pass
else:
    raise AssertionError("leaving a with block closes the hasher")
assert inside == Hasher(b"ctx").digest()

# reset() keeps the mode.
r = Hasher(b"junk", key=key)
r.reset()
r.update(data)
assert r.digest() == keyed

# Many hashers dropped by the garbage collector release their component state.
for i in range(2000):
    Hasher(b"%d" % i).digest()

# The PyPI package's shape: the class in `blake3.blake3`, a version, None as no data.
assert Hasher.__module__ == "blake3.blake3" and Hasher.digest_size == 32 and Hasher.key_size == 32
assert blake3.__version__.count(".") == 2
assert Hasher(None).digest() == Hasher(b"").digest()

# Buffers of wider items, strided views, negative and oversized lengths are refused as
# PyPI's blake3 refuses them, and huge outputs fail before anything is allocated.
import array
import sys
for call, error in (
    (lambda: Hasher(array.array("i", [1])), BufferError),
    (lambda: Hasher().update(memoryview(b"abcd")[::2]), BufferError),
    (lambda: Hasher().update(None), TypeError),
    (lambda: Hasher().digest(-1), OverflowError),
    (lambda: Hasher().digest(sys.maxsize + 1), OverflowError),
    (lambda: Hasher().hexdigest(sys.maxsize // 2 + 1), OverflowError),
    (lambda: Hasher().digest(32, seek=1 << 64), OverflowError),
    (lambda: Hasher().update_mmap(b"/x"), TypeError),
    (lambda: Hasher().update_mmap("/no/such/file"), FileNotFoundError),
):
    try:
        call()
    except error:
        pass
    else:
        raise AssertionError(f"expected {error.__name__}")

# Output longer than one call's piece is assembled from seeks into the XOF stream.
piece = 1 << 24
long = Hasher(b"abc").digest(piece + 100)
assert long[piece - 20:] == Hasher(b"abc").digest(120, seek=piece - 20)

# update_mmap reads the file in blocks: the same hash as the bytes.
blob = bytes(range(256)) * 5000
with open("/mmap.bin", "wb") as f:
    f.write(blob)
assert Hasher().update_mmap("/mmap.bin").digest() == Hasher(blob).digest()
print("blake3 ok")
