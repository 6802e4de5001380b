"""What a run of the pre-initialized interpreter makes its own before Python runs.

`prepare` runs once, before the snapshot: it imports the modules PYLON_PRELOAD lists.
`resume` runs at the start of every run: the snapshot holds the environment, the random
state and the stdio buffering of the run that made it, so each is taken from this run.
(A run that sets TZ starts cold: `time` fixes its zone names when it is imported.)
"""

import os
import sys


def prepare():
    import importlib

    for name in filter(None, os.environ.get("PYLON_PRELOAD", "").split(",")):
        importlib.import_module(name.strip())


def resume(environ):
    # os.environ, os.environb and posix.environ share one dict of bytes.
    data = os.environ._data
    data.clear()
    data.update(environ)
    # Interactive streams are line-buffered as in a cold start (the snapshot's were not
    # on a terminal); stderr always is.
    stdout = sys.stdout
    if stdout is not None and not stdout.line_buffering and stdout.isatty():
        stdout.reconfigure(line_buffering=True)
    modules = sys.modules
    if "random" in modules:
        modules["random"].seed()
