"""`python -m lab_helpers.datasets OUTDIR [--scale S] [--seed N]`: write the data set to disk."""

import argparse
import sys
import time

from . import requests_rows, write_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lab_helpers.datasets",
        description="Write the Peculiar U data set (12 SIS Parquet + 141 LMS CSV objects).",
        epilog="example: python -m lab_helpers.datasets /tmp/peculiar-u --scale 1 --seed 2020")
    parser.add_argument("outdir", help="directory to write into (created if missing)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="row-count multiplier; 1.0 is small, ~100 gives 10M requests rows")
    parser.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    started = time.perf_counter()
    keys = write_dir(args.outdir, scale=args.scale, seed=args.seed)
    print(f"wrote {len(keys)} objects ({requests_rows(args.scale):,} requests rows) to "
          f"{args.outdir} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
