"""multidict inside pylon, with its C extension: MultiDict, CIMultiDict, their proxies
and istr are the types of the compiled multidict._multidict (a builtin module of the
interpreter, not the pure-Python fallback); several values per key, case folding of
CIMultiDict, proxies, views, versions and pickling give the results worked out by hand."""
import pickle
import sys

import multidict
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, getversion, istr

assert "multidict._multidict" in sys.builtin_module_names and multidict.USE_EXTENSIONS
for cls in (MultiDict, CIMultiDict, MultiDictProxy, CIMultiDictProxy, istr):
    assert cls.__module__ == "multidict._multidict" and cls is getattr(multidict._multidict, cls.__name__), cls

md = MultiDict([("a", 1), ("b", 2), ("a", 3)])
assert len(md) == 3 and md.getall("a") == [1, 3] and md.getone("a") == 1 and md["a"] == 1
assert list(md.items()) == [("a", 1), ("b", 2), ("a", 3)] and list(md.values()) == [1, 2, 3]
assert list(md) == ["a", "b"]  # multidict 7: keys are unique in iteration
assert md.get("z", 0) == 0 and md.getall("z", []) == []
try:
    md.getall("z")
    raise AssertionError("no KeyError")
except KeyError:
    pass
md.add("c", 4)
md.extend(a=5)
assert md.getall("a") == [1, 3, 5]
assert md.popall("a") == [1, 3, 5] and list(md.items()) == [("b", 2), ("c", 4)]
assert md.popone("b") == 2 and md == {"c": 4} and md.items() & {("c", 4)} == {("c", 4)}
md2 = MultiDict(a=1)
md2.update([("a", 2), ("a", 3)])
assert list(md2.items()) == [("a", 2), ("a", 3)]
md3 = MultiDict(a=1, b=2)
md3.merge({"a": 9, "c": 3})  # keeps existing keys, adds new ones
assert list(md3.items()) == [("a", 1), ("b", 2), ("c", 3)]
assert MultiDict(A=1) != MultiDict(a=1) and md.copy() == md and md.copy() is not md

# Case-insensitive: lookups fold case, the first spelling of a key is kept.
ci = CIMultiDict([("Content-Type", "text/html"), ("content-type", "x")])
assert ci.getall("CONTENT-TYPE") == ["text/html", "x"] and ci["CoNtEnT-TyPe"] == "text/html"
assert "content-TYPE" in ci and list(ci.items()) == [("Content-Type", "text/html"), ("content-type", "x")]
ci["CONTENT-type"] = "y"  # replaces every value under the folded key
assert list(ci.items()) == [("CONTENT-type", "y")]
assert ci.setdefault("New", "v") == "v" and ci.getall("nope", "dflt") == "dflt"
assert CIMultiDict(A=1) == CIMultiDict(a=1) and CIMultiDict({istr("X-A"): 1}).getone("x-a") == 1
s = istr("Hello")
assert s == "Hello" and isinstance(s, str) and type(s).__mro__[1] is str
assert pickle.loads(pickle.dumps(ci)) == ci and type(pickle.loads(pickle.dumps(ci))) is CIMultiDict
assert repr(ci) == "<CIMultiDict('CONTENT-type': 'y', 'New': 'v')>"
assert ci.popitem() == ("New", "v") and list(ci) == ["CONTENT-type"]

# Read-only proxies follow the dict they wrap; versions change with every edit.
proxy = MultiDictProxy(md)
try:
    proxy["x"] = 1
    raise AssertionError("a proxy was written")
except TypeError:
    pass
v = getversion(md)
md.add("d", 5)
assert getversion(md) > v and proxy.getall("d") == [5] and proxy.copy() == md
assert CIMultiDictProxy(CIMultiDict(K=1))["k"] == 1
big = MultiDict(("k%d" % (i % 100), i) for i in range(10000))
assert len(big) == 10000 and big.getall("k7")[:3] == [7, 107, 207] and sum(big.getall("k0")) == 495000
print("multidict ok:", multidict.__version__)
