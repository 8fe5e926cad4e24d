"""Benchmark: Lambda Invoke latency of a trivial handler (warm and cold), and the 153-object load.

Run: .venv/bin/python benchmarks/bench_lambda.py [--invokes 100] [--runs 3]
Everything goes through boto3 to a fresh in-thread endpoint per measurement.
"""
import argparse
import io
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
logging.getLogger("werkzeug").setLevel(logging.ERROR)
logging.getLogger("labkit").setLevel(logging.ERROR)

import boto3  # noqa: E402

from lab_helpers.endpoint import moto  # noqa: E402
from lab_helpers.endpoint.server import start_in_thread  # noqa: E402
from lab_helpers.stack.names import FETCH_DEMO_DATA, Names, new_guid  # noqa: E402
from lab_helpers.stack.provision import provision  # noqa: E402

ACCOUNT = "123456789012"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _session():
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


def _endpoint():
    moto.reset()
    return start_in_thread(Path(tempfile.mkdtemp(prefix="bench-lambda-")))


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def invoke_latency(invokes: int, warmup: int = 5, colds: int = 5) -> dict:
    """Round-trip time of boto3 invoke() for `def handler(event, context): return 1`: warm (an
    idle execution environment is reused) and cold (a configuration change forces a new one)."""
    ep = _endpoint()
    try:
        s = _session()
        iam, lam = s.client("iam", endpoint_url=ep.url), s.client("lambda", endpoint_url=ep.url)
        iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(TRUST))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", "def handler(event, context):\n    return 1\n")
        lam.create_function(FunctionName="trivial", Runtime="python3.12", Handler="app.handler",
                            Role=f"arn:aws:iam::{ACCOUNT}:role/bench-role", Code={"ZipFile": buf.getvalue()})
        for _ in range(warmup):
            lam.invoke(FunctionName="trivial")
        times = []
        for _ in range(invokes):
            t0 = time.perf_counter()
            resp = lam.invoke(FunctionName="trivial")
            resp["Payload"].read()
            times.append((time.perf_counter() - t0) * 1000)
        cold = []
        for n in range(colds):
            lam.update_function_configuration(FunctionName="trivial", Environment={"Variables": {"RUN": str(n)}})
            t0 = time.perf_counter()
            lam.invoke(FunctionName="trivial")["Payload"].read()
            cold.append((time.perf_counter() - t0) * 1000)
        return {"invokes": invokes, "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(_percentile(times, 0.95), 1), "min_ms": round(min(times), 1),
                "cold_invokes": colds, "cold_median_ms": round(statistics.median(cold), 1),
                "cold_max_ms": round(max(cold), 1)}
    finally:
        ep.stop()


def _add_key_user(kms):
    key_id = kms.describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "Allow use of the key", "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/dataedu-fetch-s3-data-role"},
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))


def full_load(limit_s: float = 600) -> dict:
    """Invoke the loader on a fresh stack (key users added) and poll until 153 raw objects exist."""
    ep = _endpoint()
    try:
        s = _session()
        names = Names(new_guid())
        provision(s, names, endpoint_url=ep.url)
        _add_key_user(s.client("kms", endpoint_url=ep.url))
        lam, s3 = s.client("lambda", endpoint_url=ep.url), s.client("s3", endpoint_url=ep.url)
        t0 = time.perf_counter()
        lam.invoke(FunctionName=FETCH_DEMO_DATA)["Payload"].read()
        loader_s = time.perf_counter() - t0
        count = 0
        while count < 153 and time.perf_counter() - t0 < limit_s:
            time.sleep(0.25)
            count = sum(len(p.get("Contents", [])) for p in
                        s3.get_paginator("list_objects_v2").paginate(Bucket=names.buckets["raw"]))
        return {"loader_invoke_s": round(loader_s, 2), "all_153_objects_s": round(time.perf_counter() - t0, 2),
                "objects": count}
    finally:
        ep.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invokes", type=int, default=100, help="measured invokes of the trivial handler (>= 50)")
    parser.add_argument("--runs", type=int, default=3, help="full loads; the median is reported")
    args = parser.parse_args()
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "python": platform.python_version()}}
    result["trivial_invoke"] = invoke_latency(max(args.invokes, 50))
    loads = [full_load() for _ in range(args.runs)]
    result["full_load"] = {"runs": loads,
                           "median_s": round(statistics.median(r["all_153_objects_s"] for r in loads), 2),
                           "loader_invoke_median_s": round(statistics.median(r["loader_invoke_s"] for r in loads), 2)}
    print(json.dumps(result, indent=2))
    m, t, f = result["machine"], result["trivial_invoke"], result["full_load"]
    print(f"\nMachine: {m['platform']}, {m['cpus']} CPUs, Python {m['python']}\n")
    print("| what | median | p95 |")
    print("|---|---|---|")
    print(f"| trivial handler, boto3 `invoke` round trip, warm ({t['invokes']} calls after warm-up) | "
          f"{t['median_ms']} ms | {t['p95_ms']} ms |")
    print(f"| trivial handler, cold start after a configuration change ({t['cold_invokes']} calls) | "
          f"{t['cold_median_ms']} ms | max {t['cold_max_ms']} ms |")
    print(f"| loader `dataedu-fetch-demo-data` (starts 153 async copies) | {f['loader_invoke_median_s']} s | |")
    print(f"| full load: invoke until 153 objects are in the raw zone ({len(loads)} runs) | {f['median_s']} s | |")


if __name__ == "__main__":
    main()
