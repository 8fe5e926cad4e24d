"""Checks for lab 00_orientation: a first object in the lake, and lifecycle rules on two zones."""
from __future__ import annotations

from botocore.exceptions import ClientError

from ..checks import Check, Part, object_encryption_parts

HELLO_KEY = "orientation/hello.txt"


def hello_lake(ctx) -> list[Part]:
    return object_encryption_parts(ctx, ctx.buckets["results"], HELLO_KEY, "your hello.txt in the results zone",
                                   f"Upload a small text file to s3://{ctx.buckets['results']}/{HELLO_KEY}.")


def _rules(ctx, bucket: str) -> list[dict]:
    try:
        return ctx.client("s3").get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except ClientError as err:
        if err.response["Error"]["Code"] == "NoSuchLifecycleConfiguration":
            return []
        raise


def _prefix(rule: dict) -> str:
    flt = rule.get("Filter") or {}
    return flt.get("Prefix", flt.get("And", {}).get("Prefix", rule.get("Prefix", "")))


# Storage classes by their API names, as the learner reads them in the task and the hint.
_GLACIER_NAMES = {"GLACIER_IR": "Glacier Instant Retrieval", "GLACIER": "Glacier Flexible Retrieval",
                  "DEEP_ARCHIVE": "Glacier Deep Archive"}


def lifecycle_rules(ctx) -> list[Part]:
    results = [r for r in _rules(ctx, ctx.buckets["results"]) if r.get("Status") == "Enabled"]
    expiring = [r for r in results if _prefix(r).startswith("athena") and
                0 < (r.get("Expiration") or {}).get("Days", 0) <= 30]
    raw = [r for r in _rules(ctx, ctx.buckets["raw"]) if r.get("Status") == "Enabled"]
    classes = [t.get("StorageClass") for r in raw for t in r.get("Transitions") or []]
    instant = classes.count("GLACIER_IR")
    # The task asks for Instant Retrieval: raw data must stay readable in milliseconds. Flexible
    # Retrieval or Deep Archive would need a restore (minutes to hours) before Athena could read it.
    other = sorted({f"{c} ({_GLACIER_NAMES[c]})" for c in classes if c in _GLACIER_NAMES and c != "GLACIER_IR"})
    found = f"raw zone: {instant} enabled rule(s) moving objects to GLACIER_IR (Glacier Instant Retrieval)"
    if other:
        found += f"; also found {', '.join(other)}, which the task does not ask for"
    return [
        Part(bool(expiring), f"results zone: {len(expiring)} enabled rule(s) expiring athena/ query results within 30 days",
             "Add a lifecycle rule on the results bucket that expires the athena/ prefix after a few days."),
        Part(bool(instant), found,
             "Add a lifecycle rule on the raw bucket whose transition uses StorageClass 'GLACIER_IR' (S3 Glacier "
             "Instant Retrieval): 'GLACIER' is Flexible Retrieval, whose objects need a restore before anyone can read them."),
    ]


CHECKS = [
    Check("hello_lake", "write your first object into the lake", hello_lake, 10),
    Check("lifecycle_rules", "lifecycle rules on the results and raw zones", lifecycle_rules, 10),
]
