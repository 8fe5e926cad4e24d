"""Checks for lab 02_lambda_load: the loader ran, the raw zone holds 12 + 141 objects, all SSE-KMS."""
from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from ...engines.iam.policy import allows_role
from ...stack.names import FETCH_DEMO_DATA, FETCH_S3_DATA, LMS_RAW_PREFIX, SIS_RAW_PREFIX
from ..checks import Check, Part, key_name

EXPECTED = {"SIS": (SIS_RAW_PREFIX, 12), "LMS": (LMS_RAW_PREFIX, 141)}
COPY_ROLE = "dataedu-fetch-s3-data-role"
MAX_HEADS = 60  # objects_encrypted inspects at most this many objects (an even sample)
_HEAD_WORKERS = 8


def _names(ctx) -> tuple[str, str, str]:
    """The learner's loader function, copy function and copy role (scoped in a shared account)."""
    return ctx.names.of(FETCH_DEMO_DATA), ctx.names.of(FETCH_S3_DATA), ctx.names.of(COPY_ROLE)


def _log_group(function: str) -> str:
    return f"/aws/lambda/{function}"


def _log_events(ctx, function: str, pattern: str, want: int = 1, pages: int = 5) -> list[dict] | None:
    """Up to ``want`` events of a function's log group matching a filter pattern; None if no group.

    CloudWatch Logs may answer a page with no events and a nextToken while it is still searching,
    so keep paging (a few pages at most) until enough events are found.
    """
    logs = ctx.client("logs")
    events, token = [], None
    try:
        for _ in range(pages):
            kwargs = {"nextToken": token} if token else {}
            page = logs.filter_log_events(logGroupName=_log_group(function), filterPattern=pattern,
                                          limit=min(max(want - len(events), 1), 10000), **kwargs)
            events += page.get("events", [])
            token = page.get("nextToken")
            if not token or len(events) >= want:
                break
    except ClientError as err:
        if err.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise
    return events


def function_invoked(ctx) -> list[Part]:
    loader = _names(ctx)[0]
    hint = f"Invoke {loader} (step 2), then re-run this check."
    reports = _log_events(ctx, loader, "REPORT")
    if reports is None:
        return [Part(False, f"no log group {_log_group(loader)}: the loader has never run", hint)]
    totals = _log_events(ctx, loader, '"Total # of"')
    return [
        Part(bool(reports), f"{_log_group(loader)} {'has a' if reports else 'has no'} REPORT line "
                            "(an invocation that finished)", hint),
        Part(bool(totals), f"the loader {'logged' if totals else 'did not log'} its object totals",
             "Invoke the function without a test event of your own: an empty event {} is what it expects."),
    ]


