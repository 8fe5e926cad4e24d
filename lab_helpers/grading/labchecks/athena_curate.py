"""Checks for lab 04_athena_curate: workgroup, curated database, CTAS table, and the student view."""
from __future__ import annotations

import io

from botocore.exceptions import ClientError

from ..checks import Check, Part

WORKGROUP = "dataedu-workgroup"
CTAS_TABLE = "agg_pageview_count_by_user_course"
CTAS_PREFIX = "lmsdemo/agg_pageview_count_by_user_course/"
VIEW = "student_pageviews"


def workgroup(ctx) -> list[Part]:
    athena, name = ctx.client("athena"), ctx.names.of(WORKGROUP)
    try:
        wg = athena.get_work_group(WorkGroup=name).get("WorkGroup")  # moto answers {} when missing
    except ClientError:
        wg = None
    if not wg:
        return [Part(False, f"no workgroup {name}", "Create it with athena.create_work_group (step 1).", 3)]
    conf = wg.get("Configuration", {})
    location = conf.get("ResultConfiguration", {}).get("OutputLocation", "")
    want = f"s3://{ctx.buckets['results']}/"
    return [Part(location.startswith(want), f"query results go to {location or 'nowhere'}",
                 f"Set the result location to {want}athena/"),
            Part(bool(conf.get("EnforceWorkGroupConfiguration")), "workgroup settings are "
                 + ("enforced" if conf.get("EnforceWorkGroupConfiguration") else "not enforced"),
                 "Enforce the workgroup configuration so clients cannot send results elsewhere."),
            Part(bool(conf.get("BytesScannedCutoffPerQuery")), "a per-query data scanned limit is "
                 + ("set" if conf.get("BytesScannedCutoffPerQuery") else "not set"),
                 "Set BytesScannedCutoffPerQuery as a cost guard rail.")]


def curated_table(ctx) -> list[Part]:
    glue, s3, db = ctx.client("glue"), ctx.client("s3"), ctx.names.of("db_cur_lmsdemo")
    try:
        table = glue.get_table(DatabaseName=db, Name=CTAS_TABLE)["Table"]
    except ClientError as err:
        what = f"database {db}" if "Database" in str(err) else f"table {CTAS_TABLE}"
        return [Part(False, f"no {what} yet", f"CREATE DATABASE {db}, then run the CTAS (step 3).", 3)]
    location = table["StorageDescriptor"].get("Location", "")
    want = f"s3://{ctx.buckets['curated']}/{CTAS_PREFIX}"
    serde = table["StorageDescriptor"].get("SerdeInfo", {}).get("SerializationLibrary", "")
    objects = s3.list_objects_v2(Bucket=ctx.buckets["curated"], Prefix=CTAS_PREFIX).get("Contents", [])
    parts = [Part(location.rstrip("/") + "/" == want, f"table location {location}", f"Use external_location '{want}'"),
             Part("parquet" in serde.lower(), f"stored with {serde.split('.')[-1] or 'no SerDe'}",
                  "Use format = 'PARQUET'.")]
    codec = "no data files"
    if objects:
        import pyarrow.parquet as pq

        body = s3.get_object(Bucket=ctx.buckets["curated"], Key=objects[0]["Key"])["Body"].read()
        try:
            codec = pq.ParquetFile(io.BytesIO(body)).metadata.row_group(0).column(0).compression
        except Exception:
            codec = "not Parquet"
    parts.append(Part(codec == "SNAPPY", f"{len(objects)} data file(s), compression {codec}",
                      "Use parquet_compression = 'SNAPPY' (or write_compression)."))
    return parts


def student_view(ctx) -> list[Part]:
    glue, db = ctx.client("glue"), ctx.names.of("db_cur_lmsdemo")
    try:
        view = glue.get_table(DatabaseName=db, Name=VIEW)["Table"]
    except ClientError:
        return [Part(False, f"no view {db}.{VIEW}", "CREATE OR REPLACE VIEW ... (step 6).")]
    text = (view.get("ViewOriginalText") or "") + (view.get("ViewExpandedText") or "")
    import base64
    import json
    import re

    m = re.search(r"Presto View: ([A-Za-z0-9+/=]+)", text)
    sql = json.loads(base64.b64decode(m.group(1)))["originalSql"].lower() if m else text.lower()
    return [Part(view.get("TableType") == "VIRTUAL_VIEW", f"{VIEW} is a {view.get('TableType', '?')}"),
            Part(CTAS_TABLE in sql and "student" in sql, "the view joins the curated page views with the SIS students",
                 f"Join {db}.{CTAS_TABLE} with {ctx.names.of('db_raw_sisdemo')}.student on user_id = student_id.")]


CHECKS = [
    Check("workgroup", "an Athena workgroup that writes results to the results zone", workgroup, 10),
    Check("curated_table", "the curated SNAPPY Parquet table from CTAS", curated_table, 10),
    Check("student_view", "a view joining LMS activity to SIS students", student_view, 10),
]
