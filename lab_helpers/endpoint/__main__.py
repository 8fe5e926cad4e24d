"""Run the embedded endpoint in the foreground: python -m lab_helpers.endpoint --port N --home DIR [--log FILE]."""
import argparse
from pathlib import Path

from .server import serve_forever

parser = argparse.ArgumentParser(prog="python -m lab_helpers.endpoint")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--home", type=Path, required=True)
parser.add_argument("--log", type=Path, default=None,
                    help="log here, rotated and bounded, with stdout/stderr (the daemon); default: the console")
args = parser.parse_args()
serve_forever(args.port, args.home, logfile=args.log)
