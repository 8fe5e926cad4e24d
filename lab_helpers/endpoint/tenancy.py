"""tenancy: a request never reaches a bucket of another account.

moto keeps every account's resources apart, except S3's: bucket names are global (as on AWS), and
moto serves any account's bucket to anyone who names it. On AWS a bucket of another account answers
``AccessDenied`` unless its bucket policy grants access; the kit's class mode gives every learner an
account of their own, so the gateway refuses such requests the way AWS does (bucket policies that
grant other accounts are not evaluated: no lab uses cross-account access). CreateBucket on a taken
name still reaches moto, which answers ``BucketAlreadyExists`` like AWS.
"""
from __future__ import annotations

from urllib.parse import unquote

from .moto import s3 as moto_s3


def _bucket_of(path: str, info) -> str:
    bucket = (info.path_params or {}).get("Bucket", "")
    if bucket:
        return bucket
    return unquote(path.lstrip("/").split("/", 1)[0]) if path.strip("/") else ""


def refusal(info, path: str, headers: dict[str, str], account: str) -> tuple[str, str, int] | None:
    """(code, message, status) when the request names a bucket (or copy source) another account owns."""
    if info.service != "s3" or info.operation in ("CreateBucket", "ListBuckets", ""):
        return None
    names = [_bucket_of(path, info)]
    source = headers.get("x-amz-copy-source", "")
    if source:
        names.append(unquote(source).lstrip("/").split("/", 1)[0])
    for name in filter(None, names):
        owner = moto_s3.bucket_account(name)
        if owner is not None and owner != account:
            return "AccessDenied", "Access Denied", 403
    return None
