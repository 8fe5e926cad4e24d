"""Benchmark: the Redshift engine's statement round trip (Data API and wire port), and a join + aggregate
over Spectrum and over local tables against DuckDB directly.

Run: .venv/bin/python benchmarks/bench_redshift.py [--trivial 50] [--scales 9.9,99] [--runs 3]
     [--endpoint thread|process]

--endpoint thread (default) serves the endpoint from a thread of the benchmark's own process, so the
boto3/psycopg client and the server share one GIL; --endpoint process serves it from a child
process, as `labkit up` does (the child seeds the data into its moto and writes the local copies).

- trivial: `SELECT 1` through the Data API (execute → poll every 10 ms → GetStatementResult) and over
  the workgroup's PostgreSQL port (psycopg, one open connection), median and p95 in ms; and the floor
  of the Data API protocol: one boto3 call that does nothing (DescribeStatement of a finished
  statement) — a statement costs at least three such calls (execute, describe, get result);
- join: LMS `requests` (CSV, 32 partitions, crawled) ⋈ SIS `student` (Parquet), page views and users
  per department. "Spectrum": both tables read through external schemas; "local": the same tables
  loaded into the warehouse with CTAS first. "DuckDB direct" is the same SQL run by DuckDB itself on
  the same files on local disk (Spectrum case) or on the same rows in DuckDB tables (local case).
  Results are compared row by row. ratio = engine / DuckDB.
"""
import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
logging.getLogger("werkzeug").setLevel(logging.ERROR)
os.environ.setdefault("LABKIT_REDSHIFT_PORT", "0")

import boto3  # noqa: E402
import duckdb  # noqa: E402
import psycopg  # noqa: E402

from lab_helpers import datasets  # noqa: E402
from lab_helpers.endpoint import moto  # noqa: E402
from lab_helpers.endpoint.moto import s3 as moto_s3  # noqa: E402
from lab_helpers.endpoint.server import start_in_thread  # noqa: E402

ROLE_ARN = "arn:aws:iam::123456789012:role/bench-redshift"
JOIN = ("SELECT s.department_id, count(*) AS views, count(DISTINCT r.user_id) AS users "
        "FROM {requests} r JOIN {student} s ON r.user_id = s.student_id "
        "GROUP BY s.department_id ORDER BY views DESC, s.department_id LIMIT 10")


def _seed(url, scale, local: Path) -> None:
    """The LMS requests and SIS student objects into moto's S3 (in this process) and onto local disk."""
    s3 = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                               region_name="us-east-1").client("s3", endpoint_url=url)
    s3.create_bucket(Bucket="bench-raw")
    for obj in datasets.generate(scale=scale):
        if obj.key.startswith("lmsapi/requests/") or obj.key.startswith("sisdb/sisdemo/student/"):
            moto_s3.seed_object("bench-raw", obj.key, obj.body)
            path = local / obj.key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(obj.body)


class Endpoint:
    """The endpoint under test, in this process (thread) or in a child process (process), with the
    data of ``scale`` seeded (0: none) and copied to ``local``."""

    def __init__(self, mode: str, scale: float = 0, local: Path | None = None):
        self.mode = mode
        if mode == "thread":
            moto.reset()
            self._ep = start_in_thread(Path(tempfile.mkdtemp()))
            self.url = self._ep.url
            if scale:
                _seed(self.url, scale, local)
        else:
            self._child = subprocess.Popen([sys.executable, __file__, "--serve", str(scale), str(local or "")],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                           env={**os.environ, "LABKIT_REDSHIFT_PORT": "0"})
            self.url = self._child.stdout.readline().strip()
            assert self.url.startswith("http"), "the endpoint process did not start"

    def stop(self) -> None:
        if self.mode == "thread":
            self._ep.stop()
        else:
            self._child.stdin.close()
            self._child.wait(120)


