"""Benchmark: the endpoint's cost per request (STS GetCallerIdentity, S3 ListObjectsV2) through boto3,
one caller and four threads, with the endpoint in a thread of this process.

Run: .venv/bin/python benchmarks/bench_requests.py [--calls 1500] [--plain-moto-dispatch]
``--plain-moto-dispatch`` restores moto's own host -> backend lookup (a directory walk per request) for
an A/B against the kit's remembered one (lab_helpers/endpoint/moto/__init__.py: _Dispatcher).
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--plain-moto-dispatch", action="store_true")
    args = parser.parse_args()

    import boto3

    from lab_helpers.endpoint import moto

    if args.plain_moto_dispatch:
        moto._Dispatcher.get_backend_for_host = moto.DomainDispatcherApplication.get_backend_for_host
    from lab_helpers.endpoint.server import start_in_thread

    ep = start_in_thread(Path(tempfile.mkdtemp(prefix="labkit-bench-requests-")))
    try:
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                        region_name="us-east-1")
        sts, s3 = session.client("sts", endpoint_url=ep.url), session.client("s3", endpoint_url=ep.url)
        s3.create_bucket(Bucket="bench-requests")
        for _ in range(20):
            sts.get_caller_identity()
        t0 = time.perf_counter()
        for _ in range(args.calls):
            sts.get_caller_identity()
        sequential = (time.perf_counter() - t0) / args.calls * 1000

        def work(_):
            for _ in range(args.calls // 4):
                s3.list_objects_v2(Bucket="bench-requests")
        t0 = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(work, range(4)))
        threaded = (time.perf_counter() - t0) / (args.calls // 4 * 4) * 1000
    finally:
        ep.stop()
    print(json.dumps({"machine": {"platform": platform.platform(), "python": platform.python_version(),
                                  "cpus": os.cpu_count(), "loadavg": os.getloadavg()},
                      "moto_dispatch": "plain" if args.plain_moto_dispatch else "remembered",
                      "sts_ms_per_call": round(sequential, 2), "s3_list_ms_per_call_4_threads": round(threaded, 2)},
                     indent=2))


if __name__ == "__main__":
    main()
