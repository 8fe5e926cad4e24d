"""Benchmark: how promptly the endpoint ends what a learner stops or what times out, and how fast
an endpoint stops. These were wall-clock assertions in tests; tests now assert only the outcome.

Run: .venv/bin/python benchmarks/bench_latencies.py [--runs 5]
- Athena StopQueryExecution: from the call to the CANCELLED state, for a query that runs for minutes
- Lambda timeout: invoke() of a handler that sleeps 30 s under a 1 s timeout, until the answer
- Lambda Event invoke: invoke(InvocationType="Event") of a handler that sleeps 1 s, until the 202
- endpoint stop: RunningEndpoint.stop() (serve_forever's poll interval bounds it)
Everything goes through boto3 to an in-thread endpoint; medians and maxima of --runs runs.
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

ACCOUNT = "123456789012"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
SLOW_SQL = ("SELECT count(*) FROM UNNEST(sequence(1, 200000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 200000)) AS b(y) "
            "WHERE (a.x * b.y) % 7 = 3")


def _session():
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


def _until(predicate, timeout=60.0, pause=0.005):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    raise TimeoutError("condition not reached")


def athena_stop(ep, runs: int) -> list[float]:
    s = _session()
    athena, s3 = s.client("athena", endpoint_url=ep.url), s.client("s3", endpoint_url=ep.url)
    s3.create_bucket(Bucket="bench-results")
    out = []
    for _ in range(runs):
        qid = athena.start_query_execution(QueryString=SLOW_SQL, ResultConfiguration={
            "OutputLocation": "s3://bench-results/q/"})["QueryExecutionId"]

        def state():
            return athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]

        _until(lambda: state() == "RUNNING")
        t0 = time.perf_counter()
        athena.stop_query_execution(QueryExecutionId=qid)
        _until(lambda: state() == "CANCELLED")
        out.append(time.perf_counter() - t0)
    return out


def _function(ep, name, source, timeout):
    s = _session()
    iam, lam = s.client("iam", endpoint_url=ep.url), s.client("lambda", endpoint_url=ep.url)
    try:
        iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", source)
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Timeout=timeout,
                        Role=f"arn:aws:iam::{ACCOUNT}:role/bench-role", Code={"ZipFile": buf.getvalue()})
    return lam


def lambda_timeout(ep, runs: int) -> list[float]:
    lam = _function(ep, "sleeper", "import time\ndef handler(event, context):\n    time.sleep(30)\n", timeout=1)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = lam.invoke(FunctionName="sleeper")
        out.append(time.perf_counter() - t0)
        assert json.loads(resp["Payload"].read())["errorType"] == "Sandbox.Timedout"
    return out


def lambda_event(ep, runs: int) -> list[float]:
    lam = _function(ep, "napper", "import time\ndef handler(event, context):\n    time.sleep(1)\n", timeout=10)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        assert lam.invoke(FunctionName="napper", InvocationType="Event")["StatusCode"] == 202
        out.append(time.perf_counter() - t0)
    logs = _session().client("logs", endpoint_url=ep.url)

    def reports():   # let the background runs end before the endpoint stops
        try:
            return len(logs.filter_log_events(logGroupName="/aws/lambda/napper", filterPattern="REPORT")["events"])
        except logs.exceptions.ResourceNotFoundException:
            return 0

    _until(lambda: reports() >= runs, pause=0.1)
    return out


def endpoint_stop(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        ep = start_in_thread(Path(tempfile.mkdtemp(prefix="bench-lat-")))
        _session().client("s3", endpoint_url=ep.url).list_buckets()
        t0 = time.perf_counter()
        ep.stop()
        out.append(time.perf_counter() - t0)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()
    moto.reset()
    ep = start_in_thread(Path(tempfile.mkdtemp(prefix="bench-lat-")))
    try:
        measured = {"athena_stop_to_cancelled": athena_stop(ep, args.runs),
                    "lambda_invoke_with_1s_timeout": lambda_timeout(ep, args.runs),
                    "lambda_event_invoke_answer": lambda_event(ep, args.runs)}
    finally:
        ep.stop()
    measured["endpoint_stop"] = endpoint_stop(args.runs)
    result = {"machine": {"platform": platform.platform(), "python": platform.python_version(),
                          "cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in load_before],
                          "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
              "runs": args.runs,
              **{k: {"median_s": round(statistics.median(v), 3), "max_s": round(max(v), 3)}
                 for k, v in measured.items()}}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
