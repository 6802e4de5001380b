# Appended to the pre-initialized interpreter's pylon_resume and to the wasi:http
# interpreter's pylon_wsgi, so that no snapshot keeps randomness of its own: every
# random.Random seeded from entropy while the snapshot was prepared (the module's global
# generator, an application's module-level `Random()`, a library's generator made at
# import) is reseeded from the host's entropy at the start of every run or request.
# A generator seeded explicitly (`Random(42)`, `seed(42)`, `setstate`) keeps its sequence,
# as it would in a cold start.

# numpy's bit generators (the global RandomState's among them) are handled alike: each
# one seeded from the entropy numpy drew while the snapshot was prepared gets a fresh
# state of its kind in every run.

_generators = {}  # id -> a generator seeded from entropy before the snapshot
_numpy_generators = []  # numpy bit generators seeded from entropy before the snapshot
_numpy_entropy = set()  # what numpy drew from the OS while the snapshot was prepared
_undo = []  # what _stop_watching puts back


def _watch_generators():
    """From now until the snapshot, note how every random.Random is seeded, and what
    entropy numpy seeds its bit generators with."""
    random = sys.modules.get("random")
    if random is not None:
        _patch(random)
    else:
        sys.meta_path.insert(0, _RandomWatcher)
    sys.meta_path.insert(0, _NumpyWatcher)


def _stop_watching():
    """The snapshot is next: `random` and numpy are left exactly as they were made."""
    for watcher in (_RandomWatcher, _NumpyWatcher):
        if watcher in sys.meta_path:
            sys.meta_path.remove(watcher)
    while _undo:
        _undo.pop()()
    if _numpy_entropy:
        import gc

        bit_generator = sys.modules["numpy.random.bit_generator"]
        for obj in gc.get_objects():
            if isinstance(obj, bit_generator.BitGenerator):
                entropy = getattr(obj.seed_seq, "entropy", None)
                if entropy in _numpy_entropy:
                    _numpy_generators.append(obj)


def _reseed_generators():
    for generator in _generators.values():
        generator.seed()
    for generator in _numpy_generators:
        generator.state = type(generator)().state


class _NumpyWatcher:
    """First on sys.meta_path until numpy's bit generators are imported: notes the
    entropy they draw (`randbits`, looked up in the module's globals at each seeding)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "numpy.random.bit_generator":
            return None
        spec = _found_by_the_others(_NumpyWatcher, name, path, target)
        if spec is not None:
            spec.loader = _Recording(spec.loader)
        return spec


def _found_by_the_others(watcher, name, path, target):
    """`name`'s spec as the finders after `watcher` give it; the watcher steps aside."""
    sys.meta_path.remove(watcher)
    for finder in sys.meta_path:
        spec = finder.find_spec(name, path, target)
        if spec is not None:
            return spec
    return None


class _Recording:
    """A loader that runs the real one, then records what the module draws."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = module.__loader__ = self.loader
        self.loader.exec_module(module)
        draw = module.randbits

        def recorded(bits):
            value = draw(bits)
            _numpy_entropy.add(value)
            return value

        module.randbits = recorded

        def undo():
            module.randbits = draw

        _undo.append(undo)


class _RandomWatcher:
    """First on sys.meta_path until `random` is imported: patches it once it has run."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "random":
            return None
        spec = _found_by_the_others(_RandomWatcher, name, path, target)
        if spec is None:
            return None
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            _patch(module)

        spec.loader.exec_module = exec_module
        return spec


def _patch(random):
    cls = random.Random
    seed, setstate = cls.seed, cls.setstate

    def seeding(self, a=None, version=2):
        seed(self, a, version)
        if a is None and not isinstance(self, random.SystemRandom):
            _generators[id(self)] = self
        else:
            _generators.pop(id(self), None)

    def setting(self, state):
        setstate(self, state)
        _generators.pop(id(self), None)

    cls.seed, cls.setstate = seeding, setting
    # The module's functions are bound to its global generator, seeded from entropy when
    # the module ran.
    module_seed, module_setstate = random.seed, random.setstate
    _generators[id(random._inst)] = random._inst
    random.seed, random.setstate = random._inst.seed, random._inst.setstate

    def undo():
        cls.seed, cls.setstate = seed, setstate
        random.seed, random.setstate = module_seed, module_setstate

    _undo.append(undo)
