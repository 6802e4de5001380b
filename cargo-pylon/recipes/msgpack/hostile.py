"""Hostile inputs for the msgpack cap: truncated, bit-flipped and spliced messages,
headers claiming huge lengths (str 32, bin 32, array 32, map 32, ext 32), deep nesting,
wrong options into the C Unpacker, and values the C Packer cannot encode; only Python
exceptions may come out."""
import io

import msgpack

from pylon_hostile import WRONG_TYPES, Fuzz

SAMPLES = [
    msgpack.packb({"a": [1, 2.5, None, True], "b": b"\x00\xff", "c": {"d": "é" * 40}}),
    msgpack.packb([2**64 - 1, -(2**63), 1.5, msgpack.ExtType(5, b"abcd"), msgpack.Timestamp(2**34, 1)]),
    msgpack.packb(list(range(300)) + ["x" * 300, b"y" * 70000]),
]
HUGE = [
    b"\xdb\xff\xff\xff\xff", b"\xc6\xff\xff\xff\xff", b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff",
    b"\xc9\xff\xff\xff\xff\x05", b"\xc9\xff\xff\xff\xff\xff", b"\xda\xff\xff" + b"x" * 10, b"\xdc\xff\xff\x01",
    b"\xdd\x7f\xff\xff\xff" + b"\xc0" * 100, b"\xdf\x7f\xff\xff\xff" + b"\x01\x02" * 100,
    b"\xc7\x0c\xff" + b"\xff" * 12, b"\xd6\xff", b"\xd7\xff" + b"\xff" * 8, b"\xc7\x05\xff12345",  # bad timestamps
    b"\xc1", b"\x91" * 100000, b"\x81" * 100000, b"\x91" * 100000 + b"\x01",  # reserved byte, deep nesting
    b"\x82\x90\x01\x90\x02", b"\x81\xc0\x01", b"\x81\x80\x01",  # unhashable and non-str keys
]


def unpack_options(data, option):
    return msgpack.unpackb(data, **option)


def stream(data, size):
    unpacker = msgpack.Unpacker(max_buffer_size=1 << 20)
    for i in range(0, len(data), max(1, size)):
        unpacker.feed(data[i:i + size])
        for _ in unpacker:
            pass


def skip_and_read(data):
    unpacker = msgpack.Unpacker(read_size=7)
    unpacker.feed(data)
    unpacker.read_array_header()
    unpacker.skip()
    unpacker.read_map_header()
    unpacker.read_bytes(5)
    return unpacker.unpack(), unpacker.tell()


fuzz = Fuzz()
data = fuzz.data(SAMPLES + HUGE)
fuzz.drive(msgpack.unpackb, data)
options = [
    {}, {"raw": True}, {"use_list": False}, {"strict_map_key": False}, {"timestamp": 3}, {"timestamp": 9},
    {"max_str_len": 1}, {"max_bin_len": 0}, {"max_array_len": 1}, {"max_map_len": 0}, {"max_ext_len": 2},
    {"max_buffer_size": 1}, {"unicode_errors": "nope"}, {"unicode_errors": "surrogateescape"},
    {"object_hook": 5}, {"object_hook": lambda d: 1 / 0}, {"object_pairs_hook": lambda p: p[99]},
    {"list_hook": lambda x: x.no}, {"ext_hook": lambda c, d: 1 / 0}, {"ext_hook": None},
    {"object_hook": dict, "object_pairs_hook": list}, {"no_such_option": 1}, {"raw": "yes"},
]
fuzz.drive(unpack_options, data, options)
fuzz.drive(stream, data, [1, 2, 3, 7, 64, 0])
fuzz.drive(skip_and_read, data)
fuzz.drive(lambda d, n: msgpack.Unpacker(read_size=n, max_buffer_size=n).feed(d), data, fuzz.integers())


def read_from(data):
    return list(msgpack.Unpacker(io.BytesIO(data) if isinstance(data, bytes) else data, read_size=3))


fuzz.drive(read_from, data)

# Packing: values it cannot encode, deep nesting, bad defaults and options.
nested = []
for _ in range(5000):
    nested = [nested]
looped = []
looped.append(looped)


def ext(code, data):
    """An ExtType that skipped its own checks of code and data."""
    return tuple.__new__(msgpack.ExtType, (code, data))


values = [2**64, -(2**63) - 1, 10**40, "\udcff", object(), {object(): 1}, {(1, 2): 3}, nested, looped, 1.5j,
          ext(-129, b""), ext(5, "text"), ext(None, b""), ext(2**70, b""), ext(1, None), set(), bytearray(b"z"),
          memoryview(b"abcd")[::2], memoryview(bytes(12)).cast("i"), float("nan"), b"\x00" * 100000, {"a": "b" * 50000}]
packer_options = [{}, {"default": str}, {"default": lambda o: o}, {"default": 5}, {"use_bin_type": False},
                  {"unicode_errors": "surrogatepass"}, {"strict_types": True}, {"datetime": True},
                  {"use_single_float": True}, {"autoreset": False}, {"bad": 1}]
fuzz.drive(lambda v, o: msgpack.packb(v, **o), values + WRONG_TYPES, packer_options)
packer = msgpack.Packer(autoreset=False)
fuzz.drive(packer.pack_array_header, fuzz.integers())
fuzz.drive(packer.pack_map_header, fuzz.integers())
fuzz.drive(lambda n: packer.pack_ext_type(n, b"x" * 3), fuzz.integers())
fuzz.drive(packer.pack_map_pairs, [[("a", 1)], [(1,)], [1], None, "ab", [("a", object())], {"a": 1}])
fuzz.call(packer.getbuffer)
fuzz.call(packer.reset)
fuzz.drive(lambda s, n: msgpack.Timestamp(s, n), fuzz.integers(), fuzz.integers())
fuzz.drive(lambda c, d: msgpack.packb(ext(c, d)), fuzz.integers(), fuzz.data())
fuzz.report()
