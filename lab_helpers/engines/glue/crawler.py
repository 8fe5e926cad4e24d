"""glue (crawler core): one crawl of S3 targets into the Glue Data Catalog, as a Glue crawler does it.

Pure: it talks to an ``ObjectStore`` (acting as the crawler's IAM role) and a ``Catalog`` only;
the endpoint owns the crawler state machine, LastCrawl, metrics and CloudWatch delivery.

Emulated:
- S3 targets: include path (folder or single object), exclude patterns (Glue glob dialect),
  ``SampleSize``; zero-byte objects, folder markers and ``_``/``.`` hidden files skipped;
- built-in classifiers Parquet (footer only), JSON (lines or one document), CSV (``,`` ``|``
  tab ``;`` Ctrl-A; Glue's header rules; ``col0``...) on bounded samples, gzip/bzip2 text,
  estimated ``recordCount`` (exact for Parquet); see glue_classifiers;
- grouping into tables by folder, data compatibility and schema similarity (70% / 5
  clusters), ``CombineCompatibleSchemas``, Hive ``key=value`` and ``partition_N`` partitions
  typed string, hash-suffixed names on clashes, ``TablePrefix``; see glue_grouping;
- table and partition definitions as crawlers write them (formats, SerDe, parameters,
  ``UPDATED_BY_CRAWLER``, per-partition statistics); ``SchemaChangePolicy`` (UPDATE_IN_DATABASE
  / LOG; DELETE_FROM_DATABASE / DEPRECATE_IN_DATABASE / LOG), ``MergeNewColumns``,
  ``InheritFromTable``, ``TableThreshold``, ``CRAWL_NEW_FOLDERS_ONLY`` (new partitions of known
  tables only, update/delete forced to LOG); the database is created when missing;
- Glue's log lines (``BENCHMARK : Running Start Crawl for Crawler ...``, ``Created table``,
  ``Created partitions with values``, the S3 ``Access Denied`` read error, run summary).

LIMITATIONS: custom classifiers (grok, XML, JSON path, CSV) and non-S3 targets (JDBC,
DynamoDB, catalog, Delta/Iceberg/Hudi) end the crawl FAILED with a message; Avro, ORC, XML,
Ion and log formats are UNKNOWN and skipped (Glue would create an UNKNOWN table); ZIP and
Snappy/LZ4-compressed text are not decoded; Glue's exact similarity measure is not public, so
"similar" here means one column set contains the other or they share >= 70% of names;
``TableLevelConfiguration``, partition indexes, Lake Formation credentials, S3 event mode and
``CreatePartitionIndex`` are ignored; a crawl whose objects are all unreadable ends FAILED
(the kit's choice: AWS may report SUCCEEDED with only the logged error); partitions are
updated by delete + create (the Catalog port has no UpdatePartition).
"""
from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

from .classifiers import FileSchema, classify, with_estimate
from .catalog_writer import CatalogWriter, assign_names, norm
from .grouping import (Entry, TableSpec, compile_exclusions, excluded, group_tables, is_hidden,
                            partition_value)
from ..ports import Catalog, CatalogError, ObjectStore, StoreAccessDenied, StoreError, split_s3_uri

OTHER_TARGETS = ("JdbcTargets", "MongoDBTargets", "DynamoDBTargets", "CatalogTargets",
                 "DeltaTargets", "IcebergTargets", "HudiTargets")
MAX_SKIP_LOGS = 20


@dataclass
class CrawlOutcome:
    status: str = "SUCCEEDED"            # Glue LastCrawl.Status: SUCCEEDED | FAILED
    error_message: str = ""
    tables_created: list[str] = field(default_factory=list)
    tables_updated: list[str] = field(default_factory=list)
    tables_deleted: list[str] = field(default_factory=list)
    partitions_created: int = 0
    partitions_updated: int = 0
    log_lines: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.status = "FAILED"
        self.error_message = f"{self.error_message} {message}".strip() if self.error_message else message


class _Failure(Exception):
    """Ends the crawl FAILED with this (Glue-like, teaching) message."""


class _Stopped(Exception):
    """StopCrawler arrived: end the crawl CANCELLED before anything more is written."""


