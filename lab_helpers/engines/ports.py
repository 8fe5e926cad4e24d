"""The two ports every engine core talks through: a Glue catalog and an S3 object store.

Engine cores (Athena SQL, the crawler, DataBrew jobs, Redshift SQL) never touch moto or HTTP.
They receive a ``Catalog`` and an ``ObjectStore``; the endpoint wires those to moto's backends
(``endpoint/moto/s3.py``), and tests wire them to the in-memory fakes below. Shapes follow
the Glue API exactly (``GetTable``'s ``Table``, ``TableInput``, ``PartitionInput``), so a core
written against the fakes behaves the same behind boto3.
"""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from typing import Protocol


class StoreError(Exception):
    """An S3 operation failed the way S3 would fail it (code + message)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class StoreAccessDenied(StoreError):
    """The caller's identity may not read/write this object (e.g. no KMS key-user rights)."""

    def __init__(self, message: str):
        super().__init__("AccessDenied", message, 403)


class NoSuchKey(StoreError):
    def __init__(self, bucket: str, key: str):
        super().__init__("NoSuchKey", f"The specified key does not exist. (s3://{bucket}/{key})", 404)


class NoSuchBucket(StoreError):
    def __init__(self, bucket: str):
        super().__init__("NoSuchBucket", f"The specified bucket does not exist: {bucket}", 404)


class CatalogError(Exception):
    """A Glue catalog call failed (``code`` is the Glue exception name)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str = ""


class ObjectStore(Protocol):
    def list_objects(self, bucket: str, prefix: str = "") -> list[ObjectInfo]: ...
    def get_object(self, bucket: str, key: str) -> bytes: ...
    def local_path(self, bucket: str, key: str) -> str:
        """A local file holding the object's bytes (cached by etag), for DuckDB/pyarrow to read."""
        ...
    def put_object(self, bucket: str, key: str, data: bytes, content_type: str = "") -> None: ...
    def delete_object(self, bucket: str, key: str) -> None: ...


class Catalog(Protocol):
    def list_databases(self) -> list[dict]: ...
    def get_database(self, name: str) -> dict | None: ...
    def create_database(self, name: str, description: str = "", location_uri: str = "") -> None: ...
    def delete_database(self, name: str) -> None: ...
    def list_tables(self, database: str) -> list[dict]: ...
    def get_table(self, database: str, name: str) -> dict | None: ...
    def create_table(self, database: str, table_input: dict) -> None: ...
    def update_table(self, database: str, table_input: dict) -> None: ...
    def delete_table(self, database: str, name: str) -> None: ...
    def get_partitions(self, database: str, table: str) -> list[dict]: ...
    def create_partitions(self, database: str, table: str, partition_inputs: list[dict]) -> None: ...
    def delete_partition(self, database: str, table: str, values: list[str]) -> None: ...


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")``; raises ValueError on anything else."""
    if not uri.startswith(("s3://", "s3a://", "s3n://")):
        raise ValueError(f"not an S3 URI: {uri!r}")
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise ValueError(f"S3 URI has no bucket: {uri!r}")
    return bucket, key


class FileCache:
    """Local copies of objects keyed by (bucket, key, etag): DuckDB and pyarrow read files."""

    def __init__(self, root: str | None = None):
        self.root = root or tempfile.mkdtemp(prefix="labkit-objcache-")
        self._lock = threading.Lock()

    def path_for(self, bucket: str, key: str, etag: str, loader) -> str:
        digest = hashlib.sha1(f"{bucket}\0{key}\0{etag}".encode()).hexdigest()
        suffix = os.path.splitext(key)[1][:12]
        path = os.path.join(self.root, digest[:2], digest + suffix)
        if os.path.exists(path):
            return path
        data = loader()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return path


