"""The crc32c cap inside pylon: known check values, chaining, the hash object, errors."""
import warnings

import crc32c
from crc32c import CRC32CHash

# The standard check value of CRC-32C (RFC 3720 and the CRC catalogue): "123456789".
assert crc32c.crc32c(b"123456789") == 0xE3069283
# Vectors from RFC 3720 B.4: 32 zero bytes, 32 0xff bytes, 0..31 ascending, 31..0 descending.
assert crc32c.crc32c(bytes(32)) == 0x8A9136AA
assert crc32c.crc32c(b"\xff" * 32) == 0x62A8AB43
assert crc32c.crc32c(bytes(range(32))) == 0x46DD794E
assert crc32c.crc32c(bytes(range(31, -1, -1))) == 0x113FDB5C
# The PyPI package's documented example.
assert crc32c.crc32c(b"hello world") == 3381945770
assert crc32c.crc32c(b"") == 0

# Continuing from a value equals one pass, for every split point and any buffer type.
data = bytes(i * 7 % 256 for i in range(5000))
whole = crc32c.crc32c(data)
for cut in (0, 1, 7, 64, 4095, 5000):
    assert crc32c.crc32c(data[cut:], value=crc32c.crc32c(data[:cut])) == whole
assert crc32c.crc32c(bytearray(data)) == whole
assert crc32c.crc32c(memoryview(data)) == whole
assert crc32c.crc32c(data, 0, gil_release_mode=1) == whole
big = bytes(range(256)) * 8192  # 2 MiB in one call
assert crc32c.crc32c(big) == crc32c.crc32c(big[1 << 20:], crc32c.crc32c(big[:1 << 20]))

# The hash object.
h = CRC32CHash()
assert (h.name, h.digest_size, h.block_size, h.checksum) == ("crc32c", 4, 1, 0)
h.update(b"hello")
h.update(b" world")
assert h.checksum == 3381945770
assert h.digest() == b"\xc9\x94e\xaa" and h.hexdigest() == "c99465aa"
c = h.copy()
c.update(b"!")
assert h.checksum == 3381945770 and c.checksum == crc32c.crc32c(b"hello world!")
assert CRC32CHash(b"123456789").hexdigest() == "e3069283"

# The deprecated name still works and says so.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    assert crc32c.crc32(b"123456789") == 0xE3069283
assert caught and caught[0].category is DeprecationWarning

# Wrong input is a Python error, never a trap.
for bad, exc in ((lambda: crc32c.crc32c("text"), TypeError), (lambda: crc32c.crc32c(b"x", -1), OverflowError),
                 (lambda: crc32c.crc32c(b"x", 1 << 32), OverflowError), (lambda: CRC32CHash(3), TypeError)):
    try:
        bad()
    except exc:
        pass
    else:
        raise AssertionError(f"expected {exc.__name__}")
assert crc32c.hardware_based is False and isinstance(crc32c.big_endian, bool)
print("crc32c ok")