def crawl(crawler: dict, store: ObjectStore, catalog: Catalog, *, crawl_id: str = "",
          stopped: Callable[[], bool] | None = None) -> CrawlOutcome:
    """Run one crawl; never raises: any error ends in status FAILED with its message.

    ``stopped`` is polled between objects and before the Data Catalog is written: once it
    answers True the crawl ends CANCELLED and writes nothing more (StopCrawler)."""
    crawl_id = crawl_id or str(uuid.uuid4())
    outcome = CrawlOutcome()
    log = _Log(crawl_id, outcome.log_lines)
    log("BENCHMARK", f"Running Start Crawl for Crawler {crawler.get('Name', '')}")
    try:
        _Crawl(crawler, store, catalog, outcome, log, crawl_id, stopped).run()
    except _Stopped:
        outcome.status = "CANCELLED"
        log("BENCHMARK", "Crawler was stopped: nothing more is written to the Data Catalog")
    except _Failure as exc:
        outcome.fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken crawl must never take the endpoint down
        outcome.fail(f"Internal error in the local crawler: {type(exc).__name__}: {exc}")
    if outcome.status == "FAILED":
        log("ERROR", outcome.error_message)
    log("BENCHMARK", "Crawler has finished running and is in state READY")
    return outcome


class _Log:
    def __init__(self, crawl_id: str, lines: list[str]):
        self.crawl_id, self.lines = crawl_id, lines

    def __call__(self, level: str, message: str) -> None:
        self.lines.append(f"[{self.crawl_id}] {level} : {message}")


def _s3_error_text(code: str, message: str, status: int, seed: str) -> str:
    """The AWS SDK for Java text Glue logs for an S3 error (request ids derived, not random)."""
    digest = hashlib.sha256(seed.encode()).digest()
    request_id = hashlib.md5(digest).hexdigest()[:16].upper()
    ext = base64.b64encode(digest + digest[:24]).decode()
    return (f"com.amazonaws.services.s3.model.AmazonS3Exception: {message} (Service: Amazon S3; "
            f"Status Code: {status}; Error Code: {code}; Request ID: {request_id}; "
            f"S3 Extended Request ID: {ext}; Proxy: null), S3 Extended Request ID: {ext}")


class _Reader:
    """Bounded reads of one object: ranged when the store can, else one whole read, sliced."""

    def __init__(self, store: ObjectStore, bucket: str, key: str, size: int):
        self.store, self.bucket, self.key, self.size = store, bucket, key, size
        self.ranged = getattr(store, "get_object_range", None)
        self.whole: bytes | None = None

    def __call__(self, start: int, end: int) -> bytes:
        start, end = max(0, start), min(self.size, end)
        if end <= start:
            return b""
        if self.ranged is not None:
            return self.ranged(self.bucket, self.key, start, end)
        if self.whole is None:
            self.whole = self.store.get_object(self.bucket, self.key)
        return self.whole[start:end]


@dataclass
class _Target:
    path: str
    bucket: str
    prefix: str
    exclusions: list[str]
    sample_size: int
    entries: list[Entry] = field(default_factory=list)    # classified, known formats
    single_object: bool = False
    read_errors: int = 0
    complete: bool = False                                # listed and every object read

    @property
    def root_location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}/" if self.prefix else f"s3://{self.bucket}/"

    @property
    def root_name(self) -> str:
        return self.prefix.rsplit("/", 1)[-1] if self.prefix else self.bucket


