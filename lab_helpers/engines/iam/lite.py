"""lite: the S3 guards and the role-scoped object store that enforce KMS key policies and bucket-policy denies."""
from __future__ import annotations

import re
from urllib.parse import unquote

from ...endpoint.moto.accounts import current as current_account
from ...endpoint.moto import iam as moto_iam, kms as moto_kms, s3 as moto_s3, sts as moto_sts
from ...endpoint.moto.sts import Principal
from ...endpoint.registry import EngineError
from .policy import as_list as _as_list
from .policy import condition_holds as _condition_holds
from .policy import matches as _matches
from .policy import principal_matches as _principal_matches
from .policy import statements as _statements
from ..ports import StoreAccessDenied

SSE_HEADER = "x-amz-server-side-encryption"
SSE_KEY_HEADER = "x-amz-server-side-encryption-aws-kms-key-id"


# --- policy evaluation (pure helpers live in policy.py, shared with the check cells) ---------

def _identity_allows(principal: Principal, action: str, resource: str) -> bool:
    allowed = False
    for doc in moto_iam.role_policy_documents(principal.role_name):
        for st in _statements(doc):
            if not _matches(st.get("Action"), action) or not _matches(st.get("Resource", "*"), resource):
                continue
            if st.get("Effect") == "Deny":
                return False
            if st.get("Effect") == "Allow" and not st.get("Condition"):
                allowed = True
    return allowed


def kms_allows(principal: Principal, key: moto_kms.KmsKey, action: str) -> bool:
    """Would AWS let this principal call ``action`` on the key? (key policy + delegated IAM)."""
    if principal.kind == "root":
        return True
    allowed = delegated = False
    for st in _statements(key.policy):
        if not _matches(st.get("Action"), action):
            continue
        root_statement = isinstance(st.get("Principal"), dict) and any(
            a in (f"arn:aws:iam::{principal.account_id}:root", principal.account_id)
            for a in _as_list(st["Principal"].get("AWS")))
        if st.get("Effect") == "Allow" and root_statement:
            delegated = True
            continue
        if not _principal_matches(st, principal) or st.get("Condition"):
            continue
        if st.get("Effect") == "Deny":
            return False
        if st.get("Effect") == "Allow":
            allowed = True
    if allowed:
        return True
    return delegated and _identity_allows(principal, action, key.arn)


def kms_denied_message(principal: Principal, action: str, key_arn: str) -> str:
    return (f"User: {principal.arn} is not authorized to perform: {action} on resource: {key_arn} "
            f"because no resource-based policy allows the {action} action")


