"""``python -m crc32c._cli FILE...``: print the CRC-32C of each file (as PyPI's crc32c does).

WASI has no mmap: ``-M`` is accepted and files are always read in blocks.
"""

import argparse
import sys
import time

from . import crc32c

DEFAULT_BLOCK_SIZE = 64 * 1024


def _checksum(filename, block_size):
    checksum, size = 0, 0
    started = time.monotonic()
    with open(filename, "rb") as f:
        while block := f.read(block_size):
            checksum = crc32c(block, checksum)
            size += len(block)
    return checksum, size, time.monotonic() - started


def main(name=sys.argv[0], args=sys.argv[1:]):
    """Print ``CHECKSUM [FILENAME] [(SPEED)]`` for each file named in ``args``."""
    parser = argparse.ArgumentParser(name, description="Calculates and prints crc32c on input file(s)")
    parser.add_argument("filenames", nargs="+", help="input file(s)")
    io = parser.add_argument_group("I/O options")
    io.add_argument("-M", "--disable-mmap", action="store_true", help="Avoid reading file with mmap (always, under WASI)")
    io.add_argument("-b", "--block-size", type=int, default=DEFAULT_BLOCK_SIZE, help="Block size for iterative reading")
    formatting = parser.add_argument_group("Formatting options")
    formatting.add_argument("-s", "--show-speed", action="store_true", help="Report checksumming speed on each file")
    formatting.add_argument("-N", "--hide-filename", action="store_true", help="Do not print filename in result")
    opts = parser.parse_args(args)
    if opts.block_size < 1:
        parser.error("--block-size must be positive")
    for filename in opts.filenames:
        checksum, size, seconds = _checksum(filename, opts.block_size)
        report = f"{checksum:08x}"
        if not opts.hide_filename:
            report += f" {filename}"
        if opts.show_speed:
            report += f" ({size / max(seconds, 1e-9) / 1024 / 1024:.2f} MB/s)"
        print(report)


if __name__ == "__main__":
    main()
