# Appended to the pre-initialized interpreter's pylon_resume and to the wasi:http
# interpreter's pylon_wsgi, so that no snapshot keeps randomness of its own: every
# random.Random seeded from entropy while the snapshot was prepared (the module's global
# generator, an application's module-level `Random()`, a library's generator made at
# import) is reseeded from the host's entropy at the start of every run or request.
# A generator seeded explicitly (`Random(42)`, `seed(42)`, `setstate`) keeps its sequence,
# as it would in a cold start.

_generators = {}  # id -> a generator seeded from entropy before the snapshot
_undo = []  # what _stop_watching puts back


def _watch_generators():
    """From now until the snapshot, note how every random.Random is seeded."""
    random = sys.modules.get("random")
    if random is not None:
        _patch(random)
    else:
        sys.meta_path.insert(0, _RandomWatcher)


def _stop_watching():
    """The snapshot is next: `random` is left exactly as CPython made it."""
    if _RandomWatcher in sys.meta_path:
        sys.meta_path.remove(_RandomWatcher)
    while _undo:
        _undo.pop()()


def _reseed_generators():
    for generator in _generators.values():
        generator.seed()


class _RandomWatcher:
    """First on sys.meta_path until `random` is imported: patches it once it has run."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "random":
            return None
        sys.meta_path.remove(_RandomWatcher)
        for finder in sys.meta_path:
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
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
