"""Run one pyperformance benchmark in this process and print its best time per loop.

pyperformance's `bm_*/run_benchmark.py` files hand their function to `pyperf.Runner`,
which spawns worker processes. This driver stands in for the few pyperf names they use,
so the same benchmark code runs in-process under any interpreter (pylon, native CPython,
a peer): calibrate the loop count to MIN_TIME, one warm-up sample, then SAMPLES samples.

    python compute_driver.py BENCHMARK_FILE SAMPLES [benchmark arguments...]

prints one JSON line: {"name": ..., "best": seconds per loop, "loops": ...}.
"""

import argparse
import json
import runpy
import sys
import time
import types

MIN_TIME = 0.1


class Runner:
    def __init__(self, *args, **kwargs):
        self.metadata = {}
        self.argparser = argparse.ArgumentParser()
        self.results = []

    def parse_args(self, args=None):
        return self.argparser.parse_args(ARGS if args is None else args)

    def bench_func(self, name, func, *args, inner_loops=None):
        def timed(loops):
            started = time.perf_counter()
            for _ in range(loops):
                func(*args)
            return time.perf_counter() - started

        self._measure(name, timed, inner_loops)

    def bench_time_func(self, name, func, *args, inner_loops=None):
        self._measure(name, lambda loops: func(loops, *args), inner_loops)

    def _measure(self, name, timed, inner_loops):
        loops = 1
        while timed(loops) < MIN_TIME and loops < 1 << 20:
            loops *= 2
        timed(loops)
        best = min(timed(loops) for _ in range(SAMPLES)) / loops / (inner_loops or 1)
        self.results.append({"name": name, "best": best, "loops": loops})
        print(json.dumps(self.results[-1]), flush=True)


pyperf = types.ModuleType("pyperf")
pyperf.Runner = Runner
pyperf.perf_counter = time.perf_counter
sys.modules["pyperf"] = pyperf

BENCHMARK, SAMPLES, ARGS = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
sys.argv = [BENCHMARK, *ARGS]
runpy.run_path(BENCHMARK, run_name="__main__")
