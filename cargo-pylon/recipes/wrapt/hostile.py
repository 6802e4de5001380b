"""Hostile inputs for the wrapt cap: C proxies used before __init__ ran, every slot and
method of the C types called with wrong arguments, getters and setters (those declared
without the closure argument among them) read, written and deleted with wrong values,
wrappers that are not callable or raise, and proxies of objects that misbehave; only
Python exceptions may come out."""
import copy
import pickle

import wrapt
from wrapt import _wrappers

from pylon_hostile import WRONG_TYPES, Fuzz

CLASSES = [_wrappers.ObjectProxy, _wrappers.CallableObjectProxy, _wrappers.PartialCallableObjectProxy,
           _wrappers._FunctionWrapperBase, _wrappers.FunctionWrapper, _wrappers.BoundFunctionWrapper]


class Hostile:
    """An object whose every operation raises."""

    def __getattr__(self, name):
        raise RuntimeError(name)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("call")

    def __eq__(self, other):
        raise RuntimeError("eq")

    __hash__ = __len__ = __iter__ = __index__ = __bool__ = None


def fresh(cls):
    """An instance of a C type whose __init__ never ran."""
    return cls.__new__(cls)


def made(cls):
    """An instance of a C type made as its documentation says, over arguments that misbehave."""
    wrapper = lambda wrapped, instance, args, kwargs: wrapped(*args, **kwargs)  # noqa: E731
    if cls is _wrappers.PartialCallableObjectProxy:
        return cls(Hostile(), 1, k=2)
    if cls in (_wrappers._FunctionWrapperBase, _wrappers.BoundFunctionWrapper):
        return cls(len, None, wrapper, None, "function", True, None)
    if cls is _wrappers.FunctionWrapper:
        return cls(len, wrapper)
    return cls(Hostile()) if cls is _wrappers.ObjectProxy else cls(len)


targets = [fresh(cls) for cls in CLASSES] + [made(cls) for cls in CLASSES]
targets += [wrapt.ObjectProxy(None), wrapt.ObjectProxy([1, 2]), wrapt.ObjectProxy(3.5), wrapt.CallableObjectProxy(5)]
methods = sorted({name for cls in CLASSES for name, value in vars(cls).items()
                  if type(value).__name__ in ("method_descriptor", "wrapper_descriptor", "getset_descriptor")
                  and name not in ("__init__", "__new__")})
# No large integers: in-place operators can make a proxy wrap an int, and 5 ** 2**64 would
# run for minutes before its MemoryError.
arguments = WRONG_TYPES + [Hostile(), wrapt.ObjectProxy(None), 0, -1, 2.5e300, "__wrapped__", "_self_x", "__dict__",
                           (1, 2), b"x", len]


def call_method(target, name, args):
    """A method of a C type called on a proxy, fresh or made, with 0 to 3 wrong arguments."""
    for cls in type(target).__mro__:
        if name in vars(cls):
            attribute = vars(cls)[name]
            break
    else:
        return None
    if type(attribute).__name__ == "getset_descriptor":
        if not args:
            return attribute.__get__(target, type(target))
        if len(args) == 1:
            return attribute.__delete__(target)
        return attribute.__set__(target, args[0])
    return attribute(target, *args)


fuzz = Fuzz(seconds=1.5)
argument_lists = ([()] + [(a,) for a in arguments] + [(a, b) for a, b in zip(arguments, reversed(arguments))]
                  + [(a, a, a) for a in arguments[:8]])
fuzz.drive(call_method, targets, methods, argument_lists, calls=20000)

# Operators, builtins and protocols through misused proxies.
operations = [len, iter, bool, hash, repr, str, dir, int, float, abs, reversed, copy.copy, copy.deepcopy,
              pickle.dumps, lambda p: p(), lambda p: p + 1, lambda p: 1 - p, lambda p: p[0], lambda p: p.missing,
              lambda p: setattr(p, "x", 1), lambda p: delattr(p, "__wrapped__"), lambda p: p == p, lambda p: p < 1,
              lambda p: format(p, "x"), lambda p: isinstance(1, p), lambda p: issubclass(int, p),
              lambda p: p.__wrapped__, lambda p: p.__get__(None, int), lambda p: p.__get__(5, None),
              lambda p: type("Sub", (p,), {}), lambda p: p.__enter__(), lambda p: p.__exit__(None, None, None),
              lambda p: p.__round__(2), lambda p: divmod(p, 0), lambda p: p ** -1, lambda p: [*p],
              lambda p: wrapt.ObjectProxy(p).__wrapped__.__wrapped__]
fuzz.drive(lambda op, target: op(target), operations, targets)


# Decorators and wrappers around functions, wrappers and descriptors that misbehave.
def decorate(wrapper, target):
    return wrapt.decorator(wrapper)(target)


wrappers = [lambda w, i, a, k: w(*a, **k), lambda w, i, a, k: 1 / 0, lambda *a: None, 5, None, Hostile(), len]
decoratees = [len, lambda: 1, staticmethod(len), classmethod(len), property(len), Hostile(), 5, None,
              wrapt.ObjectProxy(len), type, object(), "text"]
fuzz.drive(lambda w, t, a: decorate(w, t)(*a), wrappers, decoratees, [(), (1,), ([1],), (None, None)])
fuzz.drive(lambda w, t, o: wrapt.FunctionWrapper(t, w).__get__(o, type(o))(1), wrappers, decoratees,
           arguments)
fuzz.drive(lambda m, n: wrapt.wrap_function_wrapper(m, n, lambda w, i, a, k: 0), [wrapt, Hostile(), None, 5, "os"],
           ["no.such.path", "", ".", "ObjectProxy", "__dict__", None, 5, "a" * 10000])
fuzz.drive(lambda t: wrapt.synchronized(t)(), [len, lambda: 1, Hostile(), None, 5, object()])
fuzz.report()
