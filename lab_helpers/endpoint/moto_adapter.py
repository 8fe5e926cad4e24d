"""The only module that touches moto internals: its WSGI app, its backends, its reset.

Engines read bulk S3 bytes here because it is ~100x faster than HTTP; everything else they do
through the public API (boto3 clients pointed at the endpoint itself). A moto upgrade that
moves these internals breaks here and nowhere else (tests/endpoint/test_moto_adapter.py).
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import moto
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

from ..engines.ports import FileCache, NoSuchBucket, NoSuchKey, ObjectInfo

MOTO_VERSION = moto.__version__
ACCOUNT_ID = DEFAULT_ACCOUNT_ID
REQUEST_HANDLER = MotoRequestHandler


def make_app() -> DomainDispatcherApplication:
    """moto's server-mode WSGI app (the control plane). Flask debug mode makes moto's
    exceptions propagate to our gateway, which turns them into AWS-shaped errors."""
    return DomainDispatcherApplication(create_backend_app)


def disable_bucket_policy_evaluation() -> None:
    """moto evaluates bucket policies without S3 condition keys, so a Deny conditioned on
    ``s3:x-amz-server-side-encryption`` blocks every upload. The kit's iam_lite guard evaluates
    bucket policies with the real condition keys instead (engines/iam/lite.py)."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    FakeBucket.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL


def reset() -> None:
    """Wipe every moto backend (what POST /moto-api/reset does)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


@functools.lru_cache(maxsize=512)
def operation_implemented(service: str, operation: str) -> bool | None:
    """Whether moto's responses class has a handler for the operation (None: cannot tell)."""
    import importlib
    import re

    module_name = {"lambda": "awslambda", "sagemaker-runtime": "sagemakerruntime",
                   "redshift-data": "redshiftdata", "logs": "logs"}.get(service, service.replace("-", ""))
    try:
        module = importlib.import_module(f"moto.{module_name}.responses")
    except ImportError:
        return False
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
    snake = re.sub(r"_+", "_", snake)
    for obj in vars(module).values():
        if isinstance(obj, type) and obj.__module__ == module.__name__ and hasattr(obj, snake):
            return True
    return None


# --- identities ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Principal:
    """Who signed a request: the account's own admin identity, or an assumed role session."""

    arn: str
    kind: str               # "root" | "assumed-role"
    role_arn: str = ""
    role_name: str = ""
    session_name: str = ""
    account_id: str = ACCOUNT_ID


def principal_for_access_key(access_key: str) -> Principal:
    from moto.sts.models import sts_backends

    if access_key:
        for partition_backends in sts_backends.get(ACCOUNT_ID, {}).values():
            role = partition_backends.get_assumed_role_from_access_key(access_key)
            if role is not None:
                role_name = role.role_arn.rsplit("/", 1)[-1]
                arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/{role.session_name}"
                return Principal(arn, "assumed-role", role.role_arn, role_name, role.session_name)
    # Any other key (the kit's dummy `test` credentials) is the learner's own admin identity,
    # which on AWS gets key access through the root-account statement of the key policy.
    return Principal(f"arn:aws:iam::{ACCOUNT_ID}:root", "root")


# --- S3 --------------------------------------------------------------------------------------

def _s3():
    from moto.s3.models import s3_backends

    return s3_backends[ACCOUNT_ID]["aws"]


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str
    encryption: str | None
    kms_key_id: str | None


def head_object(bucket: str, key: str) -> StoredObject | None:
    backend = _s3()
    if bucket not in backend.buckets:
        return None
    fake = backend.buckets[bucket].keys.get(key)
    if fake is None or not hasattr(type(fake), "value"):
        return None
    return StoredObject(key, fake.size, fake.etag.strip('"'), fake.encryption, fake.kms_key_id)


def bucket_encryption(bucket: str) -> dict | None:
    backend = _s3()
    if bucket not in backend.buckets:
        return None
    return backend.buckets[bucket].encryption


def bucket_policy(bucket: str) -> bytes | None:
    backend = _s3()
    if bucket not in backend.buckets:
        return None
    return backend.buckets[bucket].policy