def _keys(ctx, prefix: str) -> list[str]:
    s3 = ctx.client("s3")
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ctx.buckets["raw"], Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def _copy_role_is_key_user(ctx) -> bool:
    copy_role = _names(ctx)[2]
    kms = ctx.client("kms")
    key_id = kms.describe_key(KeyId=ctx.names.kms_alias)["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    account = ctx.client("sts").get_caller_identity()["Account"]
    return allows_role(policy, f"arn:aws:iam::{account}:role/{copy_role}", "kms:GenerateDataKey")


def _why_missing(ctx) -> str:
    """Explain missing objects from the copy function's logs and the key policy (the lab-01 trap)."""
    loader, copier, copy_role = _names(ctx)
    if not _log_events(ctx, loader, "REPORT"):
        return f"Invoke {loader} (step 2): it starts one copy per object."
    denied = _log_events(ctx, copier, "AccessDenied", want=500) or []
    if not denied:
        return (f"The copies run asynchronously: wait a few seconds and re-run the check. If the count does not "
                f"grow, read {_log_group(copier)} for errors and invoke {loader} again.")
    kms_denied = [e for e in denied if "kms:GenerateDataKey" in e["message"]]
    example = (kms_denied or denied)[-1]["message"].strip()
    example = example[example.find("User: "):] if "User: " in example else example
    example = example.split(" because ")[0]
    if len(example) > 300:
        example = example[:297] + "..."
    key_user = _copy_role_is_key_user(ctx)
    if kms_denied and not key_user:
        return (f"{_log_group(copier)} has {len(denied)} AccessDenied line(s), e.g. \"{example}\". "
                f"Lab 01's key users are missing: {copy_role} may not use {key_name(ctx)} "
                "(kms:GenerateDataKey). Add the workshop roles as key users (do lab 01, or run "
                "`lab.catch_up()`), then invoke the loader again: it copies only what is missing.")
    if key_user:
        return (f"{_log_group(copier)} has {len(denied)} AccessDenied line(s) from earlier copies, e.g. "
                f"\"{example}\". {copy_role} is a key user now: invoke {loader} again to copy what "
                "is missing (objects already there are skipped).")
    return (f"{_log_group(copier)} has {len(denied)} AccessDenied line(s), e.g. \"{example}\". Give "
            f"{copy_role} the right the message names, then invoke {loader} again.")


def raw_loaded(ctx) -> list[Part]:
    parts = []
    for system, (prefix, expected) in EXPECTED.items():
        found = len(_keys(ctx, prefix))
        parts.append(Part(found >= expected, f"{system}: {found} of {expected} objects under "
                                             f"s3://{ctx.buckets['raw']}/{prefix}"))
    if not all(p.ok for p in parts):
        hint = _why_missing(ctx)
        for p in parts:
            p.hint = hint
    return parts


def objects_encrypted(ctx) -> list[Part]:
    keys = [k for prefix, _ in EXPECTED.values() for k in _keys(ctx, prefix)]
    if not keys:
        return [Part(False, f"no objects under {SIS_RAW_PREFIX} or {LMS_RAW_PREFIX} of the raw bucket",
                     "Load the raw zone first (steps 2 and 4).")]
    key_arn = ctx.client("kms").describe_key(KeyId=ctx.names.kms_alias)["KeyMetadata"]["Arn"]
    s3, bucket = ctx.client("s3"), ctx.buckets["raw"]
    # S3 lists no encryption details, so each object needs a HeadObject: an even sample keeps the
    # check well under a second (the notebook's own cell looks at every object).
    step = max(1, math.ceil(len(keys) / MAX_HEADS))
    sample = keys[::step]

    def encryption(key: str) -> tuple[str, str]:
        head = s3.head_object(Bucket=bucket, Key=key)
        return head.get("ServerSideEncryption") or "none", head.get("SSEKMSKeyId", "")

    with ThreadPoolExecutor(min(_HEAD_WORKERS, len(sample))) as pool:
        results = list(pool.map(encryption, sample))
    wrong = [k for k, (sse, used) in zip(sample, results)
             if not (sse == "aws:kms" and used in (key_arn, key_arn.split("/")[-1]))]
    ok = len(sample) - len(wrong)
    scope = (f"{ok} of {len(keys)} raw objects" if step == 1 else
             f"{ok} of {len(sample)} sampled raw objects (1 in {step} of {len(keys)})")
    found = f"{scope} are SSE-KMS with {key_name(ctx)}"
    if wrong:
        found += f" (not: {', '.join(wrong[:3])}{', ...' if len(wrong) > 3 else ''})"
    return [Part(not wrong, found, "Objects must be written without SSE headers (or with SSE-KMS and "
                                   f"{key_name(ctx)}) so the raw bucket's default encryption applies.")]


# The optional step (your own function) is deliberately not checked: skipping it never costs points.
CHECKS = [
    Check("function_invoked", "invoke the loader Lambda and find its run in CloudWatch Logs", function_invoked, 10),
    Check("raw_loaded", "the raw zone holds all 12 SIS and 141 LMS objects", raw_loaded, 10),
    Check("objects_encrypted", "every raw object is SSE-KMS encrypted with dataedu-key", objects_encrypted, 10),
]
