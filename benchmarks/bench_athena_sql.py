"""Benchmark: Athena engine latency through boto3, and a group-by over `requests` vs DuckDB directly.

Run: .venv/bin/python benchmarks/bench_athena_sql.py [--trivial 50] [--scales 9.9,99] [--runs 3]

- trivial: `SELECT 1` start → poll → results, through boto3 (median, p95, ms);
- group-by: the LMS requests table (CSV, 32 partitions) at ~1M and ~10M rows, catalogued by the
  crawler, queried through boto3 (wall time start → SUCCEEDED, polling every 10 ms) and the same
  SQL run by DuckDB itself on the same CSV files written to a local directory. ratio = engine / DuckDB.
"""
import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
logging.getLogger("werkzeug").setLevel(logging.ERROR)

import boto3  # noqa: E402
import duckdb  # noqa: E402

from lab_helpers import datasets  # noqa: E402
from lab_helpers.endpoint import moto  # noqa: E402
from lab_helpers.endpoint.moto import s3 as moto_s3  # noqa: E402
from lab_helpers.endpoint.server import start_in_thread  # noqa: E402

GROUP_BY = ("SELECT course_id, count(*) AS views, count(DISTINCT user_id) AS users FROM requests "
            "GROUP BY course_id ORDER BY views DESC, course_id LIMIT 10")
DUCK_GROUP_BY = GROUP_BY.replace("FROM requests", "FROM read_csv('{glob}', header=true, hive_partitioning=true, "
                                 "columns={columns})")


def _clients():
    moto.reset()
    ep = start_in_thread(Path(tempfile.mkdtemp()))
    s = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    return ep, (lambda name: s.client(name, endpoint_url=ep.url))


def _run(athena, sql, db="default", poll=0.01):
    t0 = time.perf_counter()
    qid = athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": db},
                                       ResultConfiguration={"OutputLocation": "s3://bench-results/"})["QueryExecutionId"]
    while True:
        ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if ex["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(poll)
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    elapsed = time.perf_counter() - t0
    assert ex["Status"]["State"] == "SUCCEEDED", ex["Status"]
    return elapsed, rows, ex["Statistics"]


def trivial(n):
    ep, client = _clients()
    client("s3").create_bucket(Bucket="bench-results")
    athena = client("athena")
    _run(athena, "SELECT 1")  # warm-up: imports, DuckDB connection
    times = sorted(_run(athena, "SELECT 1")[0] * 1000 for _ in range(n))
    ep.stop()
    return {"queries": n, "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (n - 1))], 1)}


def group_by(scale, runs):
    ep, client = _clients()
    s3, glue, athena = client("s3"), client("glue"), client("athena")
    for bucket in ("bench-raw", "bench-results"):
        s3.create_bucket(Bucket=bucket)
    local = Path(tempfile.mkdtemp())
    csv_bytes = 0
    for obj in datasets.generate(scale=scale):
        if obj.key.startswith("lmsapi/"):   # the LMS tables, crawled as in lab 03
            moto_s3.seed_object("bench-raw", obj.key, obj.body)
        if obj.key.startswith("lmsapi/requests/"):
            path = local / obj.key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(obj.body)
            csv_bytes += len(obj.body)
    client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    glue.create_crawler(Name="c", Role="r", DatabaseName="default",
                        Targets={"S3Targets": [{"Path": "s3://bench-raw/lmsapi/"}]})
    glue.start_crawler(Name="c")
    while glue.get_crawler(Name="c")["Crawler"]["State"] != "READY" or \
            not glue.get_crawler(Name="c")["Crawler"].get("LastCrawl"):
        time.sleep(0.1)
    table = glue.get_table(DatabaseName="default", Name="requests")["Table"]
    duck_types = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}
    columns = {c["Name"]: duck_types[c["Type"]] for c in table["StorageDescriptor"]["Columns"]}
    duck_sql = DUCK_GROUP_BY.format(glob=f"{local}/lmsapi/requests/*/*.csv", columns=columns)

    engine, duck, stats = [], [], None
    _run(athena, GROUP_BY)  # warm-up (file cache, catalog)
    for _ in range(runs):
        seconds, rows, stats = _run(athena, GROUP_BY)
        engine.append(seconds)
        con = duckdb.connect()
        t0 = time.perf_counter()
        expected = con.execute(duck_sql).fetchall()
        duck.append(time.perf_counter() - t0)
        con.close()
        got = [tuple(int(c["VarCharValue"]) for c in r["Data"]) for r in rows[1:]]
        assert got == [tuple(map(int, r)) for r in expected], (got[:3], expected[:3])
    ep.stop()
    e, d = statistics.median(engine), statistics.median(duck)
    return {"requests_rows": datasets.requests_rows(scale), "csv_mb": round(csv_bytes / 1e6, 1),
            "engine_s": round(e, 3), "engine_time_ms_reported": stats["EngineExecutionTimeInMillis"],
            "data_scanned_mb": round(stats["DataScannedInBytes"] / 1e6, 1),
            "duckdb_direct_s": round(d, 3), "ratio": round(e / d, 2)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trivial", type=int, default=50)
    parser.add_argument("--scales", default="9.9,99")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "duckdb": duckdb.__version__},
              "trivial_select": trivial(args.trivial), "group_by": []}
    for scale in (float(s) for s in args.scales.split(",")):
        result["group_by"].append(group_by(scale, args.runs))
        print(json.dumps(result["group_by"][-1]), file=sys.stderr)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
