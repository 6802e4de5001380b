"""frozenlist inside pylon, with its Cython extension: FrozenList is the compiled
frozenlist._frozenlist.FrozenList (a builtin module of the interpreter, not the
pure-Python fallback); it behaves as a list until frozen, then refuses every change
and hashes as the tuple of its items."""
import sys
from collections.abc import MutableSequence

import frozenlist
from frozenlist import FrozenList

assert "frozenlist._frozenlist" in sys.builtin_module_names
assert FrozenList is frozenlist._frozenlist.FrozenList
assert FrozenList.__module__ == "frozenlist._frozenlist" and FrozenList.__mro__ == (FrozenList, object)
assert type(FrozenList.__hash__).__name__ == "wrapper_descriptor"  # a C slot, not a Python method

fl = FrozenList([1, 2])
assert fl == [1, 2] and not fl.frozen and isinstance(fl, MutableSequence)
assert repr(fl) == "<FrozenList(frozen=False, [1, 2])>"
try:
    hash(fl)
    raise AssertionError("an unfrozen list hashed")
except RuntimeError as e:
    assert str(e) == "Cannot hash unfrozen list."
fl.append(3)
fl.insert(0, 0)
fl.extend([4])
fl[1] = 10
del fl[-1]
fl += [7]
assert fl == [0, 10, 2, 3, 7] and len(fl) == 5 and fl.index(2) == 2 and fl.count(10) == 1
assert fl[1:3] == [10, 2] and list(reversed(fl)) == [7, 3, 2, 10, 0] and 3 in fl
assert fl.pop() == 7 and fl.pop(0) == 0
fl.reverse()
assert fl == [3, 2, 10] and fl < [3, 2, 11] and fl != [3, 2]

fl.freeze()
assert fl.frozen and repr(fl) == "<FrozenList(frozen=True, [3, 2, 10])>"
assert hash(fl) == hash((3, 2, 10)) and {fl: "key"}[fl] == "key"
refused = 0
for change in (lambda: fl.append(1), lambda: fl.__setitem__(0, 1), lambda: fl.__delitem__(0),
               lambda: fl.__iadd__([1]), lambda: fl.insert(0, 1), lambda: fl.clear(), lambda: fl.pop(),
               lambda: fl.reverse(), lambda: fl.extend([1]), lambda: fl.remove(3)):
    try:
        change()
    except RuntimeError as e:
        assert str(e) == "Cannot modify frozen list.", e
        refused += 1
assert refused == 10 and fl == [3, 2, 10]
fl.freeze()  # freezing twice is allowed
assert FrozenList[int].__origin__ is FrozenList
big = FrozenList(range(100000))
big.freeze()
assert sum(big) == 4999950000 and big[-1] == 99999
print("frozenlist ok:", frozenlist.__version__)
