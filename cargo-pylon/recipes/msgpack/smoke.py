"""msgpack inside pylon, with its Cython extension: Packer, Unpacker, packb and unpackb
come from the compiled msgpack._cmsgpack (a builtin module of the interpreter, not the
pure-Python fallback), and encode to the bytes the msgpack specification gives."""
import datetime
import sys

import msgpack

assert "msgpack._cmsgpack" in sys.builtin_module_names
for obj in (msgpack.Packer, msgpack.Unpacker, msgpack.unpackb):  # packb is Packer().pack
    assert obj.__module__ == "msgpack._cmsgpack", obj
assert msgpack.Packer is msgpack._cmsgpack.Packer

# Encodings from the specification, one per format family.
utc = datetime.timezone.utc
cases = [
    ({"a": 1}, b"\x81\xa1a\x01"),  # fixmap, fixstr, positive fixint
    (None, b"\xc0"), (False, b"\xc2"), (True, b"\xc3"),
    (-1, b"\xff"), (-33, b"\xd0\xdf"), (128, b"\xcc\x80"),  # negative fixint, int 8, uint 8
    (2**32, b"\xcf\x00\x00\x00\x01\x00\x00\x00\x00"), (2**64 - 1, b"\xcf" + b"\xff" * 8),
    (-(2**63), b"\xd3\x80" + b"\x00" * 7),
    (1.5, b"\xcb\x3f\xf8" + b"\x00" * 6),  # float 64: 1.5 = 0x3FF8000000000000
    (b"x", b"\xc4\x01x"), ("é", b"\xa2\xc3\xa9"), ("x" * 32, b"\xd9\x20" + b"x" * 32),
    (b"y" * 256, b"\xc5\x01\x00" + b"y" * 256),
    ([1, 2], b"\x92\x01\x02"), ((1, (2,)), b"\x92\x01\x91\x02"),
    (list(range(16)), b"\xdc\x00\x10" + bytes(range(16))),  # array 16
    ({i: i for i in range(16)}, b"\xde\x00\x10" + bytes(i for i in range(16) for _ in "kv")),  # map 16
    (msgpack.ExtType(5, b"abcd"), b"\xd6\x05abcd"),  # fixext 4
    (msgpack.Timestamp(1, 0), b"\xd6\xff\x00\x00\x00\x01"),  # timestamp 32
    (msgpack.Timestamp(-1, 5), b"\xc7\x0c\xff\x00\x00\x00\x05" + b"\xff" * 8),  # timestamp 96
]
for value, encoded in cases:
    assert msgpack.packb(value) == encoded, (value, msgpack.packb(value))
    back = msgpack.unpackb(encoded, strict_map_key=False)
    assert back == value or value == (1, (2,)) and back == [1, [2]], (value, back)
assert msgpack.unpackb(b"\x92\x01\x91\x02", use_list=False) == (1, (2,))
assert msgpack.packb(1.5, use_single_float=True) == b"\xca\x3f\xc0\x00\x00"
assert msgpack.unpackb(b"\xa1\xc3", raw=True) == b"\xc3"
one_second = datetime.datetime(1970, 1, 1, 0, 0, 1, tzinfo=utc)
assert msgpack.unpackb(b"\xd6\xff\x00\x00\x00\x01", timestamp=3) == one_second
day = datetime.datetime(2020, 1, 1, tzinfo=utc)  # 1577836800 = 0x5E0BE100
assert msgpack.packb(day, datetime=True) == b"\xd6\xff\x5e\x0b\xe1\x00"
assert msgpack.Timestamp.from_unix(1.5) == msgpack.Timestamp(1, 500000000)

# Hooks, defaults and streaming with the C Unpacker.
assert msgpack.packb({1, 2}, default=sorted) == b"\x92\x01\x02"
assert msgpack.unpackb(b"\x81\xa1a\x01", object_hook=lambda d: sorted(d.items())) == [("a", 1)]
assert msgpack.unpackb(b"\x81\xa1a\x01", object_pairs_hook=list) == [("a", 1)]
assert msgpack.unpackb(b"\xd6\x05abcd", ext_hook=lambda code, data: (code, data[::-1])) == (5, b"dcba")
unpacker = msgpack.Unpacker()
stream = b"".join(msgpack.packb(v) for v in [1, "two", [3], {"four": 4.0}])
for i in range(0, len(stream), 3):  # fed in pieces that split objects
    unpacker.feed(stream[i:i + 3])
assert list(unpacker) == [1, "two", [3], {"four": 4.0}]
packer = msgpack.Packer(autoreset=False)
packer.pack_array_header(2)
packer.pack(1)
packer.pack_map_pairs([("k", None)])
assert packer.bytes() == b"\x92\x01\x81\xa1k\xc0"
big = {"k%d" % i: [i, str(i), float(i), b"\x00" * (i % 7)] for i in range(2000)}
assert msgpack.unpackb(msgpack.packb(big)) == big
print("msgpack ok:", msgpack.version)
