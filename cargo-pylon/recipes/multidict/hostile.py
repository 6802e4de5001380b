"""Hostile inputs for the multidict cap: keys that are not strings, values of any kind,
constructors and update/extend/merge fed wrong shapes, proxies over wrong objects,
views compared and combined with objects that misbehave, dicts changed while iterated,
and istr with wrong arguments, into the C types; only Python exceptions may come out."""
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, istr

from pylon_hostile import WRONG_TYPES, Fuzz


class Hostile:
    """A key or value whose hash, comparison and str() raise."""

    def __hash__(self):
        raise RuntimeError("hash")

    def __eq__(self, other):
        raise RuntimeError("eq")

    def __str__(self):
        raise RuntimeError("str")

    def __iter__(self):
        raise RuntimeError("iter")


class StrSub(str):
    def __hash__(self):
        raise RuntimeError("hash")

    def lower(self):
        return 5


class BadPairs:
    """An iterable of pairs that is too short, too long or not pairs at all."""

    def __iter__(self):
        yield ("a", 1)
        yield ("b",)
        yield ("c", 2, 3)
        yield 5


keys = ["a", "A", "", "\udcff", "ß", "x" * 10000, istr("Key"), StrSub("k"), Hostile()] + WRONG_TYPES
args = [[], [("a", 1), ("A", 2)], {"a": 1}, BadPairs(), [("a",)], [(1, 2)], [[1, 2, 3]], Hostile(), "ab", b"ab",
        MultiDict(a=1), CIMultiDict(A=1), MultiDictProxy(MultiDict(x=1)), iter([("a", 1)]),
        [("k", v) for v in range(500)]]
args += WRONG_TYPES
kinds = [MultiDict, CIMultiDict]


def build(kind, arg):
    return kind(arg)


def use(kind, method, key, value):
    d = kind([("a", 1), ("A", 2), ("b", 3)])
    return getattr(d, method)(key, value) if method in ("add", "get", "getall", "getone", "setdefault", "popone",
                                                         "pop", "popall") else getattr(d, method)(key)


def mutate_while_iterating(kind, view, key):
    d = kind([("a", 1), ("b", 2), ("c", 3)])
    for _ in getattr(d, view)():
        d.add(key, 1)
        del d["a"]


def views(kind, view, other, op):
    d = kind([("a", 1), ("A", 2)])
    v = getattr(d, view)()
    return [lambda: v & other, lambda: v | other, lambda: v - other, lambda: v ^ other, lambda: other in v,
            lambda: v == other, lambda: v < other, lambda: v.isdisjoint(other), lambda: repr(v),
            lambda: other & v, lambda: other - v][op]()


fuzz = Fuzz(seconds=1.5)
fuzz.drive(build, kinds, args)
fuzz.drive(lambda kind, a, kw: kind(a, **kw), kinds, args, [{}, {"a": 1}, {"\udcff": Hostile()}])
methods = ["add", "get", "getall", "getone", "setdefault", "popone", "pop", "popall", "__getitem__",
           "__delitem__", "__contains__", "extend", "update", "merge", "__eq__", "copy"]
fuzz.drive(use, kinds, methods, keys + args, keys)
fuzz.drive(lambda kind, k, v: kind().__setitem__(k, v), kinds, keys, keys)
fuzz.drive(mutate_while_iterating, kinds, ["keys", "values", "items"], keys)
fuzz.drive(views, kinds, ["keys", "values", "items"], keys + args + [{("a", 1)}, [("a", 1, 2)], {("a",)}],
           range(11))
fuzz.drive(lambda proxy, arg: proxy(arg), [MultiDictProxy, CIMultiDictProxy], args)
fuzz.drive(lambda a, b: istr(a, b), keys + args, ["utf-8", "no-such", None, 5])


def failing(n):
    """Pairs that end in an exception part way through construction."""
    for i in range(n):
        yield str(i % 7), i
    raise RuntimeError("stop")


fuzz.drive(lambda kind, n: kind(failing(n)), kinds, [0, 1, 5, 1000, 20000])
fuzz.report()