class _Crawl:
    def __init__(self, crawler, store, catalog, outcome, log, crawl_id, stopped=None):
        self.stopped = stopped or (lambda: False)
        self.crawler, self.store, self.catalog = crawler, store, catalog
        self.outcome, self.log, self.crawl_id = outcome, log, crawl_id
        self.name = crawler.get("Name", "")
        self.db = (crawler.get("DatabaseName") or "default").lower()
        self.denied_logged = False
        self.skips_logged = 0
        self.targets: list[_Target] = []

    # -- configuration ----------------------------------------------------------------------
    def _settings(self) -> dict:
        classifiers = self.crawler.get("Classifiers") or []
        if classifiers:
            raise _Failure(
                f"Custom classifiers are not emulated by the local Glue crawler (Classifiers: "
                f"{', '.join(classifiers)}). Remove them with update_crawler(Name='{self.name}', "
                f"Classifiers=[]) to use the built-in CSV, JSON and Parquet classifiers, or run this crawler on AWS (LABKIT_TARGET=aws).")
        targets = self.crawler.get("Targets") or {}
        others = [k for k in OTHER_TARGETS if targets.get(k)]
        if others:
            raise _Failure(f"The local Glue crawler crawls S3 targets only; {', '.join(others)} are not "
                           f"emulated. Point the crawler at S3 paths, or run this crawler on AWS (LABKIT_TARGET=aws).")
        raw = self.crawler.get("Configuration") or ""
        try:
            config = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise _Failure(f"The crawler Configuration is not valid JSON ({exc}): {raw!r}") from None
        config = config if isinstance(config, dict) else {}
        policy = self.crawler.get("SchemaChangePolicy") or {}
        output = config.get("CrawlerOutput") or {}
        return {
            "config": config, "targets": [self._target(t) for t in targets.get("S3Targets") or []],
            "update": policy.get("UpdateBehavior") or "UPDATE_IN_DATABASE",
            "delete": policy.get("DeleteBehavior") or "DEPRECATE_IN_DATABASE",
            "incremental": (self.crawler.get("RecrawlPolicy") or {}).get("RecrawlBehavior")
            == "CRAWL_NEW_FOLDERS_ONLY",
            "combine": (config.get("Grouping") or {}).get("TableGroupingPolicy") == "CombineCompatibleSchemas",
            "merge_columns": (output.get("Tables") or {}).get("AddOrUpdateBehavior") == "MergeNewColumns",
            "inherit": (output.get("Partitions") or {}).get("AddOrUpdateBehavior") == "InheritFromTable",
            "threshold": (output.get("Tables") or {}).get("TableThreshold"),
        }

    def run(self) -> None:
        cfg = self._settings()
        self.targets = cfg["targets"]
        if not self.targets:
            self.log("WARN", "The crawler has no S3 targets: nothing to crawl")
        db_exists = self.catalog.get_database(self.db) is not None
        ours = [t for t in (self.catalog.list_tables(self.db) if db_exists else [])
                if (t.get("Parameters") or {}).get("UPDATED_BY_CRAWLER") == self.name]
        incremental = cfg["incremental"] and bool(ours)   # the first run is always a full crawl
        if incremental:
            cfg["update"] = cfg["delete"] = "LOG"   # Glue forces LOG for "crawl new folders only"
        failures, new_partitions = self._scan(incremental, ours)
        specs = [] if incremental else [(s, t) for t in self.targets for s in self._group(t, cfg["combine"])]
        if isinstance(cfg["threshold"], int) and len(specs) > cfg["threshold"]:
            raise _Failure(f"The crawler found {len(specs)} tables, more than its TableThreshold of "
                           f"{cfg['threshold']}; nothing was written to the Data Catalog.")

        self._check_stopped()
        self.log("BENCHMARK", f"Classification complete, writing results to database {self.db}")
        self.log("INFO", self._config_line(cfg["config"], cfg["update"], cfg["delete"]))
        if not db_exists:
            try:
                self.catalog.create_database(self.db)
            except CatalogError as exc:
                if exc.code != "AlreadyExistsException":
                    raise
        writer = CatalogWriter(self.catalog, self.db, self.name, self.outcome, self.log, update=cfg["update"],
                               delete=cfg["delete"], merge_columns=cfg["merge_columns"], inherit=cfg["inherit"],
                               crawl_id=self.crawl_id)
        if incremental:
            self._write_new_partitions(writer, ours, new_partitions)
        else:
            self._write(writer, specs, ours)
        self.log("BENCHMARK", "Finished writing to Catalog")
        self._summary()
        for message in failures:
            self.outcome.fail(message)

    def _check_stopped(self) -> None:
        if self.stopped():
            raise _Stopped()

    def _scan(self, incremental: bool, ours: list[dict]) -> tuple[list[str], dict[str, list[Entry]]]:
        """List and classify every target; a target that fails entirely is a failure message."""
        failures: list[str] = []
        new_partitions: dict[str, list[Entry]] = {}
        for target in self.targets:
            try:
                candidates = self._list(target)
                if incremental:
                    candidates = self._only_new_folders(target, candidates, ours, new_partitions)
                self._classify(target, candidates)
            except _Failure as exc:
                failures.append(str(exc))
        if failures and all(not t.complete and not t.entries for t in self.targets):
            raise _Failure(" ".join(failures))
        return failures, new_partitions

    def _config_line(self, config: dict, update: str, delete: str) -> str:
        policy = json.dumps({"UpdateBehavior": update, "DeleteBehavior": delete}, separators=(",", ":"))
        if not config:
            return f"Crawler configured with SchemaChangePolicy {policy}."
        return (f"Crawler configured with Configuration {json.dumps(config, separators=(',', ':'))} and "
                f"SchemaChangePolicy {policy}. Note that values in the Configuration override values in "
                f"the SchemaChangePolicy for S3 Targets.")

    # -- listing and classifying -------------------------------------------------------------
    def _target(self, cfg: dict) -> _Target:
        path = (cfg.get("Path") or "").strip()
        try:
            bucket, key = split_s3_uri(path if "://" in path else f"s3://{path}")
        except ValueError:
            raise _Failure(f"Invalid S3 target path {path!r}: expected s3://bucket/prefix/") from None
        return _Target(path, bucket, key.strip("/"), list(cfg.get("Exclusions") or []),
                       int(cfg.get("SampleSize") or 0))

    def _list(self, target: _Target) -> list[Entry]:
        try:
            objects = self.store.list_objects(target.bucket, target.prefix)
        except StoreError as exc:
            text = _s3_error_text(exc.code, exc.message if exc.code != "NoSuchBucket" else
                                  "The specified bucket does not exist", exc.status, target.path)
            raise _Failure(f"{text}. The crawler could not list its include path {target.path}"
                           + (": check the bucket name." if exc.code == "NoSuchBucket" else
                              ": the crawler's role needs s3:ListBucket on the bucket.")) from None
        patterns = compile_exclusions(target.exclusions)
        entries = []
        for obj in objects:
            if target.prefix and obj.key == target.prefix and not obj.key.endswith("/"):
                target.single_object = True
                rel: tuple[str, ...] = (obj.key.rsplit("/", 1)[-1],)
            elif not target.prefix or obj.key.startswith(target.prefix + "/"):
                rel = tuple(obj.key[len(target.prefix) + 1 if target.prefix else 0:].split("/"))
            else:
                continue  # s3://b/lmsapi must not crawl s3://b/lmsapi2/
            if obj.key.endswith("/") or obj.size == 0 or is_hidden(rel):
                continue
            if excluded("/".join(rel), f"s3://{target.bucket}/{obj.key}", patterns):
                continue
            entries.append(Entry(obj.key, rel, obj.size))
        if not entries:
            self.log("WARN", f"No objects to crawl were found under {target.path} (after skipping empty, "
                             f"hidden and excluded objects). Check the include path and that the data is loaded.")
        return entries

    def _classify(self, target: _Target, candidates: list[Entry]) -> None:
        per_folder: dict[tuple, list[Entry]] = defaultdict(list)
        denied_msg = ""
        for e in candidates:
            self._check_stopped()
            folder = per_folder[e.rel[:-1]]
            if target.sample_size and len(folder) >= target.sample_size:
                e.schema = with_estimate(folder[0].schema, e.size)
            else:
                try:
                    e.schema = classify(_Reader(self.store, target.bucket, e.key, e.size), e.size)
                except StoreAccessDenied as exc:
                    target.read_errors += 1
                    denied_msg = denied_msg or exc.message
                    self._log_denied(target, e, exc)
                    continue
                except StoreError as exc:   # e.g. deleted since it was listed
                    target.read_errors += 1
                    self.log("WARN", f"Could not read s3://{target.bucket}/{e.key}: {exc.message}")
                    continue
            if e.schema.classification == "UNKNOWN":
                self._log_skip(target, e)
                continue
            folder.append(e)
            target.entries.append(e)
        target.complete = target.read_errors == 0
        if candidates and not target.entries and target.read_errors:
            role = self.crawler.get("Role") or "the crawler's role"
            raise _Failure(
                f"Access Denied: the crawler could not read any of the {target.read_errors} objects under "
                f"{target.path} ({denied_msg}). The role {role} needs s3:GetObject on them and, for "
                f"SSE-KMS encrypted objects, kms:Decrypt on the bucket's KMS key: add the role as a key "
                f"user of the key, then run the crawler again.")

    def _log_denied(self, target: _Target, e: Entry, exc: StoreAccessDenied) -> None:
        if self.denied_logged:   # "Not all read errors will be logged": the first one is
            return
        self.denied_logged = True
        self.log("ERROR", "Not all read errors will be logged. " + _s3_error_text(
            "AccessDenied", "Access Denied", 403, f"s3://{target.bucket}/{e.key}"))

    def _log_skip(self, target: _Target, e: Entry) -> None:
        self.skips_logged += 1
        if self.skips_logged <= MAX_SKIP_LOGS:
            self.log("INFO", f"Skipped s3://{target.bucket}/{e.key}: classification UNKNOWN ({e.schema.reason})")
        elif self.skips_logged == MAX_SKIP_LOGS + 1:
            self.log("INFO", "More objects were skipped as UNKNOWN; not all of them are logged")

    def _group(self, target: _Target, combine: bool) -> list[TableSpec]:
        if not target.entries:
            return []
        if target.single_object:
            e = target.entries[0]
            return [TableSpec(e.rel[-1], f"s3://{target.bucket}/{e.key}", [e], e.schema)]
        return group_tables(target.entries, target.root_location, target.root_name, combine)

    # -- writing -----------------------------------------------------------------------------
    def _write(self, writer: CatalogWriter, specs: list[tuple[TableSpec, _Target]], ours: list[dict]) -> None:
        existing = self.catalog.list_tables(self.db) if self.catalog.get_database(self.db) else []
        prefix = self.crawler.get("TablePrefix") or ""
        named = assign_names([s for s, _ in specs], existing, prefix, self.name)
        matched = set()
        for (spec, name, match), (_, target) in zip(named, specs):
            exclusions = [target.root_location + p for p in target.exclusions]
            writer.write(spec, name, match, exclusions, complete=target.complete)
            matched.add(name)
        crawled = [t for t in self.targets if t.complete]
        for table in ours:
            location = norm((table.get("StorageDescriptor") or {}).get("Location"))
            if table["Name"] in matched:
                continue
            if any(location == norm(t.root_location) or location.startswith(norm(t.root_location) + "/")
                   for t in crawled):
                writer.vanished(table)

    def _summary(self) -> None:
        o = self.outcome
        if o.partitions_created or o.partitions_updated:
            self.log("INFO", "Run Summary For PARTITION:")
            for label, n in (("ADD", o.partitions_created), ("UPDATE", o.partitions_updated)):
                if n:
                    self.log("INFO", f"{label}: {n}")
        if o.tables_created or o.tables_updated or o.tables_deleted:
            self.log("INFO", "Run Summary For TABLE:")
            for label, n in (("ADD", o.tables_created), ("UPDATE", o.tables_updated), ("DELETE", o.tables_deleted)):
                if n:
                    self.log("INFO", f"{label}: {len(n)}")

    # -- CRAWL_NEW_FOLDERS_ONLY --------------------------------------------------------------
    def _only_new_folders(self, target: _Target, candidates: list[Entry], ours: list[dict],
                          found: dict[str, list[Entry]]) -> list[Entry]:
        """Keep objects in partition folders that known tables do not have yet."""
        tables = sorted(ours, key=lambda t: -len(norm(t["StorageDescriptor"]["Location"])))
        known: dict[str, set] = {}
        keep, ignored = [], set()
        for e in candidates:
            path = f"s3://{target.bucket}/{e.key}"
            owner = next((t for t in tables if path.startswith(norm(t["StorageDescriptor"]["Location"]) + "/")), None)
            if owner is None:
                ignored.add(path.rsplit("/", 1)[0] + "/")
                continue
            keys = [k["Name"] for k in owner.get("PartitionKeys") or []]
            dirs = path[len(norm(owner["StorageDescriptor"]["Location"])) + 1:].split("/")[:-1]
            if not keys or len(dirs) != len(keys):
                continue
            if owner["Name"] not in known:
                parts = self.catalog.get_partitions(self.db, owner["Name"])
                known[owner["Name"]] = {tuple(p["Values"]) for p in parts}
            if tuple(partition_value(d, k) for d, k in zip(dirs, keys)) in known[owner["Name"]]:
                continue
            found.setdefault(owner["Name"], []).append(e)
            e.rel = tuple(dirs) + (e.rel[-1],)   # now relative to the table's location
            keep.append(e)
        for folder in sorted(ignored):
            self.log("INFO", f"Incremental crawl (CRAWL_NEW_FOLDERS_ONLY): {folder} is not under a table "
                             f"this crawler created; no new tables are added after the first crawl")
        return keep

    def _write_new_partitions(self, writer: CatalogWriter, ours: list[dict], found: dict[str, list[Entry]]) -> None:
        for table in ours:
            entries = [e for e in found.get(table["Name"], []) if e.schema and e.schema.classification != "UNKNOWN"]
            if not entries:
                continue
            params = table.get("Parameters") or {}
            keys = [k["Name"] for k in table.get("PartitionKeys") or []]
            location = norm(table["StorageDescriptor"]["Location"]) + "/"
            first: FileSchema = entries[0].schema
            spec = TableSpec(table["Name"], location, entries, first, keys)
            for e in entries:
                if (e.schema.classification, e.schema.delimiter or None) != \
                        (params.get("classification"), params.get("delimiter") or None):
                    self.log("WARN", f"Incremental crawl: {location}{'/'.join(e.rel)} does not match the "
                                     f"schema of table {table['Name']} and was not added")
                    continue
                values = tuple(partition_value(d, k) for d, k in zip(e.rel[:-1], keys))
                spec.partitions.setdefault(values, (location + "/".join(e.rel[:-1]) + "/", []))[1].append(e)
            current = {tuple(p["Values"]): p for p in self.catalog.get_partitions(self.db, table["Name"])}
            writer.add_partitions(spec, table["Name"], table, current, check_gone=False)
