"""``python -m snappy -c|-d [-t FORMAT] [INFILE [OUTFILE]]``: compress or decompress a file
(standard input and output by default) in one of ``snappy_formats.ALL_SUPPORTED_FORMATS``."""

import argparse
import io
import sys

from . import snappy_formats as formats
from .snappy import UncompressError


def cmdline_main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m snappy", description="Compress or decompress snappy archive")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("-c", dest="compress", action="store_true", help="Compress")
    mode.add_argument("-d", dest="decompress", action="store_true", help="Decompress")
    parser.add_argument("-t", dest="target_format", default=formats.DEFAULT_FORMAT, choices=formats.ALL_SUPPORTED_FORMATS,
                        help=f'Target format, default is "{formats.DEFAULT_FORMAT}"')
    parser.add_argument("infile", nargs="?", help="Input file (or stdin)")
    parser.add_argument("outfile", nargs="?", help="Output file (or stdout)")
    args = parser.parse_args(argv)

    src = open(args.infile, "rb") if args.infile else sys.stdin.buffer
    dst = open(args.outfile, "wb") if args.outfile else sys.stdout.buffer
    try:
        if args.compress:
            formats.get_compress_function(args.target_format)(src, dst)
            return
        if args.target_format == "auto" and not src.seekable():
            src = io.BytesIO(src.read())  # detection reads the start and seeks back
        try:
            method = formats.get_decompress_function(args.target_format, src)
        except UncompressError as err:
            sys.exit(f"Failed to get decompress function: {err}")
        method(src, dst)
    finally:
        dst.flush()
        for f in (src, dst):
            if f not in (sys.stdin.buffer, sys.stdout.buffer):
                f.close()


if __name__ == "__main__":
    try:
        cmdline_main()
    except Exception as err:
        sys.exit(f"{err.__class__.__name__}: {err}")
