"""propcache inside pylon, with its Cython helpers: cached_property and
under_cached_property are the compiled descriptors of propcache._helpers_c (a builtin
module of the interpreter, not the pure-Python fallback); each computes once, stores in
the instance's __dict__ or _cache, and refuses to be set."""
import sys

import propcache
from propcache import cached_property, under_cached_property
from propcache.api import cached_property as api_cached_property

assert "propcache._helpers_c" in sys.builtin_module_names
assert cached_property is propcache._helpers_c.cached_property is api_cached_property
assert under_cached_property is propcache._helpers_c.under_cached_property
assert cached_property.__module__ == "propcache._helpers_c"


class Thing:
    def __init__(self):
        self._cache = {}
        self.calls = 0

    @under_cached_property
    def under(self):
        """Computed into _cache."""
        self.calls += 1
        return self.calls * 10

    @cached_property
    def plain(self):
        """Computed into __dict__."""
        self.calls += 1
        return "p%d" % self.calls


t = Thing()
assert t.under == 10 and t.under == 10 and t._cache == {"under": 10}
assert t.plain == "p2" and t.plain == "p2" and t.__dict__["plain"] == "p2" and t.calls == 2
assert type(Thing.__dict__["under"]) is under_cached_property and Thing.under.__doc__ == "Computed into _cache."
assert Thing.plain.__doc__ == "Computed into __dict__." and Thing.plain.func.__name__ == "plain"
try:
    t.under = 5
    raise AssertionError("set")
except AttributeError as e:
    assert "read-only" in str(e), e
del t._cache["under"]
assert t.under == 30 and t.calls == 3  # recomputed once the cache is cleared
other = Thing()
assert other.under == 10 and t.under == 30  # per instance
print("propcache ok:", propcache.__version__)
