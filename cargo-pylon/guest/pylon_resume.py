"""What a run of the pre-initialized interpreter makes its own before Python runs.

`prepare` runs once, before the snapshot: it imports the modules PYLON_PRELOAD lists.
Nothing here may import a module a cold start does not have.
`resume` runs at the start of every run: the snapshot holds the environment, the random
state and the stdio buffering of the run that made it, so each is taken from this run
(the random state of every generator alive in the snapshot: pylon_entropy.py, appended).
"""

import os
import sys


def prepare():
    _watch_generators()
    # __import__, not importlib: a run must find the modules a cold start has, no more.
    for name in filter(None, os.environ.get("PYLON_PRELOAD", "").split(",")):
        __import__(name.strip())
    _stop_watching()


def resume(environ):
    # os.environ, os.environb and posix.environ share one dict of bytes.
    data = os.environ._data
    data.clear()
    data.update(environ)
    # PYTHONPATH's folders go first, as CPython's path computation puts them (before the
    # script's folder, which Py_RunMain inserts next).
    pythonpath = environ.get(b"PYTHONPATH")
    if pythonpath:
        sys.path[0:0] = [os.path.abspath(os.fsdecode(p)) for p in pythonpath.split(b":")]
    # Interactive streams are line-buffered as in a cold start (the snapshot's were not
    # on a terminal); stderr always is.
    stdout = sys.stdout
    if stdout is not None and not stdout.line_buffering and stdout.isatty():
        stdout.reconfigure(line_buffering=True)
    modules = sys.modules
    _reseed_generators()
    # `time` computed its zone constants at import, in the snapshot's UTC.
    if b"TZ" in environ and "time" in modules:
        _zone_constants(modules["time"])


def _zone_constants(time):
    """time.timezone, altzone, daylight and tzname for TZ, as CPython's time module
    computes them at import on a platform without tzname (WASI): from the local time of
    the year's start and of half a year later."""
    year = (365 * 24 + 6) * 3600
    start = (int(time.time()) // year) * year
    jan, july = time.localtime(start), time.localtime(start + year // 2)
    janzone, julyzone = -jan.tm_gmtoff, -july.tm_gmtoff
    janname, julyname = (jan.tm_zone or "   ")[:9], (july.tm_zone or "   ")[:9]
    if janzone < julyzone:
        # DST is reversed in the southern hemisphere.
        time.timezone, time.altzone, time.tzname = julyzone, janzone, (julyname, janname)
    else:
        time.timezone, time.altzone, time.tzname = janzone, julyzone, (janname, julyname)
    time.daylight = int(janzone != julyzone)