def _serve(scale: float, local: str) -> None:
    """--serve: the child process of --endpoint process (prints its URL, stops when stdin closes)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto.reset()
    ep = start_in_thread(Path(tempfile.mkdtemp()))
    if scale:
        _seed(ep.url, scale, Path(local))
    print(ep.url, flush=True)
    sys.stdin.read()
    ep.stop()


def _workgroup(mode, scale=0, local=None):
    ep = Endpoint(mode, scale, local)
    s = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    client = lambda name: s.client(name, endpoint_url=ep.url)   # noqa: E731
    client("iam").create_role(RoleName="bench-redshift", AssumeRolePolicyDocument="{}")
    rs = client("redshift-serverless")
    rs.create_namespace(namespaceName="bench", adminUsername="awsuser", adminUserPassword="Bench1234",
                        iamRoles=[ROLE_ARN])
    rs.create_workgroup(workgroupName="bench", namespaceName="bench")
    while (wg := rs.get_workgroup(workgroupName="bench")["workgroup"])["status"] != "AVAILABLE":
        time.sleep(0.05)
    return ep, client, wg["endpoint"]


def _run(rd, sql, poll=0.01):
    t0 = time.perf_counter()
    sid = rd.execute_statement(WorkgroupName="bench", Database="dev", Sql=sql)["Id"]
    while (d := rd.describe_statement(Id=sid))["Status"] not in ("FINISHED", "FAILED", "ABORTED"):
        time.sleep(poll)
    assert d["Status"] == "FINISHED", d.get("Error")
    rows = []
    if d["HasResultSet"]:
        rows = [[next(iter(c.values())) for c in rec] for rec in rd.get_statement_result(Id=sid)["Records"]]
    return time.perf_counter() - t0, rows


def _stats(times):
    times = sorted(t * 1000 for t in times)
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}


def trivial(n, mode):
    ep, client, endpoint = _workgroup(mode)
    rd = client("redshift-data")
    _run(rd, "SELECT 1")   # warm-up: warehouse file, imports
    data_api = [_run(rd, "SELECT 1")[0] for _ in range(n)]
    done = rd.execute_statement(WorkgroupName="bench", Database="dev", Sql="SELECT 1")["Id"]
    while rd.describe_statement(Id=done)["Status"] != "FINISHED":
        time.sleep(0.01)
    noop = []
    for _ in range(n):
        t0 = time.perf_counter()
        rd.describe_statement(Id=done)
        noop.append(time.perf_counter() - t0)
    with psycopg.connect(host=endpoint["address"], port=endpoint["port"], user="awsuser", password="Bench1234",
                         dbname="dev", sslmode="disable", autocommit=True) as conn:
        conn.execute("SELECT 1").fetchall()
        wire = []
        for _ in range(n):
            t0 = time.perf_counter()
            conn.execute("SELECT 1").fetchall()
            wire.append(time.perf_counter() - t0)
    ep.stop()
    return {"statements": n, "data_api": _stats(data_api), "wire_psycopg": _stats(wire),
            "noop_boto3_call": _stats(noop)}


def join(scale, runs, mode):
    local = Path(tempfile.mkdtemp())
    ep, client, endpoint = _workgroup(mode, scale, local)
    glue, rd = client("glue"), client("redshift-data")
    for name, prefix in (("lms", "lmsapi/requests/"), ("sis", "sisdb/sisdemo/student/")):
        glue.create_crawler(Name=name, Role="bench-redshift", DatabaseName=f"db_{name}",
                            Targets={"S3Targets": [{"Path": f"s3://bench-raw/{prefix}"}]})
        glue.start_crawler(Name=name)
    for name in ("lms", "sis"):
        while glue.get_crawler(Name=name)["Crawler"]["State"] != "READY" or \
                not glue.get_crawler(Name=name)["Crawler"].get("LastCrawl"):
            time.sleep(0.1)
    for schema in ("lms", "sis"):
        _run(rd, f"CREATE EXTERNAL SCHEMA {schema}raw FROM DATA CATALOG DATABASE 'db_{schema}' IAM_ROLE '{ROLE_ARN}'")
    spectrum_sql = JOIN.format(requests="lmsraw.requests", student="sisraw.student")
    local_sql = JOIN.format(requests="lms_requests", student="sis_student")
    t0 = time.perf_counter()
    _run(rd, "CREATE TABLE lms_requests AS SELECT * FROM lmsraw.requests")
    _run(rd, "CREATE TABLE sis_student AS SELECT * FROM sisraw.student")
    ctas_s = time.perf_counter() - t0

    table = glue.get_table(DatabaseName="db_lms", Name="requests")["Table"]
    duck_types = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}
    columns = {c["Name"]: duck_types[c["Type"]] for c in table["StorageDescriptor"]["Columns"]}
    duck_files = JOIN.format(
        requests=f"read_csv('{local}/lmsapi/requests/*/*.csv', header=true, hive_partitioning=true, "
                 f"columns={columns})",
        student=f"read_parquet('{local}/sisdb/sisdemo/student/*.parquet')")
    duck = duckdb.connect()
    duck.execute(f"CREATE TABLE lms_requests AS SELECT * FROM read_csv('{local}/lmsapi/requests/*/*.csv', "
                 f"header=true, hive_partitioning=true, columns={columns})")
    duck.execute(f"CREATE TABLE sis_student AS SELECT * FROM read_parquet('{local}/sisdb/sisdemo/student/*.parquet')")

    out = {"requests_rows": datasets.requests_rows(scale), "ctas_both_tables_s": round(ctas_s, 2)}
    fresh = duckdb.connect()      # plain DuckDB reading the files (no table cache between runs)
    wire = psycopg.connect(host=endpoint["address"], port=endpoint["port"], user="awsuser", password="Bench1234",
                           dbname="dev", sslmode="disable", autocommit=True)
    for label, engine_sql, direct in (("spectrum", spectrum_sql, lambda: fresh.execute(duck_files)),
                                      ("local", local_sql, lambda: duck.execute(local_sql))):
        _run(rd, engine_sql)   # warm-up (file cache, catalog)
        engine, over_wire, direct_times = [], [], []
        for _ in range(runs):
            seconds, rows = _run(rd, engine_sql)
            engine.append(seconds)
            t0 = time.perf_counter()
            wire_rows = wire.execute(engine_sql).fetchall()
            over_wire.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            expected = direct().fetchall()
            direct_times.append(time.perf_counter() - t0)
            want = [tuple(map(int, r)) for r in expected]
            assert [tuple(map(int, r)) for r in rows] == want, (rows[:2], expected[:2])
            assert [tuple(map(int, r)) for r in wire_rows] == want
        e, w, d = statistics.median(engine), statistics.median(over_wire), statistics.median(direct_times)
        out[label] = {"data_api_s": round(e, 3), "wire_s": round(w, 3), "duckdb_direct_s": round(d, 3),
                      "ratio_data_api": round(e / d, 2), "ratio_wire": round(w / d, 2)}
    wire.close()
    duck.close()
    fresh.close()
    ep.stop()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trivial", type=int, default=50)
    parser.add_argument("--scales", default="9.9,99")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--endpoint", choices=("thread", "process"), default="thread",
                        help="serve the endpoint from a thread of this process or from a child process")
    parser.add_argument("--serve", nargs=2, metavar=("SCALE", "LOCAL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return _serve(float(args.serve[0]), args.serve[1])
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "duckdb": duckdb.__version__,
                          "load_average": os.getloadavg()},
              "endpoint": args.endpoint, "trivial_select": trivial(args.trivial, args.endpoint), "join": []}
    print(json.dumps(result["trivial_select"]), file=sys.stderr)
    for scale in (float(s) for s in args.scales.split(",")):
        result["join"].append(join(scale, args.runs, args.endpoint))
        print(json.dumps(result["join"][-1]), file=sys.stderr)
    result["machine"]["load_average_after"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
