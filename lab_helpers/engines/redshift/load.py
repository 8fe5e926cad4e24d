"""load: what COPY (``copy_from``) and UNLOAD (``unload``) share — the IAM role they act as, S3 errors in
Redshift's words."""
from __future__ import annotations

import re

from ..ports import StoreAccessDenied, StoreError
from .errors import RedshiftError
from .sqltext import Options

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


# --- shared ------------------------------------------------------------------------------------------

def _auth(opts: Options, session, where: dict) -> bool:
    """Consume an authorization option; returns False if the next tokens are not one."""
    if opts.accept("IAM_ROLE"):
        where["role"] = "default" if opts.accept("DEFAULT") else opts.string()
        return True
    if opts.accept("CREDENTIALS"):
        opts.accept("AS")
        text = opts.string()
        m = re.search(r"aws_iam_role=([^;]+)", text)
        if not m:
            raise RedshiftError("the local Redshift engine accepts only role credentials "
                                "(CREDENTIALS 'aws_iam_role=arn:...') or IAM_ROLE", "0A000")
        where["role"] = m.group(1)
        return True
    if opts.accept("ACCESS_KEY_ID") or opts.accept("SECRET_ACCESS_KEY") or opts.accept("SESSION_TOKEN"):
        raise RedshiftError("use IAM_ROLE: the local Redshift engine acts as a role, not with access keys", "0A000")
    return False


def _role(session, where: dict, verb: str) -> str:
    role = where.get("role")
    if not role:
        raise RedshiftError(f"{verb} needs an IAM_ROLE (or IAM_ROLE default)", "42601")
    if role == "default":
        role = session.warehouse.default_role()
        if not role:
            raise RedshiftError("Default IAM role is not set. Set a default IAM role for the namespace or name "
                                "the role in IAM_ROLE.", "42704")
    return role.split(",")[-1].strip()


def _s3_error(e: StoreError, uri: str) -> RedshiftError:
    if isinstance(e, StoreAccessDenied) or e.code == "AccessDenied":
        return RedshiftError("S3ServiceException:Access Denied,Status 403,Error AccessDenied,Rid local", "XX000",
                             f"{uri}: {e.message}")
    if e.code == "NoSuchBucket":
        return RedshiftError("S3ServiceException:The specified bucket does not exist,Status 404,Error NoSuchBucket",
                             "XX000", uri)
    return RedshiftError(f"S3ServiceException:{e.message},Status {e.status},Error {e.code}", "XX000", uri)


def _store(session, where: dict, verb: str, region: str | None):
    return session.warehouse.lake.store_as(_role(session, where, verb), region or session.warehouse.region)


