"""Benchmark: `labkit up` to healthy + provisioned (cold and warm), and the endpoint's idle RSS.

Run: .venv/bin/python benchmarks/bench_endpoint.py [--runs 5]
Each run uses a fresh LABKIT_HOME and a free port and stops the endpoint afterwards.
"""
import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one_run():
    home = tempfile.mkdtemp(prefix="labkit-bench-")
    env = dict(os.environ, LABKIT_HOME=home, LABKIT_PORT=str(free_port()))
    labkit = [sys.executable, "-m", "lab_helpers.cli"]
    t0 = time.perf_counter()
    subprocess.run(labkit + ["up"], env=env, check=True, capture_output=True)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run(labkit + ["up"], env=env, check=True, capture_output=True)
    warm = time.perf_counter() - t0
    status = json.loads(subprocess.run(labkit + ["status", "--json"], env=env, check=True, capture_output=True).stdout)
    time.sleep(2)
    idle = rss_mb(status["pid"])
    subprocess.run(labkit + ["down"], env=env, check=True, capture_output=True)
    return cold, warm, idle


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    result = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()},
        "runs": args.runs,
        "up_cold_seconds_median": round(statistics.median(r[0] for r in runs), 2),
        "up_second_call_seconds_median": round(statistics.median(r[1] for r in runs), 2),
        "idle_rss_mb_median": round(statistics.median(r[2] for r in runs), 1),
    }
    print(json.dumps(result, indent=2))
    print(f"| labkit up (cold: start + provision + 153 objects) | {result['up_cold_seconds_median']} s |")
    print(f"| labkit up (second call, no-op) | {result['up_second_call_seconds_median']} s |")
    print(f"| endpoint idle RSS after provisioning | {result['idle_rss_mb_median']} MB |")


if __name__ == "__main__":
    main()
