"""Hostile inputs for the crc32c cap: the export and the facade driven with wrong types,
out-of-range running values and odd buffers; only Python exceptions may come out."""
import crc32c
import _crc32c_cap
from pylon_hostile import Fuzz

fuzz = Fuzz()
data = fuzz.data([b"123456789", bytes(100000)])
values = fuzz.integers([0xFFFFFFFF, 0xE3069283])

fuzz.drive(_crc32c_cap.extend, values, data)
fuzz.drive(crc32c.crc32c, data, values, fuzz.integers())
fuzz.drive(lambda d, v: crc32c.CRC32CHash(d).update(v), data, data)
fuzz.drive(lambda d: crc32c.CRC32CHash(d).copy().hexdigest(), data)
# The CLI on files that do not exist or are not UTF-8 paths: errors, not traps.
fuzz.drive(lambda name: crc32c.main("crc32c", [name]), ["/no/such/file", "/\udcff", "", "/"])
fuzz.report()
