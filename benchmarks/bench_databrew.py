"""Benchmark: the workshop's student-ext-2 recipe job and a profile job, at scale 1 and on a
`student` table of >= 1 million rows, against the same work written directly in DuckDB / pandas.

Run: .venv/bin/python benchmarks/bench_databrew.py [--runs 3] [--rows 1000000] [--quick]

Engine: StartJobRun through boto3 against an in-thread endpoint, polled every 20 ms until
SUCCEEDED (the time includes reading the catalog tables from S3 as the job's role, the 24 steps,
and writing SNAPPY Parquet partitioned by first semester, or the profile JSON, back to S3).
Direct: the same inputs (the Parquet bytes, already in memory), the same joins and renames in one
DuckDB query, written with pyarrow's partitioned dataset writer to a temporary folder; for the
profile, the same statistics per column with pandas / numpy (value counts, moments, percentiles,
histogram, z-scores, correlations, duplicate rows). Rows and columns of both sides are compared.
Engine and direct runs alternate, and the ratio is the median of the per-run ratios, so both sides
of a ratio see the same load on a shared machine.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
logging.getLogger("werkzeug").setLevel(logging.ERROR)

import boto3
import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from lab_helpers import datasets
from lab_helpers.endpoint import moto
from lab_helpers.endpoint.moto import s3 as moto_s3
from lab_helpers.endpoint.server import start_in_thread
from lab_helpers.stack import recipes

BUCKET = "bench-lake"
TABLES = ("student", "department", "school", "semester", "ed_level")
PARTITIONS = ["first_semester_school_year_name", "first_semester_term_name"]


def sis_tables(rows: int | None) -> dict[str, pa.Table]:
    """The generated SIS tables; `student` repeated with new ids up to ``rows`` rows."""
    out = {}
    for obj in datasets.generate(scale=1.0):
        name = obj.key.split("/")[2] if obj.key.startswith("sisdb/sisdemo/") else None
        if name in TABLES:
            out[name] = pq.read_table(io.BytesIO(obj.body))
    if rows and rows > out["student"].num_rows:
        base, copies = out["student"], -(-rows // out["student"].num_rows)
        parts = []
        for i in range(copies):
            ids = pa.compute.add(base.column("student_id"), pa.scalar(i * 1_000_000, pa.int32()))
            parts.append(base.set_column(0, "student_id", ids))
        out["student"] = pa.concat_tables(parts).slice(0, rows)
    return out


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def setup(tables: dict[str, pa.Table]):
    moto.reset()
    ep = start_in_thread(Path(tempfile.mkdtemp()))
    s = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    client = lambda name: s.client(name, endpoint_url=ep.url)
    client("s3").create_bucket(Bucket=BUCKET)
    client("iam").create_role(RoleName="brew", AssumeRolePolicyDocument="{}")
    glue, db = client("glue"), client("databrew")
    glue.create_database(DatabaseInput={"Name": "db_raw_sisdemo"})
    blobs = {}
    for name, table in tables.items():
        blobs[name] = parquet_bytes(table)
        moto_s3.seed_object(BUCKET, f"sisdb/sisdemo/{name}/LOAD00000001.parquet", blobs[name])
        glue.create_table(DatabaseName="db_raw_sisdemo", TableInput={
            "Name": name, "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {
                "Columns": [{"Name": f.name, "Type": datasets.glue_type(f.type)} for f in datasets.SIS_SCHEMAS[name]],
                "Location": f"s3://{BUCKET}/sisdb/sisdemo/{name}/",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})
    for name, table in recipes.DATASETS.items():
        db.create_dataset(Name=name, Input={"DataCatalogInputDefinition": {"DatabaseName": "db_raw_sisdemo",
                                                                           "TableName": table}})
    db.create_recipe(Name=recipes.RECIPE_NAME, Steps=recipes.student_ext_2())
    db.publish_recipe(Name=recipes.RECIPE_NAME)
    role = "arn:aws:iam::123456789012:role/brew"
    db.create_recipe_job(Name="recipe-job", DatasetName="student", RoleArn=role,
                         RecipeReference={"Name": recipes.RECIPE_NAME, "RecipeVersion": "1.0"},
                         Outputs=[{"Location": {"Bucket": BUCKET, "Key": "curated/student_ext_2/"}, "Format": "PARQUET",
                                   "CompressionFormat": "SNAPPY", "PartitionColumns": PARTITIONS, "Overwrite": True}])
    db.create_profile_job(Name="profile-job", DatasetName="student", RoleArn=role, JobSample={"Mode": "FULL_DATASET"},
                          OutputLocation={"Bucket": BUCKET, "Key": "profiles/"})
    return ep, client, blobs


def run_job(db, name: str) -> float:
    t0 = time.perf_counter()
    run_id = db.start_job_run(Name=name)["RunId"]
    while True:
        run = db.describe_job_run(Name=name, RunId=run_id)
        if run["State"] in ("SUCCEEDED", "FAILED", "STOPPED"):
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - t0
    assert run["State"] == "SUCCEEDED", run.get("ErrorMessage")
    return elapsed


# --- the same work, directly ---------------------------------------------------------------------

DIRECT_SQL = """
WITH s AS (SELECT * RENAME (department_id AS fk_department_id, admit_semester_id AS fk_admit_semester_id,
                            planned_grad_semester_id AS fk_planned_grad_semester_id) FROM student),
