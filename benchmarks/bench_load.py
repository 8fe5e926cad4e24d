"""Benchmark: N concurrent simulated learners against one endpoint (throughput, latency, errors, RSS).

Run: .venv/bin/python benchmarks/bench_load.py [--learners 1,10,30] [--rounds 2]

For each N a fresh endpoint daemon is started with `labkit up --no-data` (its own LABKIT_HOME and
a free port) and stopped afterwards, so its memory is measured alone. Every learner has its own
IAM user and access key, its own two buckets, Lambda function, Glue database and crawler. After an
untimed set-up, all learners start together and each runs ``--rounds`` rounds of the lab 02-04
calls through boto3 (retries off, so every failure is counted):

  S3: 5 x PutObject, ListObjectsV2, 5 x GetObject          (lab 02)
  Lambda: 3 x Invoke of a small Python handler (a learner's first one is a cold start)   (lab 03)
  Athena: CREATE DATABASE IF NOT EXISTS; Glue: StartCrawler over 3 CSVs until READY;
  Athena: SELECT over the crawled table (+ GetQueryResults); CTAS to Parquet   (lab 04)

A query or crawl is one call, timed from start until its final state (polled every 50/200 ms).
The load generator runs in this process (one thread per learner) on the same 2 cores.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
LABKIT = [sys.executable, "-m", "lab_helpers.cli"]
CLIENT_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=300, connect_timeout=10)
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": [
    "lambda.amazonaws.com", "glue.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}
HANDLER = "import json\ndef handler(event, context):\n    return {'n': event.get('n', 0) + 1}\n"
KINDS = ("s3.put", "s3.list", "s3.get", "lambda.invoke (cold)", "lambda.invoke", "athena.create_database",
         "glue.crawl", "athena.select", "athena.ctas")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csv_body(part: int, rows: int = 200) -> bytes:
    lines = ["id,course,score"] + [f"{part * rows + i},c{i % 7},{(i * 37) % 100}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


# --- the endpoint and its memory ---------------------------------------------------------------

class Endpoint:
    """A daemon started by `labkit up --no-data`; RSS of it and of its children sampled twice a second."""

    def __init__(self):
        self.home = Path(tempfile.mkdtemp(prefix="labkit-load-"))
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LABKIT_"))}
        self.env.update(LABKIT_HOME=str(self.home), LABKIT_PORT=str(self.port))
        self.url = f"http://127.0.0.1:{self.port}"
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()

    def __enter__(self):
        subprocess.run([*LABKIT, "up", "--no-data"], env=self.env, check=True, capture_output=True, cwd=REPO)
        self.pid = int((self.home / "endpoint.pid").read_text())
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        subprocess.run([*LABKIT, "down"], env=self.env, capture_output=True, cwd=REPO)

    def requests(self) -> int:
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/_labkit/health", timeout=10) as resp:
            return json.load(resp)["requests"]

    def rss_mb(self) -> tuple[float, float]:
        """(the endpoint process, its descendants: Lambda environments and other workers)."""
        children: dict[int, list[int]] = defaultdict(list)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    children[int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])].append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    pass
        own, rest, todo = _rss_kb(self.pid), 0, list(children[self.pid])
        while todo:
            pid = todo.pop()
            rest += _rss_kb(pid)
            todo.extend(children[pid])
        return own / 1024, rest / 1024

    def _sample(self):
        while not self._stop.wait(0.5):
            self.samples.append(self.rss_mb())


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
    except OSError:
        return 0


# --- one learner -------------------------------------------------------------------------------

class Learner:
    def __init__(self, index: int, url: str, admin: boto3.session.Session):
        self.i = index
        self.raw, self.results, self.db = f"learner-{index}-raw", f"learner-{index}-results", f"learner_{index}"
        iam = admin.client("iam", endpoint_url=url)
        iam.create_user(UserName=f"learner-{index}")
        key = iam.create_access_key(UserName=f"learner-{index}")["AccessKey"]
        session = boto3.session.Session(aws_access_key_id=key["AccessKeyId"],
                                        aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1")
        self.c = {name: session.client(name, endpoint_url=url, config=CLIENT_CONFIG)
                  for name in ("s3", "lambda", "glue", "athena")}
        self.calls: list[tuple[str, float, str]] = []     # (kind, seconds, error code or "")

    def set_up(self):
        s3 = self.c["s3"]
        for bucket in (self.raw, self.results):
            s3.create_bucket(Bucket=bucket)
        for part in range(3):
            s3.put_object(Bucket=self.raw, Key=f"events/part-{part}.csv", Body=csv_body(part))
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as zf:
            zf.writestr("app.py", HANDLER)
        self.c["lambda"].create_function(FunctionName=f"learner-{self.i}-fn", Runtime="python3.12",
                                         Handler="app.handler", Role=f"arn:aws:iam::{ACCOUNT}:role/load-exec",
                                         Code={"ZipFile": code.getvalue()})
        self.c["glue"].create_crawler(Name=f"learner-{self.i}-crawler", Role=f"arn:aws:iam::{ACCOUNT}:role/load-exec",
                                      DatabaseName=self.db,
                                      Targets={"S3Targets": [{"Path": f"s3://{self.raw}/events/"}]})

    def run(self, rounds: int, start: threading.Barrier):
        start.wait()
        for r in range(rounds):
            self.lab_round(r)

    def lab_round(self, r: int):
        s3 = self.c["s3"]
        for j in range(5):
            self._timed("s3.put", s3.put_object, Bucket=self.raw, Key=f"uploads/r{r}/obj-{j}.csv", Body=csv_body(j, 20))
        self._timed("s3.list", s3.list_objects_v2, Bucket=self.raw)
        for j in range(5):
            self._timed("s3.get", lambda **kw: s3.get_object(**kw)["Body"].read(),
                        Bucket=self.raw, Key=f"uploads/r{r}/obj-{j}.csv")
        for n in range(3):   # a learner's first invoke starts its function's environment (a cold start)
            self._timed("lambda.invoke" if r or n else "lambda.invoke (cold)", self._invoke, n)
        self._timed("athena.create_database", self._query, f"CREATE DATABASE IF NOT EXISTS {self.db}")
        self._timed("glue.crawl", self._crawl)
        self._timed("athena.select", self._query, f"SELECT course, count(*) AS n, avg(score) AS s "
                    f"FROM {self.db}.events GROUP BY course ORDER BY course", results=True)
        self._timed("athena.ctas", self._query,
                    f"CREATE TABLE {self.db}.scores_r{r} WITH (format = 'PARQUET', external_location = "
                    f"'s3://{self.results}/ctas/r{r}/') AS SELECT course, max(score) AS best FROM {self.db}.events "
                    "GROUP BY course")

    def _timed(self, kind: str, fn, *args, **kwargs):
        t0 = time.perf_counter()
        error = ""
        try:
            fn(*args, **kwargs)
        except ClientError as exc:
            error = exc.response["Error"].get("Code") or "ClientError"
        except Exception as exc:    # a timeout, a closed connection: counted, never fatal
            error = type(exc).__name__
        self.calls.append((kind, time.perf_counter() - t0, error))

    def _invoke(self, n: int):
        resp = self.c["lambda"].invoke(FunctionName=f"learner-{self.i}-fn", Payload=json.dumps({"n": n}))
        if resp.get("FunctionError") or json.loads(resp["Payload"].read()) != {"n": n + 1}:
            raise RuntimeError("wrong Lambda answer")

    def _crawl(self):
        glue, name = self.c["glue"], f"learner-{self.i}-crawler"
        glue.start_crawler(Name=name)
        while True:
            time.sleep(0.2)
            crawler = glue.get_crawler(Name=name)["Crawler"]
            if crawler["State"] == "READY":
                if crawler.get("LastCrawl", {}).get("Status") not in ("SUCCEEDED", None):
                    raise RuntimeError(f"crawl {crawler['LastCrawl'].get('Status')}")
                return

    def _query(self, sql: str, results: bool = False):
        athena = self.c["athena"]
        qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={
            "OutputLocation": f"s3://{self.results}/athena/"})["QueryExecutionId"]
        while True:
            status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
            if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            time.sleep(0.05)
        if status["State"] != "SUCCEEDED":
            raise RuntimeError(f"query {status['State']}: {status.get('StateChangeReason', '')[:80]}")
        if results:
            athena.get_query_results(QueryExecutionId=qid)


# --- one load level ------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def load_level(n: int, rounds: int) -> dict:
    with Endpoint() as ep:
        admin = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
        admin.client("iam", endpoint_url=ep.url).create_role(RoleName="load-exec",
                                                            AssumeRolePolicyDocument=json.dumps(TRUST))
        learners = [Learner(i, ep.url, admin) for i in range(n)]
        with ThreadPoolExecutor(max_workers=min(n, 8)) as pool:      # set-up: untimed
            list(pool.map(lambda learner: learner.set_up(), learners))
        rss_before, children_before = ep.rss_mb()
        requests_before = ep.requests()
        start = threading.Barrier(n + 1)
        threads = [threading.Thread(target=learner.run, args=(rounds, start)) for learner in learners]
        for t in threads:
            t.start()
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        http_requests = ep.requests() - requests_before - 1
        samples = ep.samples or [ep.rss_mb()]
        peak_own = max(s[0] for s in samples)
        peak_children = max(s[1] for s in samples)
    calls = [c for learner in learners for c in learner.calls]
    by_kind: dict[str, list] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for kind, seconds, error in calls:
        by_kind[kind].append(seconds)
        if error:
            errors[f"{kind}: {error}"] += 1
    return {
        "learners": n, "rounds": rounds, "wall_s": round(wall, 1),
        "calls": len(calls), "calls_per_s": round(len(calls) / wall, 1),
        "http_requests": http_requests, "http_requests_per_s": round(http_requests / wall, 1),
        "lab_rounds_per_min": round(n * rounds / wall * 60, 1),
        "errors": sum(errors.values()), "errors_by_kind": dict(errors),
        "rss_mb": {"endpoint_before": round(rss_before), "endpoint_peak": round(peak_own),
                   "workers_before": round(children_before), "workers_peak": round(peak_children)},
        "latency_ms": {k: {"n": len(v), "p50": round(percentile(v, 0.5) * 1000),
                           "p95": round(percentile(v, 0.95) * 1000)} for k, v in sorted(by_kind.items())},
    }


def markdown(results: list[dict]) -> str:
    out = ["| learners | wall | lab calls/s | HTTP requests/s | lab rounds/min | errors | endpoint RSS before → peak "
           "| worker processes' RSS before → peak |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        m = r["rss_mb"]
        out.append(f"| {r['learners']} | {r['wall_s']} s | {r['calls_per_s']} | {r['http_requests_per_s']} | "
                   f"{r['lab_rounds_per_min']} | {r['errors']} of {r['calls']} | {m['endpoint_before']} → "
                   f"{m['endpoint_peak']} MB | {m['workers_before']} → {m['workers_peak']} MB |")
    out += ["", "| call | " + " | ".join(f"N={r['learners']} p50 / p95" for r in results) + " |",
            "|---|" + "---|" * len(results)]
    for kind in KINDS:
        cells = []
        for r in results:
            lat = r["latency_ms"].get(kind)
            cells.append(f"{lat['p50']} / {lat['p95']} ms" if lat else "-")
        out.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", default="1,10,30", help="comma-separated load levels")
    parser.add_argument("--rounds", type=int, default=2, help="lab rounds per learner")
    args = parser.parse_args()
    results = []
    for n in (int(x) for x in args.learners.split(",")):
        results.append(load_level(n, args.rounds))
        print(json.dumps(results[-1]), flush=True)
    print(json.dumps({"machine": {"platform": platform.platform(), "python": platform.python_version(),
                                  "cpus": os.cpu_count()}}))
    print(markdown(results))


if __name__ == "__main__":
    main()
