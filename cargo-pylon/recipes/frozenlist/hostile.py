"""Hostile inputs for the frozenlist cap: a FrozenList changed after freeze() by every
mutating method and operator, indexes and slices out of range or of wrong types, items
whose comparison or hash raises, and a subclass whose own methods misbehave; only
Python exceptions may come out, and a frozen list keeps its items."""
from frozenlist import FrozenList

from pylon_hostile import WRONG_TYPES, Fuzz


class Hostile:
    """An item whose comparison and hash raise."""

    def __eq__(self, other):
        raise RuntimeError("eq")

    __lt__ = __gt__ = __le__ = __ge__ = __ne__ = __eq__

    def __hash__(self):
        raise RuntimeError("hash")


fuzz = Fuzz()
frozen = FrozenList([1, 2, 3, Hostile(), "x"])
frozen.freeze()
snapshot = list(frozen)
loose = FrozenList(range(50))
indexes = fuzz.integers() + [slice(None), slice(1, -1, 2), slice(0, 2**63, -1), slice(None, None, 0),
                             slice("a", None), slice(2**64, -(2**64))]
values = WRONG_TYPES + [[], [1] * 1000, (1, 2), iter(range(3)), Hostile(), frozen, "abc", range(1000)]

changes = [
    lambda f, i, v: f.append(v), lambda f, i, v: f.insert(i, v), lambda f, i, v: f.extend(v),
    lambda f, i, v: f.__setitem__(i, v), lambda f, i, v: f.__delitem__(i), lambda f, i, v: f.__iadd__(v),
    lambda f, i, v: f.pop(i), lambda f, i, v: f.remove(v), lambda f, i, v: f.clear(), lambda f, i, v: f.reverse(),
    lambda f, i, v: f.__imul__(i) if hasattr(f, "__imul__") else f.extend([v] * 3),
]
reads = [
    lambda f, i, v: f[i], lambda f, i, v: f.index(v), lambda f, i, v: f.count(v), lambda f, i, v: v in f,
    lambda f, i, v: f == v, lambda f, i, v: f < v, lambda f, i, v: f >= v, lambda f, i, v: hash(f),
    lambda f, i, v: repr(f), lambda f, i, v: list(reversed(f)), lambda f, i, v: f.index(v, i),
    lambda f, i, v: FrozenList(v), lambda f, i, v: FrozenList[v],
]
fuzz.drive(lambda op, i, v: op(frozen, i, v), changes, indexes, values)
assert frozen.frozen and len(frozen) == 5 and all(a is b for a, b in zip(frozen, snapshot)), "a frozen list changed"
fuzz.drive(lambda op, i, v: op(frozen, i, v), reads, indexes, values)
fuzz.drive(lambda op, i, v: op(loose, i, v), changes + reads, indexes, values)
fuzz.call(loose.freeze)
fuzz.drive(lambda op, i, v: op(loose, i, v), changes, indexes, values)

# A subclass whose comparisons and item access misbehave, through the C methods.
class Sub(FrozenList):
    def __eq__(self, other):
        raise RuntimeError("eq")

    def __getitem__(self, index):
        return FrozenList.__getitem__(self, index * 2)


sub = Sub([Hostile(), 1, "x"] * 5)
fuzz.drive(lambda op, i, v: op(sub, i, v), changes + reads, indexes, values)
fuzz.call(sub.freeze)
fuzz.drive(lambda op, i, v: op(sub, i, v), changes + reads, indexes, values)
fuzz.drive(lambda items: FrozenList(items).freeze(), values)
# Calling a Cython method unbound on an object of another type, as in
# FrozenList.append(None, 1), reads that object as a FrozenList and crashes, natively too
# (Cython's unchecked self under binding=True); it is left out here.
fuzz.report()