class MemoryStore:
    """In-memory ObjectStore for tests of engine cores."""

    def __init__(self, cache_root: str | None = None):
        self.buckets: dict[str, dict[str, bytes]] = {}
        self.cache = FileCache(cache_root)

    def create_bucket(self, bucket: str) -> None:
        self.buckets.setdefault(bucket, {})

    def _bucket(self, bucket: str) -> dict[str, bytes]:
        if bucket not in self.buckets:
            raise NoSuchBucket(bucket)
        return self.buckets[bucket]

    def list_objects(self, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        objs = self._bucket(bucket)
        return [
            ObjectInfo(k, len(v), hashlib.md5(v).hexdigest())
            for k, v in sorted(objs.items())
            if k.startswith(prefix)
        ]

    def get_object(self, bucket: str, key: str) -> bytes:
        objs = self._bucket(bucket)
        if key not in objs:
            raise NoSuchKey(bucket, key)
        return objs[key]

    def local_path(self, bucket: str, key: str) -> str:
        data = self.get_object(bucket, key)
        return self.cache.path_for(bucket, key, hashlib.md5(data).hexdigest(), lambda: data)

    def put_object(self, bucket: str, key: str, data: bytes, content_type: str = "") -> None:
        self._bucket(bucket)[key] = bytes(data)

    def delete_object(self, bucket: str, key: str) -> None:
        self._bucket(bucket).pop(key, None)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


class MemoryCatalog:
    """In-memory Glue Data Catalog with Glue's shapes and error codes, for tests."""

    def __init__(self):
        self.databases: dict[str, dict] = {}
        self.tables: dict[tuple[str, str], dict] = {}
        self.partitions: dict[tuple[str, str], dict[tuple[str, ...], dict]] = {}

    def list_databases(self) -> list[dict]:
        return [copy.deepcopy(d) for _, d in sorted(self.databases.items())]

    def get_database(self, name: str) -> dict | None:
        d = self.databases.get(name.lower())
        return copy.deepcopy(d) if d else None

    def create_database(self, name: str, description: str = "", location_uri: str = "") -> None:
        name = name.lower()
        if name in self.databases:
            raise CatalogError("AlreadyExistsException", f"Database {name} already exists.")
        self.databases[name] = {
            "Name": name, "Description": description, "LocationUri": location_uri,
            "Parameters": {}, "CreateTime": _now(),
        }

    def delete_database(self, name: str) -> None:
        name = name.lower()
        if name not in self.databases:
            raise CatalogError("EntityNotFoundException", f"Database {name} not found.")
        del self.databases[name]
        for key in [k for k in self.tables if k[0] == name]:
            del self.tables[key]
            self.partitions.pop(key, None)

    def _need_db(self, database: str) -> str:
        database = database.lower()
        if database not in self.databases:
            raise CatalogError("EntityNotFoundException", f"Database {database} not found.")
        return database

    def list_tables(self, database: str) -> list[dict]:
        database = self._need_db(database)
        return [copy.deepcopy(t) for (db, _), t in sorted(self.tables.items()) if db == database]

    def get_table(self, database: str, name: str) -> dict | None:
        t = self.tables.get((database.lower(), name.lower()))
        return copy.deepcopy(t) if t else None

    def create_table(self, database: str, table_input: dict) -> None:
        database = self._need_db(database)
        name = table_input["Name"].lower()
        if (database, name) in self.tables:
            raise CatalogError("AlreadyExistsException", f"Table {name} already exists.")
        table = copy.deepcopy(table_input)
        table.update({"Name": name, "DatabaseName": database, "CreateTime": _now(), "UpdateTime": _now()})
        self.tables[(database, name)] = table
        self.partitions[(database, name)] = {}

    def update_table(self, database: str, table_input: dict) -> None:
        database = self._need_db(database)
        name = table_input["Name"].lower()
        if (database, name) not in self.tables:
            raise CatalogError("EntityNotFoundException", f"Table {name} not found.")
        table = copy.deepcopy(table_input)
        table.update({
            "Name": name, "DatabaseName": database,
            "CreateTime": self.tables[(database, name)]["CreateTime"], "UpdateTime": _now(),
        })
        self.tables[(database, name)] = table

    def delete_table(self, database: str, name: str) -> None:
        key = (self._need_db(database), name.lower())
        if key not in self.tables:
            raise CatalogError("EntityNotFoundException", f"Table {name} not found.")
        del self.tables[key]
        self.partitions.pop(key, None)

    def get_partitions(self, database: str, table: str) -> list[dict]:
        key = (database.lower(), table.lower())
        if key not in self.tables:
            raise CatalogError("EntityNotFoundException", f"Table {table} not found.")
        return [copy.deepcopy(p) for _, p in sorted(self.partitions[key].items())]

    def create_partitions(self, database: str, table: str, partition_inputs: list[dict]) -> None:
        key = (database.lower(), table.lower())
        if key not in self.tables:
            raise CatalogError("EntityNotFoundException", f"Table {table} not found.")
        for p in partition_inputs:
            values = tuple(p["Values"])
            if values in self.partitions[key]:
                raise CatalogError("AlreadyExistsException", f"Partition {list(values)} already exists.")
            part = copy.deepcopy(p)
            part.update({"DatabaseName": key[0], "TableName": key[1], "CreationTime": _now()})
            self.partitions[key][values] = part

    def delete_partition(self, database: str, table: str, values: list[str]) -> None:
        key = (database.lower(), table.lower())
        if key not in self.tables or tuple(values) not in self.partitions[key]:
            raise CatalogError("EntityNotFoundException", f"Partition {values} not found.")
        del self.partitions[key][tuple(values)]