d AS (SELECT * RENAME (school_id AS fk_school_id) FROM department)
SELECT s.*, d.*, sc.*,
       a.semester_id AS admit_semester_id, a.start_date AS first_semester_start_date,
       a.end_date AS first_semester_end_date, a.term_name AS first_semester_term_name,
       a.semester_year AS first_semester_year, a.school_year_name AS first_semester_school_year_name,
       f.semester_id AS planned_grad_semester_id, f.start_date AS final_semester_start_date,
       f.end_date AS final_semester_end_date, f.term_name AS final_semester_term_name,
       f.semester_year AS final_semester_year, f.school_year_name AS final_semester_school_year_name,
       e.ed_level_id AS parent_ed_level_id, e.ed_level_code AS parent_ed_level_code,
       e.ed_level_desc AS parent_ed_level_desc
FROM s JOIN d ON s.fk_department_id = d.department_id
       JOIN school sc ON d.fk_school_id = sc.school_id
       JOIN semester a ON s.fk_admit_semester_id = a.semester_id
       JOIN semester f ON s.fk_planned_grad_semester_id = f.semester_id
       JOIN ed_level e ON s.parent_highest_ed = e.ed_level_id
"""


def direct_recipe(blobs: dict[str, bytes]) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    con = duckdb.connect()
    for name, blob in blobs.items():
        con.register(name, pq.read_table(io.BytesIO(blob)))
    out = con.sql(DIRECT_SQL).to_arrow_table()
    with tempfile.TemporaryDirectory() as folder:
        pads.write_dataset(out, folder, format="parquet", partitioning=PARTITIONS, partitioning_flavor="hive",
                           existing_data_behavior="overwrite_or_ignore",
                           file_options=pads.ParquetFileFormat().make_write_options(compression="snappy"))
    con.close()
    return time.perf_counter() - t0, out.num_rows, out.num_columns


def direct_profile(blob: bytes) -> float:
    """DataBrew's per-column statistics for the supported columns, with pandas and numpy."""
    t0 = time.perf_counter()
    table = pq.read_table(io.BytesIO(blob))
    df = table.to_pandas()
    doc = {"duplicateRowsCount": int(df.duplicated().sum()), "columns": []}
    numeric = []
    for field in table.schema:
        name, kind = field.name, field.type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_string(kind)):
            continue   # dates: DataBrew skips them
        col = df[name]
        text = pa.types.is_string(kind)
        present = col[col.notna() & (col != "")] if text else col.dropna()
        counts = present.value_counts()
        p = counts / counts.sum()
        stats = {"name": name, "distinct": len(counts), "unique": int((counts == 1).sum()),
                 "missing": len(col) - len(present), "entropy": float(-(p * np.log2(p)).sum()),
                 "mostCommon": counts.head(50).to_dict()}
        values = present.str.len() if text else present.astype(float)
        if len(values):
            q = np.percentile(values, [5, 25, 50, 75, 95])
            z = (values - values.mean()) / values.std(ddof=1) if values.std(ddof=1) else values * 0
            stats.update({"min": values.min(), "max": values.max(), "mean": values.mean(), "sum": values.sum(),
                          "std": values.std(ddof=1), "var": values.var(ddof=1), "percentiles": q.tolist(),
                          "mad": float(np.median(np.abs(values - q[2]))), "skew": float(values.skew()),
                          "kurt": float(values.kurt()), "zeros": int((values == 0).sum()),
                          "hist": np.histogram(values, bins=20)[0].tolist(), "outliers": int((z.abs() > 3).sum())})
            numeric.append(values.rename(name))
        doc["columns"].append(stats)
    corr = pd.concat(numeric[:10], axis=1).corr()   # DataBrew's default: the first 10 columns
    doc["correlations"] = corr.to_dict()
    json.dumps(doc, default=str)
    return time.perf_counter() - t0


def measure(rows: int | None, runs: int) -> dict:
    tables = sis_tables(rows)
    ep, client, blobs = setup(tables)
    db, s3 = client("databrew"), client("s3")
    try:
        # interleaved, so that each engine run and its direct twin see the same load on the machine
        engine_recipe, engine_profile, direct, direct_prof = [], [], [], []
        for _ in range(runs):
            engine_recipe.append(run_job(db, "recipe-job"))
            direct.append(direct_recipe(blobs))
            engine_profile.append(run_job(db, "profile-job"))
            direct_prof.append(direct_profile(blobs["student"]))
        # the two sides agree: rows and columns of the recipe output
        keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="curated/")
                for o in p.get("Contents", [])]
        engine_rows = sum(pq.ParquetFile(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()))
                          .metadata.num_rows for k in keys)
        assert engine_rows == direct[0][1], (engine_rows, direct[0][1])
    finally:
        ep.stop()
    med = lambda xs: round(statistics.median(xs), 3)
    recipe_engine, recipe_direct = med(engine_recipe), med([d[0] for d in direct])
    profile_engine, profile_direct = med(engine_profile), med(direct_prof)
    return {"student_rows": tables["student"].num_rows, "output_rows": direct[0][1], "output_columns": direct[0][2],
            "recipe_job_s": recipe_engine, "recipe_direct_duckdb_s": recipe_direct,
            "recipe_ratio": round(statistics.median(e / d[0] for e, d in zip(engine_recipe, direct)), 2),
            "profile_job_s": profile_engine, "profile_direct_pandas_s": profile_direct,
            "profile_ratio": round(statistics.median(e / d for e, d in zip(engine_profile, direct_prof)), 2),
            "recipe_job_first_run_s": round(engine_recipe[0], 3), "runs": runs}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large student table")
    parser.add_argument("--quick", action="store_true", help="scale 1 only")
    args = parser.parse_args()
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "duckdb": duckdb.__version__},
              "scale_1": measure(None, args.runs)}
    if not args.quick:
        result["large"] = measure(args.rows, args.runs)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
