"""lite: the S3 guards and the role-scoped object store that enforce KMS key policies and bucket-policy denies."""
from __future__ import annotations

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


def check_kms(principal: Principal, key_ref: str, action: str, region: str) -> None:
    """Raise StoreAccessDenied with AWS's text unless the principal may use the key."""
    if principal.kind == "root":
        return
    key = moto_kms.kms_key(key_ref, region)
    if key is None:
        raise StoreAccessDenied(f"Invalid keyId {key_ref}")
    if key.state != "Enabled":
        raise StoreAccessDenied(f"{key.arn} is {key.state.lower()} and cannot be used ({action}).")
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
    raise EngineError("AccessDenied", exc.message, 403)


def guard_write(request, ctx):
    principal = moto_sts.principal_for_access_key(request.access_key)
    bucket, key = request.path_params.get("Bucket", ""), request.path_params.get("Key", "")
    try:
        if request.operation == "CopyObject":
            source = request.headers.get("x-amz-copy-source", "").lstrip("/").split("?")[0]
            from urllib.parse import unquote

            src_bucket, _, src_key = unquote(source).partition("/")
            check_object_read(principal, src_bucket, src_key, request.region)
        check_object_write(principal, bucket, key, request.headers, request.region)
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
