"""Checks for lab 03_glue_crawlers: the two crawlers, and the catalog they built."""
from __future__ import annotations

from botocore.exceptions import ClientError

from ..checks import Check, Part

CRAWLERS = {
    "dataedu-sisdemo-crawler": ("raw", "sisdb/sisdemo/", "db_raw_sisdemo"),
    "dataedu-lmsdemo-crawler": ("raw", "lmsapi/", "db_raw_lmsdemo"),
}
ROLE = "dataedu-glue-crawler-role"


def crawlers_created(ctx) -> list[Part]:
    glue = ctx.client("glue")
    parts = []
    role = ctx.names.of(ROLE)
    for name, (zone, prefix, db) in CRAWLERS.items():
        name, db = ctx.names.of(name), ctx.names.of(db)
        try:
            crawler = glue.get_crawler(Name=name)["Crawler"]
        except ClientError:
            parts.append(Part(False, f"no crawler {name}", "Create it with glue.create_crawler (step 1).", 2))
            continue
        paths = [t["Path"].rstrip("/") + "/" for t in crawler.get("Targets", {}).get("S3Targets", [])]
        want = f"s3://{ctx.buckets[zone]}/{prefix}"
        parts.append(Part(want in paths, f"{name} crawls {', '.join(paths) or 'nothing'}",
                          f"Its S3 target should be {want}"))
        parts.append(Part(crawler.get("DatabaseName") == db and crawler.get("Role", "").split("/")[-1] == role,
                          f"{name} writes to {crawler.get('DatabaseName')} as {crawler.get('Role', '').split('/')[-1]}",
                          f"Use database {db} and role {role}."))
    return parts


def _tables(glue, db):
    try:
        return {t["Name"]: t for p in glue.get_paginator("get_tables").paginate(DatabaseName=db) for t in p["TableList"]}
    except ClientError:
        return None


def sis_tables(ctx) -> list[Part]:
    db = ctx.names.of("db_raw_sisdemo")
    tables = _tables(ctx.client("glue"), db)
    if tables is None:
        return [Part(False, f"no database {db} yet",
                     f"Run {ctx.names.of('dataedu-sisdemo-crawler')} and wait for READY.")]
    parquet = [n for n, t in tables.items() if t.get("Parameters", {}).get("classification") == "parquet"]
    student = tables.get("student", {}).get("StorageDescriptor", {}).get("Columns", [])
    return [Part(len(tables) == 12, f"{len(tables)} tables in {db} (expected 12)",
                 "If there are none, read the crawler's log: AccessDenied means the role is not a key user."),
            Part(len(parquet) == 12, f"{len(parquet)} tables classified as parquet"),
            Part(len(student) == 24, f"student has {len(student)} columns (expected 24)")]


def lms_tables(ctx) -> list[Part]:
    glue, db = ctx.client("glue"), ctx.names.of("db_raw_lmsdemo")
    tables = _tables(glue, db)
    if tables is None:
        return [Part(False, f"no database {db} yet",
                     f"Run {ctx.names.of('dataedu-lmsdemo-crawler')} and wait for READY.")]
    partitioned = [n for n, t in tables.items() if [k["Name"] for k in t.get("PartitionKeys", [])] == ["process_date"]]
    n_parts = 0
    if "requests" in tables:
        n_parts = sum(len(p["Partitions"]) for p in glue.get_paginator("get_partitions").paginate(
            DatabaseName=db, TableName="requests"))
    return [Part(len(tables) == 10, f"{len(tables)} tables in {db} (expected 10)",
                 "Crawl s3://<raw>/lmsapi/ (the folder above the table folders)."),
            Part(len(partitioned) == 10, f"{len(partitioned)} tables partitioned by process_date"),
            Part(n_parts == 32, f"requests has {n_parts} partitions (expected 32)",
                 "Re-run the crawler after the raw zone is fully loaded (lab 02).")]


CHECKS = [
    Check("crawlers_created", "the SIS and LMS crawlers exist with the right targets", crawlers_created, 10),
    Check("sis_tables", "db_raw_sisdemo holds the 12 SIS tables", sis_tables, 10),
    Check("lms_tables", "db_raw_lmsdemo holds the 10 partitioned LMS tables", lms_tables, 10),
]
