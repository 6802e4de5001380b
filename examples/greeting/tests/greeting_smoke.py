"""Smoke test for greeting, run inside pylon by `cargo pylon smoke`."""
import greeting

assert greeting.greet("pylon", 1) == "Hello, pylon!"
assert greeting.greet("pylon", 2) == "Hello, pylon!Hello, pylon!"
# A size memory cannot hold is an exception, never a trap.
try:
    greeting.greet("pylon", 2**32 - 1)
except greeting.Error:
    pass
else:
    raise AssertionError("a huge greeting must raise greeting.Error")
assert greeting.adler32(b"Wikipedia") == 0x11E60398
assert greeting.adler32(b"") == 1
assert greeting.adler32(bytes(100_000)) == greeting.adler32(bytearray(100_000))
try:
    greeting.greet(42, 1)
except TypeError:
    pass
else:
    raise AssertionError("greet(42, 1) must raise TypeError")
print("greeting ok")
