"""``python -m crc32c.benchmark [-s SIZE] [-i ITERATIONS]``: how fast crc32c runs here."""

import argparse
import time

from . import crc32c

DEFAULT_SIZE = 100 * 1024 * 1024
DEFAULT_ITERATIONS = 10


def run(size, iterations):
    """(seconds, evaluations): checksum ``size`` bytes ``iterations`` times, more if too quick to time."""
    data = b" " * size
    started = time.monotonic()
    evaluations = 0
    while True:
        for _ in range(iterations):
            crc32c(data)
        evaluations += iterations
        duration = time.monotonic() - started
        if duration > 0:
            return duration, evaluations


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-s", "--size", type=int, default=DEFAULT_SIZE, help=f"Amount of bytes to checksum, defaults to {DEFAULT_SIZE}")
    parser.add_argument("-i", "--iterations", type=int, default=DEFAULT_ITERATIONS, help=f"Number of times the checksum runs over the data, defaults to {DEFAULT_ITERATIONS}")
    options = parser.parse_args()
    duration, evaluations = run(options.size, options.iterations)
    size_mb = options.size / 1024 / 1024
    print(f"crc32c ran at {size_mb / 1024 * evaluations / duration:.3f} [GB/s] when checksuming {size_mb:.3f} [MB] {evaluations} times")


if __name__ == "__main__":
    main()
