"""Benchmark the Peculiar U generator: generation time and bytes at the default and a large scale.

    .venv/bin/python benchmarks/bench_datasets.py            # default (5 runs) + large (3 runs)
    .venv/bin/python benchmarks/bench_datasets.py --quick    # default scale only

The large scale is the smallest whole scale whose `requests` table reaches 10 million
rows. Objects are generated in memory and counted, not written, so disk speed is not
measured. Prints a JSON summary, then one Markdown table row per scale.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab_helpers.datasets import generate, requests_rows  # noqa: E402

TEN_MILLION = 10_000_000


def large_scale(target_rows: int = TEN_MILLION) -> int:
    """Smallest whole scale with at least `target_rows` requests rows."""
    lo, hi = 1, 1
    while requests_rows(hi) < target_rows:
        lo, hi = hi, hi * 2
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if requests_rows(mid) < target_rows else (lo, mid)
    return hi


def measure(scale: float, runs: int, seed: int) -> dict:
    seconds, total_bytes, objects = [], 0, 0
    for _ in range(runs):
        started = time.perf_counter()
        total_bytes = objects = 0
        for obj in generate(scale=scale, seed=seed):
            total_bytes += len(obj.body)
            objects += 1
        seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    rows = requests_rows(scale)
    return {
        "scale": scale, "runs": runs, "objects": objects, "requests_rows": rows,
        "total_bytes": total_bytes, "median_seconds": round(median, 3),
        "min_seconds": round(min(seconds), 3), "max_seconds": round(max(seconds), 3),
        "requests_rows_per_second": round(rows / median),
        "megabytes_per_second": round(total_bytes / median / 1e6, 1),
        # ru_maxrss is the process high-water mark (KiB on Linux), so it covers all runs so far
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def markdown_row(r: dict) -> str:
    return (f"| {r['scale']:g} | {r['requests_rows']:,} | {r['total_bytes'] / 1e6:,.1f} MB "
            f"| {r['median_seconds']:.2f} s (median of {r['runs']}) "
            f"| {r['requests_rows_per_second']:,} rows/s | {r['peak_rss_mb']:,.0f} MB |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="example: benchmarks/bench_datasets.py --quick")
    parser.add_argument("--quick", action="store_true", help="skip the large scale")
    parser.add_argument("--runs", type=int, default=5, help="runs at the default scale (5)")
    parser.add_argument("--large-runs", type=int, default=3, help="runs at the large scale (3)")
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args(argv)

    results = [measure(1.0, args.runs, args.seed)]
    if not args.quick:
        results.append(measure(float(large_scale()), args.large_runs, args.seed))
    summary = {
        "benchmark": "lab_helpers.datasets.generate",
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "machine": platform.machine(), "results": results,
    }
    print(json.dumps(summary, indent=2))
    print()
    print("| scale | requests rows | total bytes | generation time | throughput | peak RSS |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(markdown_row(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
