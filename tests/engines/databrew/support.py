"""Helpers shared by the DataBrew tests: data in S3, datasets, waiting for runs, previews as pandas."""
from __future__ import annotations

import io
import json
import time

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

BUCKET = "brew-lake"
ROLE = "brew-role"
ROLE_ARN = f"arn:aws:iam::123456789012:role/{ROLE}"
FINAL = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT")


def parquet_bytes(table: pa.Table, compression: str = "snappy") -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=compression)
    return sink.getvalue()


def people() -> pa.Table:
    """Twelve rows with the quirks the actions handle: nulls, empty strings, duplicates, zeros,
    a join key with no partner (99) and one that is missing, text that is not a number or date."""
    return pa.table({
        "id": pa.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11], pa.int64()),
        "name": ["Ann Lee", "bob ray", None, "", "Cy Dee", "Di Eve", "Ed Fox", "Flo Gil", "Gus Hu", "Ann Lee",
                 "Ivy Jo", "Ivy Jo"],
        "city": ["Boston-MA", "Austin-TX", "Reno-NV", "Boston-MA", None, "Salem-OR-US", "Boston-MA", "Austin-TX",
                 "Reno-NV", "Boston-MA", "Tulsa-OK", "Tulsa-OK"],
        "score": [3.5, None, 0.0, 2.25, 4.0, 3.5, None, 1.0, 0.0, 3.5, 2.0, 2.0],
        "age": pa.array([20, 21, None, 23, 20, 25, 26, None, 20, 29, 30, 30], pa.int32()),
        "dept_id": pa.array([10, 20, 10, 99, 30, None, 20, 10, 30, 10, 20, 20], pa.int64()),
        "joined": ["2020-08-17", "2021-01-18", "n/a", "2019-08-19", "", "2020-08-17", "2018-01-15", "2020-08-17",
                   None, "2021-01-18", "2019-08-19", "2019-08-19"],
        "amount": ["12", "7.5", "x", "3", "", "100", "8", "n/a", "0", "12", "5", "5"],
    })


def depts() -> pa.Table:
    return pa.table({"dept_id": pa.array([10, 20, 30, 40], pa.int32()),
                     "dept_name": ["CS", "Math", "Art", "Music"]})


def put_dataset(client, name: str, table: pa.Table, key: str | None = None) -> str:
    key = key or f"data/{name}/part-0.parquet"
    client("s3").put_object(Bucket=BUCKET, Key=key, Body=parquet_bytes(table))
    client("databrew").create_dataset(Name=name, Format="PARQUET",
                                      Input={"S3InputDefinition": {"Bucket": BUCKET, "Key": key}})
    return key


def step(operation: str, conditions: list | None = None, **params) -> dict:
    out = {"Action": {"Operation": operation, "Parameters": {
        k: (v if isinstance(v, str) else json.dumps(v)) for k, v in params.items()}}}
    if conditions:
        out["ConditionExpressions"] = conditions
    return out


def open_project(client, dataset: str = "people", name: str = "proj", recipe: str = "proj-recipe",
                 size: int = 5000) -> str:
    db = client("databrew")
    db.create_project(Name=name, DatasetName=dataset, RecipeName=recipe, RoleArn=ROLE_ARN,
                      Sample={"Size": size, "Type": "FIRST_N"})
    return db.start_project_session(Name=name)["ClientSessionId"]


def result_frame(result: dict) -> pd.DataFrame:
    doc = json.loads(result["Result"])
    return pd.DataFrame(doc["rows"], columns=[c["name"] for c in doc["columns"]])


def preview(client, steps: list[dict], name: str = "proj") -> pd.DataFrame:
    """The project's sample after the recipe's working steps plus ``steps`` (all rows, all columns)."""
    db = client("databrew")
    out = None
    for i, s in enumerate(steps):
        last = i == len(steps) - 1
        answer = db.send_project_session_action(Name=name, Preview=last, RecipeStep=s,
                                               ViewFrame={"StartColumnIndex": 0, "RowRange": 100000})
        out = answer
    if out is None:
        out = db.send_project_session_action(Name=name, Preview=True, ViewFrame={"StartColumnIndex": 0, "RowRange": 100000})
    return result_frame(out)


def wait_run(db, job: str, run_id: str, timeout: float = 120) -> tuple[dict, list[str]]:
    """(the final DescribeJobRun, the states seen on the way)."""
    deadline, seen = time.time() + timeout, []
    while time.time() < deadline:
        run = db.describe_job_run(Name=job, RunId=run_id)
        if not seen or seen[-1] != run["State"]:
            seen.append(run["State"])
        if run["State"] in FINAL:
            return run, seen
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} of {job} did not finish: {seen}")


def run_job(db, job: str, timeout: float = 120) -> dict:
    run, _ = wait_run(db, job, db.start_job_run(Name=job)["RunId"], timeout)
    return run


def read_parquet_objects(s3, prefix: str) -> pd.DataFrame:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    frames = [pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read())).to_pandas() for k in keys]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def keys(s3, prefix: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))
