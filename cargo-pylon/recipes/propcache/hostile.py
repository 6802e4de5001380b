"""Hostile inputs for the propcache cap: the C descriptors over functions that raise,
recurse or are not callable, instances without a _cache or __dict__ (or with one of the
wrong type), names that are not strings, and __get__, __set__ and __set_name__ called
by hand with wrong arguments; only Python exceptions may come out."""
from propcache import cached_property, under_cached_property

from pylon_hostile import WRONG_TYPES, Fuzz


def boom(self):
    raise RuntimeError("boom")


def recurse(self):
    return self.again


def returns_self(self):
    return self


functions = [boom, recurse, returns_self, len, lambda: 1, lambda self, extra: 1] + WRONG_TYPES


class Slotted:
    __slots__ = ("_cache",)


class NoCache:
    pass


class BadCache:
    _cache = "not a dict"


class ReadOnlyCache:
    @property
    def _cache(self):
        raise AttributeError("no cache")


class FrozenDict:
    __slots__ = ()


owners = [Slotted, NoCache, BadCache, ReadOnlyCache, FrozenDict]


def use(kind, function, owner):
    """A class whose attribute `again` is a descriptor of `kind` over `function`."""
    descriptor = kind(function)
    cls = type("T", (owner,), {"again": descriptor})
    instance = cls.__new__(cls)
    return instance.again


def by_hand(kind, instance, owner, value, action):
    descriptor = kind(recurse)
    if action == 0:
        return descriptor.__get__(instance, owner)
    if action == 1:
        return descriptor.__set__(instance, value)
    if action == 2:
        return descriptor.__set_name__(owner, value)
    return descriptor.__delete__(instance) if hasattr(descriptor, "__delete__") else descriptor.name


fuzz = Fuzz()
kinds = [cached_property, under_cached_property]
fuzz.drive(use, kinds, functions, owners)
instances = WRONG_TYPES + [BadCache(), NoCache(), ReadOnlyCache(), FrozenDict(), Slotted.__new__(Slotted)]
fuzz.drive(by_hand, kinds, instances, WRONG_TYPES + owners, WRONG_TYPES + ["name", "\udcff", ""], [0, 1, 2, 3])
fuzz.drive(lambda k, a: k(*a), kinds, [(), (len, len), (None,), (boom,), (1, 2, 3)])
fuzz.drive(lambda k, name: getattr(k(boom), name), kinds, ["func", "name", "__doc__", "__wrapped__", "__name__"])
fuzz.drive(lambda k, t: k[t], kinds, WRONG_TYPES + [int])  # __class_getitem__
fuzz.report()
