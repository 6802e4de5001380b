"""wrapt inside pylon, with its C proxies: ObjectProxy, FunctionWrapper and
BoundFunctionWrapper come from the compiled wrapt._wrappers (a builtin module of the
interpreter, not the pure-Python fallback); decorators see the right instance for
functions, methods, class and static methods, keep signatures, and proxies forward
attributes, operators and their getters and setters (declared without the closure
argument CPython passes, adapted at the link)."""
import inspect
import sys
import types

import wrapt

assert "wrapt._wrappers" in sys.builtin_module_names
from wrapt import _wrappers  # noqa: E402

assert wrapt.FunctionWrapper is _wrappers.FunctionWrapper
assert wrapt.BoundFunctionWrapper is _wrappers.BoundFunctionWrapper
assert issubclass(wrapt.ObjectProxy, _wrappers.ObjectProxy), wrapt.ObjectProxy.__mro__
assert type(_wrappers.ObjectProxy.__dict__["__wrapped__"]).__name__ == "getset_descriptor"

calls = []


@wrapt.decorator
def record(wrapped, instance, args, kwargs):
    calls.append((type(instance).__name__ if instance is not None and not isinstance(instance, type)
                  else instance.__name__ if isinstance(instance, type) else None, args, kwargs))
    return wrapped(*args, **kwargs) * 10


@record
def add(a, b=2, *, c=3):
    """Adds."""
    return a + b + c


class Thing:
    @record
    def method(self, x):
        return x + 1

    @record
    @classmethod
    def klass(cls, x):
        return x + 2

    @record
    @staticmethod
    def static(x):
        return x + 3


assert add(1) == 60 and add(1, 1, c=1) == 30
assert add.__name__ == "add" and add.__doc__ == "Adds." and add.__wrapped__(1) == 6
assert str(inspect.signature(add)) == "(a, b=2, *, c=3)"
assert isinstance(add, wrapt.FunctionWrapper) and isinstance(add, types.FunctionType)
t = Thing()
assert t.method(1) == 20 and Thing.method(t, 2) == 30
assert t.klass(1) == 30 and Thing.static(1) == 40
assert type(t.method) is _wrappers.BoundFunctionWrapper, type(t.method)
assert calls == [(None, (1,), {}), (None, (1, 1), {"c": 1}), ("Thing", (1,), {}), ("Thing", (2,), {}),
                 ("Thing", (1,), {}), (None, (1,), {})], calls


# An object proxy forwards attributes, operators, containers and identity checks.
class Box:
    def __init__(self):
        self.items = [3, 1, 2]


proxy = wrapt.ObjectProxy(Box())
assert proxy.items == [3, 1, 2] and isinstance(proxy, Box) and proxy.__class__ is Box
proxy.items = [9]  # set on the wrapped object
assert proxy.__wrapped__.items == [9]
proxy._self_note = "mine"  # _self_ attributes stay on the proxy
assert proxy._self_note == "mine" and not hasattr(proxy.__wrapped__, "_self_note")
number = wrapt.ObjectProxy(7)
assert number + 1 == 8 and 2 ** number == 128 and -number == -7 and number // 2 == 3 and hash(number) == hash(7)
assert number == 7 and number < 8 and int(number) == 7 and float(number) == 7.0 and f"{number:03d}" == "007"
seq = wrapt.ObjectProxy([1, 2, 3])
assert len(seq) == 3 and seq[1] == 2 and list(reversed(seq)) == [3, 2, 1] and 2 in seq
seq[0] = 5
assert seq.__wrapped__ == [5, 2, 3]
number.__wrapped__ = 11  # the setter of __wrapped__
assert number * 2 == 22
assert proxy.__module__ == Box.__module__ and repr(proxy).startswith("<ObjectProxy at 0x")
callable_proxy = wrapt.CallableObjectProxy(lambda x: x * 3)
assert callable_proxy(4) == 12
partial = wrapt.PartialCallableObjectProxy(lambda a, b: a - b, 10)
assert partial(4) == 6


# Monkey patching a module attribute through wrap_function_wrapper.
module = types.ModuleType("target")
module.greet = lambda name: "hi " + name
wrapt.wrap_function_wrapper(module, "greet", lambda wrapped, instance, args, kwargs: wrapped(*args).upper())
assert module.greet("bob") == "HI BOB" and isinstance(module.greet, wrapt.FunctionWrapper)


@wrapt.synchronized
def locked(x):
    return x * 2


assert locked(21) == 42
print("wrapt ok:", wrapt.__version__)
