"""Hostile inputs for cap tests: drive functions with bad arguments; only Python
exceptions may come out.

`cargo pylon smoke` puts this module on the path of every smoke and hostile test (it is
not shipped in the composed interpreter). A trap inside the interpreter ends the run with
exit 125, which fails the test: a test that returns has proven that every call either
worked or raised.

    from pylon_hostile import Fuzz
    fuzz = Fuzz()                       # seed from PYLON_HOSTILE_SEED, else random (printed)
    fuzz.drive(codec.decompress, fuzz.data(samples))
    fuzz.drive(hasher.digest, fuzz.integers())
    fuzz.report()

Each argument is drawn from a pool; `data` pools hold the samples, their truncations, bit
flips and splices, headers rewritten to declare huge lengths, random bytes and wrong
types; `integers` pools hold boundary values around 0, 2**31, 2**32, 2**63 and 2**64, both
signs, and wrong types.
"""

import os
import random
import sys
import time

__all__ = ["Fuzz", "BOUNDARY_INTS", "WRONG_TYPES"]

BOUNDARY_INTS = [
    0, 1, -1, 2, 255, 256, 65535, 65536, 2**24, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1,
    2**32 - 1, 2**32, 2**53, 2**63 - 1, 2**63, -(2**63), 2**64 - 1, 2**64, -(2**64), 10**40, -(10**40),
]
WRONG_TYPES = [None, "text", "\udcff", 1.5, float("nan"), [1, 2], (), {}, object(), True, 3j]


class Fuzz:
    """A seeded source of hostile arguments and a driver that counts what happened."""

    def __init__(self, seed=None, seconds=2.0):
        if seed is None:
            seed = int(os.environ.get("PYLON_HOSTILE_SEED") or int.from_bytes(os.urandom(4), "little"))
        self.seed = seed
        self.rng = random.Random(seed)
        self.seconds = seconds
        self.calls = self.raised = 0
        self.kinds = {}
        print(f"pylon_hostile: seed {seed} (PYLON_HOSTILE_SEED={seed} repeats this run)")

    # -- pools -------------------------------------------------------------------------

    def mutate(self, sample):
        """One hostile variant of `sample` (bytes)."""
        rng = self.rng
        data = bytearray(sample)
        choice = rng.randrange(7)
        if choice == 0 and data:  # truncated
            return bytes(data[: rng.randrange(len(data))])
        if choice == 1 and data:  # bits flipped
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            return bytes(data)
        if choice == 2:  # a header claiming a huge size
            head = rng.choice([b"\xff\xff\xff\xff\x0f", b"\xff" * 10, b"\xff\xff\xff\x7f", b"\xff\xff\xff\xff", b"\x80" * 5 + b"\x01"])
            return head + bytes(data[len(head):])
        if choice == 3 and data:  # spliced with itself
            cut = rng.randrange(len(data))
            return bytes(data[cut:] + data[:cut] + data)
        if choice == 4:  # random bytes of a similar size
            return rng.randbytes(max(1, len(data) + rng.randint(-8, 8)))
        if choice == 5:  # bytes appended
            return bytes(data) + rng.randbytes(rng.randint(1, 64))
        return bytes(data[:1] * rng.randint(0, 300))

    def data(self, samples=(), count=60):
        """Byte arguments: `samples` and hostile variants, random bytes, views and wrong types."""
        pool = [b"", b"\x00", b"\xff" * 64]
        pool += [bytes(s) for s in samples]
        for _ in range(count):
            base = self.rng.choice(pool[3:] or pool)
            pool.append(self.mutate(base))
        pool += [self.rng.randbytes(self.rng.choice([1, 7, 64, 1000, 70000])) for _ in range(6)]
        pool += [bytearray(b"abc"), memoryview(b"abcdef"), memoryview(b"abcdef")[1:4]]
        return pool + WRONG_TYPES

    def integers(self, extra=()):
        """Integer arguments: boundaries, `extra` values, random sizes and wrong types."""
        return BOUNDARY_INTS + list(extra) + [self.rng.randint(-(2**70), 2**70) for _ in range(8)] + WRONG_TYPES

    def strings(self):
        """String arguments: empty, long, NUL, lone surrogates, non-ASCII, wrong types."""
        return ["", "x", "x" * 100000, "a\x00b", "\udcff", "\ud800x", "é漢🙂", b"bytes", None, 7, object()]

    def flags(self):
        return [True, False, None, 0, 1, 2, "yes", object()]

    # -- the driver --------------------------------------------------------------------

    def drive(self, function, *pools, seconds=None, calls=3000):
        """Call `function` with arguments drawn from `pools` until `calls` or `seconds`
        run out. Any exception is an answer; a trap ends the interpreter (and the test)."""
        deadline = time.monotonic() + (self.seconds if seconds is None else seconds)
        name = getattr(function, "__qualname__", repr(function))
        done = 0
        while done < calls and time.monotonic() < deadline:
            args = [self.rng.choice(pool) for pool in pools]
            try:
                function(*args)
            except Exception as e:  # noqa: BLE001  (any Python exception is acceptable)
                self.raised += 1
                self.kinds[type(e).__name__] = self.kinds.get(type(e).__name__, 0) + 1
            done += 1
        self.calls += done
        print(f"pylon_hostile: {name}: {done} calls")
        return done

    def call(self, function, *args):
        """One call that must not trap; returns the exception it raised, or None."""
        self.calls += 1
        try:
            function(*args)
        except Exception as e:  # noqa: BLE001
            self.raised += 1
            self.kinds[type(e).__name__] = self.kinds.get(type(e).__name__, 0) + 1
            return e
        return None

    def report(self):
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.kinds.items()))
        print(f"pylon_hostile: {self.calls} calls, {self.raised} raised ({kinds}); the interpreter lives")
        sys.stdout.flush()