class MotoObjectStore:
    """ObjectStore over moto's S3 backend: reads in-process, writes through the given client
    (so bucket default encryption, policies and iam_lite apply to engine writes too)."""

    def __init__(self, cache: FileCache, s3_client_factory=None):
        self.cache = cache
        self._client_factory = s3_client_factory
        self._lock = threading.Lock()

    def list_objects(self, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        backend = _s3()
        if bucket not in backend.buckets:
            raise NoSuchBucket(bucket)
        out = []
        for name, fake in list(backend.buckets[bucket].keys.items()):
            if name.startswith(prefix) and hasattr(type(fake), "value"):
                out.append(ObjectInfo(name, fake.size, fake.etag.strip('"')))
        out.sort(key=lambda o: o.key)
        return out

    def _fake(self, bucket: str, key: str):
        backend = _s3()
        if bucket not in backend.buckets:
            raise NoSuchBucket(bucket)
        fake = backend.buckets[bucket].keys.get(key)
        # hasattr(fake, "value") would run moto's property, which copies the whole object
        if fake is None or not hasattr(type(fake), "value"):   # a delete marker has no value
            raise NoSuchKey(bucket, key)
        return fake

    def get_object(self, bucket: str, key: str) -> bytes:
        return self._fake(bucket, key).value

    def get_object_range(self, bucket: str, key: str, start: int, end: int) -> bytes:
        """Bytes [start, end) without copying the whole object."""
        fake = self._fake(bucket, key)
        with fake.lock:
            fake._value_buffer.seek(start)
            return fake._value_buffer.read(max(0, end - start))

    def local_path(self, bucket: str, key: str) -> str:
        fake = self._fake(bucket, key)
        return self.cache.path_for(bucket, key, fake.etag.strip('"'), lambda: fake.value)

    def put_object(self, bucket: str, key: str, data: bytes, content_type: str = "") -> None:
        client = self._client_factory()
        kwargs = {"ContentType": content_type} if content_type else {}
        client.put_object(Bucket=bucket, Key=key, Body=data, **kwargs)

    def delete_object(self, bucket: str, key: str) -> None:
        self._client_factory().delete_object(Bucket=bucket, Key=key)


# --- Lambda ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LambdaCode:
    name: str
    handler: str
    runtime: str
    code_zip: bytes
    code_sha256: str
    environment: dict
    timeout: float
    memory_mb: int
    role: str
    package_type: str
    version: str


def lambda_function(name_or_arn: str, region: str, qualifier: str | None = None) -> LambdaCode | None:
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[ACCOUNT_ID][region]
    try:
        fn = backend.get_function(name_or_arn, qualifier)
    except Exception:
        return None
    return LambdaCode(
        name=fn.function_name, handler=fn.handler or "", runtime=fn.run_time or "",
        code_zip=fn.code_bytes or b"", code_sha256=fn.code_sha_256 or "",
        environment=dict(fn.environment_vars or {}), timeout=float(fn.timeout or 3),
        memory_mb=int(fn.memory_size or 128), role=fn.role, package_type=fn.package_type or "Zip",
        version=str(fn.version),
    )


# --- KMS and IAM (for iam_lite) -------------------------------------------------------------

@dataclass(frozen=True)
class KmsKey:
    arn: str
    key_id: str
    policy: str
    state: str


def kms_key(key_ref: str, region: str) -> KmsKey | None:
    """Resolve a key id, key ARN, alias or alias ARN to the key (None if it does not exist)."""
    from moto.kms.models import kms_backends

    if ":kms:" in key_ref and key_ref.startswith("arn:"):
        region = key_ref.split(":")[3] or region
    backend = kms_backends[ACCOUNT_ID][region]
    try:
        key = backend.describe_key(key_ref)
    except Exception:
        return None
    return KmsKey(key.arn, key.id, key.policy, key.key_state)


def role_policy_documents(role_name: str) -> list[str]:
    """Inline and attached managed policy documents (JSON text) of an IAM role."""
    from moto.iam.models import iam_backends

    backend = iam_backends[ACCOUNT_ID]["global"]
    try:
        role = backend.get_role(role_name)
    except Exception:
        return []
    docs = list(role.policies.values())
    for policy in role.managed_policies.values():
        for version in getattr(policy, "versions", []):
            if getattr(version, "is_default", False):
                docs.append(version.document)
    return docs


# --- Glue crawlers ---------------------------------------------------------------------------

def glue_crawler(name: str, region: str) -> dict | None:
    """The crawler definition as GetCrawler returns it (moto's stored fields)."""
    from moto.glue.models import glue_backends

    try:
        return glue_backends[ACCOUNT_ID][region].get_crawler(name).as_dict()
    except Exception:
        return None


def glue_crawler_names(region: str) -> list[str]:
    from moto.glue.models import glue_backends

    return sorted(c.name for c in glue_backends[ACCOUNT_ID][region].get_crawlers())


def seed_object(bucket: str, key: str, data: bytes) -> None:
    """Put bytes straight into moto's S3 (benchmarks seeding gigabytes; no policies applied)."""
    _s3().put_object(bucket, key, data)


# UpdateCrawler's request fields -> moto's FakeCrawler attributes (moto 5.2 has no update_crawler).
_CRAWLER_FIELDS = {"Role": "role", "DatabaseName": "database_name", "Description": "description",
                   "Targets": "targets", "Classifiers": "classifiers", "TablePrefix": "table_prefix",
                   "SchemaChangePolicy": "schema_change_policy", "RecrawlPolicy": "recrawl_policy",
                   "LineageConfiguration": "lineage_configuration", "Configuration": "configuration",
                   "CrawlerSecurityConfiguration": "crawler_security_configuration"}


def update_glue_crawler(name: str, region: str, fields: dict) -> bool:
    """Apply UpdateCrawler's fields to the stored crawler; False if there is no such crawler."""
    from moto.glue.models import glue_backends

    try:
        crawler = glue_backends[ACCOUNT_ID][region].get_crawler(name)
    except Exception:
        return False
    for key, attr in _CRAWLER_FIELDS.items():
        if key in fields:
            setattr(crawler, attr, fields[key])
    if "Schedule" in fields:
        crawler.schedule = fields["Schedule"]
    crawler.version += 1
    crawler.last_updated = _utcnow()
    return True


def _utcnow():
    from moto.core.utils import utcnow

    return utcnow()


# --- Athena workgroups -----------------------------------------------------------------------

def update_athena_work_group(name: str, region: str, configuration: dict, description: str | None = None,
                             state: str | None = None) -> bool:
    """Store a workgroup's new configuration (moto 5.2 has no UpdateWorkGroup); False if it does not exist."""
    from moto.athena.models import athena_backends

    work_group = athena_backends[ACCOUNT_ID][region].work_groups.get(name)
    if work_group is None:
        return False
    work_group.configuration = configuration
    if description is not None:
        work_group.description = description
    if state is not None:
        work_group.state = state   # moto keeps ENABLED as a class attribute; this shadows it per workgroup
    return True
