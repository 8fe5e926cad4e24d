"""s3: object bytes read in-process (~100x faster than HTTP), and what iam_lite needs of a bucket.

Writes go through the S3 API (a boto3 client on the endpoint), so default encryption, bucket
policies and iam_lite apply to engine writes too; only ``seed_object`` (benchmarks) bypasses it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from moto.s3.exceptions import MissingBucket
from moto.s3.models import FakeBucket, FakeKey, s3_backends

from ...engines.ports import FileCache, NoSuchBucket, NoSuchKey, ObjectInfo
from .accounts import current


def _backend():
    return s3_backends[current()]["aws"]


def bucket_account(name: str) -> str | None:
    """The account that owns a bucket (bucket names are global, as on AWS); None if none does."""
    owner = s3_backends.bucket_accounts.get(name)   # moto 5.2: (partition, account id)
    return owner[1] if isinstance(owner, tuple) else owner


def _bucket(name: str) -> FakeBucket | None:
    try:
        return _backend().get_bucket(name)
    except MissingBucket:
        return None


def _latest(bucket: FakeBucket, key: str) -> FakeKey | None:
    """The current version of an object; None if there is none or it is a delete marker.

    ``bucket.keys.get`` is used rather than ``S3Backend.get_object``, which advances the key's
    lifecycle state on every call; the isinstance test never touches ``FakeKey.value`` (a
    property that copies the whole object)."""
    fake = bucket.keys.get(key)
    return fake if isinstance(fake, FakeKey) else None


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str
    encryption: str | None
    kms_key_id: str | None


def head_object(bucket: str, key: str) -> StoredObject | None:
    found = _bucket(bucket)
    fake = _latest(found, key) if found is not None else None
    if fake is None:
        return None
    return StoredObject(key, fake.size, fake.etag.strip('"'), fake.encryption, fake.kms_key_id)


def bucket_encryption(bucket: str) -> dict | None:
    found = _bucket(bucket)
    return found.encryption if found is not None else None


def bucket_policy(bucket: str) -> bytes | None:
    found = _bucket(bucket)
    return found.policy if found is not None else None


def seed_object(bucket: str, key: str, data: bytes) -> None:
    """Put bytes straight into moto's S3 (benchmarks seeding gigabytes; no policies applied)."""
    _backend().put_object(bucket, key, data)


class MotoObjectStore:
    """ObjectStore over moto's S3 backend: reads in-process, writes through the given client
    (so bucket default encryption, policies and iam_lite apply to engine writes too)."""

    def __init__(self, cache: FileCache, s3_client_factory=None):
        self.cache = cache
        self._client_factory = s3_client_factory
        self._lock = threading.Lock()

    def list_objects(self, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        found = _bucket(bucket)
        if found is None:
            raise NoSuchBucket(bucket)
        out = []
        for name, fake in list(found.keys.items()):
            if name.startswith(prefix) and isinstance(fake, FakeKey):
                out.append(ObjectInfo(name, fake.size, fake.etag.strip('"')))
        out.sort(key=lambda o: o.key)
        return out

    def _fake(self, bucket: str, key: str) -> FakeKey:
        found = _bucket(bucket)
        if found is None:
            raise NoSuchBucket(bucket)
        fake = _latest(found, key)
        if fake is None:
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