class KmsKeyUnusable(StoreAccessDenied):
    """The key does not exist or is not enabled. S3 answers any caller, the account's admin too,
    with KMS's own error as a 400 (``KMS.NotFoundException``, ``KMS.DisabledException``,
    ``KMS.KMSInvalidStateException``); engines reading as a role see an access failure."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.status = code, 400


# S3 creates the AWS managed key aws/s3 on first use, so it always exists for S3.
AWS_MANAGED_S3_KEY = "alias/aws/s3"


def usable_key(key_ref: str, region: str) -> moto_kms.KmsKey | None:
    """The key S3 would encrypt or decrypt with; KmsKeyUnusable with KMS's text if it cannot.

    Messages as KMS words them (S3 passes them on): a key id or key ARN that names no key,
    ``Key '<arn>' does not exist``; an alias, ``Alias <alias arn> is not found.``; a key ARN of
    another region, ``Invalid arn <region>`` (S3 uses keys of the bucket's region only); anything
    else, ``Invalid keyId <ref>`` (e.g. ``aws/s3`` without ``alias/``)."""
    arn_region = key_ref.split(":")[3] if key_ref.startswith("arn:") and key_ref.count(":") >= 5 else ""
    if arn_region and arn_region != region:
        raise KmsKeyUnusable("KMS.NotFoundException", f"Invalid arn {arn_region}")
    key = moto_kms.kms_key(key_ref, region)
    if key is None:
        if key_ref == AWS_MANAGED_S3_KEY:
            return None
        raise KmsKeyUnusable("KMS.NotFoundException", _not_found_message(key_ref, region))
    if key.state == "PendingDeletion":
        raise KmsKeyUnusable("KMS.KMSInvalidStateException", f"{key.arn} is pending deletion.")
    if key.state != "Enabled":
        raise KmsKeyUnusable("KMS.DisabledException", f"{key.arn} is disabled.")
    return key


def _not_found_message(key_ref: str, region: str) -> str:
    name = key_ref.split(":", 5)[5] if key_ref.startswith("arn:") and key_ref.count(":") >= 5 else key_ref
    account = key_ref.split(":")[4] if key_ref.startswith("arn:") else current_account()
    if name.startswith("alias/"):
        return f"Alias arn:aws:kms:{region}:{account}:{name} is not found."
    key_id = name.removeprefix("key/")
    if re.fullmatch(r"(mrk-)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|mrk-[0-9a-f]{32}", key_id):
        return f"Key 'arn:aws:kms:{region}:{account}:key/{key_id}' does not exist"
    return f"Invalid keyId {key_ref}"


def check_kms(principal: Principal, key_ref: str, action: str, region: str) -> None:
    """Raise StoreAccessDenied with AWS's text unless the principal may use the key
    (KmsKeyUnusable, for every principal, if the key is missing or not enabled)."""
    key = usable_key(key_ref, region)
    if principal.kind == "root" or key is None:
        return
    if not kms_allows(principal, key, action):
        raise StoreAccessDenied(kms_denied_message(principal, action, key.arn))


def check_bucket_policy_put(principal: Principal, bucket: str, key: str, headers: dict[str, str]) -> None:
    policy = moto_s3.bucket_policy(bucket)
    context = {f"s3:{SSE_HEADER}": headers.get(SSE_HEADER), f"s3:{SSE_KEY_HEADER}": headers.get(SSE_KEY_HEADER)}
    context = {k: v for k, v in context.items() if v is not None}
    resource = f"arn:aws:s3:::{bucket}/{key}"
    for st in _statements(policy):
        if st.get("Effect") != "Deny" or not _principal_matches(st, principal):
            continue
        if not _matches(st.get("Action"), "s3:PutObject") or not _matches(st.get("Resource"), resource):
            continue
        if _condition_holds(st.get("Condition"), context):
            raise StoreAccessDenied(
                f"User: {principal.arn} is not authorized to perform: s3:PutObject on resource: "
                f"\"{resource}\" with an explicit deny in a resource-based policy")


# --- object checks (used by the gateway guard and by engines acting as a role) ---------------

def check_object_write(principal: Principal, bucket: str, key: str, headers: dict[str, str], region: str) -> None:
    check_bucket_policy_put(principal, bucket, key, headers)
    algorithm = headers.get(SSE_HEADER)
    key_ref = headers.get(SSE_KEY_HEADER)
    if algorithm is None:
        default = moto_s3.bucket_encryption(bucket) or {}
        for rule in _as_list(default.get("Rule")) + _as_list(default.get("Rules")):
            by_default = rule.get("ApplyServerSideEncryptionByDefault", {})
            algorithm = by_default.get("SSEAlgorithm")
            key_ref = by_default.get("KMSMasterKeyID")
    if algorithm in ("aws:kms", "aws:kms:dsse"):
        check_kms(principal, key_ref or "alias/aws/s3", "kms:GenerateDataKey", region)


def check_object_read(principal: Principal, bucket: str, key: str, region: str) -> None:
    obj = moto_s3.head_object(bucket, key)
    if obj is not None and obj.encryption in ("aws:kms", "aws:kms:dsse") and obj.kms_key_id:
        check_kms(principal, obj.kms_key_id, "kms:Decrypt", region)


class RoleObjectStore:
    """An ObjectStore that reads as an IAM role would (engines acting as the crawler's role)."""

    def __init__(self, inner, principal: Principal, region: str = "us-east-1"):
        self.inner = inner
        self.principal = principal
        self.region = region

    def list_objects(self, bucket, prefix=""):
        return self.inner.list_objects(bucket, prefix)

    def get_object(self, bucket, key):
        check_object_read(self.principal, bucket, key, self.region)
        return self.inner.get_object(bucket, key)

    def get_object_range(self, bucket, key, start, end):
        check_object_read(self.principal, bucket, key, self.region)
        if hasattr(self.inner, "get_object_range"):
            return self.inner.get_object_range(bucket, key, start, end)
        return self.inner.get_object(bucket, key)[start:end]

    def local_path(self, bucket, key):
        check_object_read(self.principal, bucket, key, self.region)
        return self.inner.local_path(bucket, key)

    def put_object(self, bucket, key, data, content_type=""):
        check_object_write(self.principal, bucket, key, {}, self.region)
        return self.inner.put_object(bucket, key, data, content_type)

    def delete_object(self, bucket, key):
        return self.inner.delete_object(bucket, key)


# --- gateway guards ----------------------------------------------------------------------------

def _denied(exc: StoreAccessDenied):
    raise EngineError(exc.code, exc.message, exc.status)


def _copy_source(request) -> tuple[str, str]:
    source = unquote(request.headers.get("x-amz-copy-source", "").split("?")[0]).lstrip("/")
    src_bucket, _, src_key = source.partition("/")
    return src_bucket, src_key


def guard_write(request, ctx):
    """PutObject, CopyObject, CreateMultipartUpload (composed into engines/s3's guards)."""
    principal = moto_sts.principal_for_access_key(request.access_key)
    bucket, key = request.path_params.get("Bucket", ""), request.path_params.get("Key", "")
    try:
        if request.operation == "CopyObject":
            check_object_read(principal, *_copy_source(request), request.region)
        check_object_write(principal, bucket, key, request.headers, request.region)
    except StoreAccessDenied as exc:
        _denied(exc)
    return None


def guard_copy_source(request, ctx):
    """UploadPartCopy: reading the source needs Decrypt on its key (the upload's own key was
    checked when the upload was created)."""
    principal = moto_sts.principal_for_access_key(request.access_key)
    try:
        check_object_read(principal, *_copy_source(request), request.region)
    except StoreAccessDenied as exc:
        _denied(exc)
    return None


def guard_read(request, ctx):
    principal = moto_sts.principal_for_access_key(request.access_key)
    try:
        check_object_read(principal, request.path_params.get("Bucket", ""), request.path_params.get("Key", ""),
                          request.region)
    except StoreAccessDenied as exc:
        _denied(exc)
    return None
