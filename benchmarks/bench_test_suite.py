"""Benchmark: the unit/engine test suite's wall time, and catch-up to lab 04 when labs 00-01 are
done — only the missing labs (now) against every earlier lab replayed (before; ``only_missing=False``).

Run: .venv/bin/python benchmarks/bench_test_suite.py [--suite [--workers N] [--log out.txt]] [--catchup]
     (both when neither is given)
- suite: the unit/engine suite once, as `make test` runs it (`pytest tests --ignore=tests/e2e -n auto
  --dist loadscope`; `--workers 0` runs it in one process), in a fresh LABKIT_HOME and free port
- the whole of `make test` is measured on a fresh clone: `git clone . /tmp/fc && cd /tmp/fc &&
  time CI=true bash .ci/run` (each phase prints the second it starts)
- catchup: a real endpoint daemon (what `labkit up` starts) on a free port in a fresh LABKIT_HOME;
  labs 00-01 are done by catch-up, then lab 04 is caught up both ways from that same starting point,
  and once more when everything is done (the cost of deciding: the checks alone)
The load average is printed before and after each part: on a shared machine it explains the spread.
"""
import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def suite(log: str | None, workers: str = "auto") -> dict:
    env = dict(os.environ, LABKIT_HOME=tempfile.mkdtemp(prefix="labkit-bench-suite-"), LABKIT_PORT=str(free_port()))
    before = load()
    t0 = time.perf_counter()
    # --durations=0 costs nothing measurable and lets the log be compared test by test.
    parallel = [] if workers == "0" else ["-n", workers, "--dist", "loadscope"]
    done = subprocess.run([sys.executable, "-m", "pytest", "tests", "-q", "--ignore=tests/e2e", "-p", "no:cacheprovider",
                           "--durations=0", *parallel], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if log:
        Path(log).write_text(done.stdout + done.stderr)
    summary = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return {"wall_seconds": round(seconds, 1), "exit_code": done.returncode, "workers": workers,
            "summary": summary[-1] if summary else done.stdout[-500:],
            "loadavg_before": before, "loadavg_after": load()}


def catchup() -> dict:
    from lab_helpers import config
    from lab_helpers.authoring.catchup import catch_up
    from lab_helpers.endpoint import daemon
    from lab_helpers.grading.notebook import Session

    settings = config.load(home=tempfile.mkdtemp(prefix="labkit-bench-catchup-"), port=free_port(), target="local")
    quiet = {"echo": lambda *_: None}

    def timed(**kwargs):
        t0 = time.perf_counter()
        labs = catch_up("04_athena_curate", session=session, **quiet, **kwargs)
        return {"seconds": round(time.perf_counter() - t0, 1), "replayed": labs}

    before = load()
    try:
        session = Session(settings)                          # starts the daemon, provisions the stack
        catch_up("02_lambda_load", session=session, **quiet)  # labs 00-01 done
        every_lab = timed(only_missing=False)                 # what catch-up did before: 00, 01, 02, 03
        urllib.request.urlopen(urllib.request.Request(f"{settings.endpoint_url}/_labkit/reset", method="POST",
                                                      data=b""), timeout=120).read()
        session = Session(settings)                          # the same starting point again
        catch_up("02_lambda_load", session=session, **quiet)
        only_missing = timed()                               # now: 02, 03
        nothing_missing = timed()                            # every lab done: the checks alone
    finally:
        daemon.stop(settings)
    return {"after_labs_00_01": {"replay_every_earlier_lab (before)": every_lab,
                                 "replay_only_missing (now)": only_missing,
                                 "all_done_checks_only": nothing_missing},
            "loadavg_before": before, "loadavg_after": load()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", action="store_true")
    parser.add_argument("--catchup", action="store_true")
    parser.add_argument("--workers", default="auto", help="pytest-xdist workers (make test: auto); 0: one process")
    parser.add_argument("--log", help="write the suite's pytest output (with every test's duration) here")
    args = parser.parse_args()
    both = not (args.suite or args.catchup)
    result = {"machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}}
    if args.catchup or both:
        result["catchup"] = catchup()
    if args.suite or both:
        result["suite"] = suite(args.log, args.workers)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
