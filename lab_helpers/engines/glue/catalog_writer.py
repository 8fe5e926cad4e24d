"""What a Glue crawler writes to the Data Catalog: table/partition definitions and their updates.

Shapes follow crawler-created tables as ``GetTable`` returns them: ``EXTERNAL_TABLE``, the
classification's formats and SerDe, ``NumberOfBuckets`` -1, table ``Parameters`` mirrored in
the StorageDescriptor, partitions carrying their own schema and statistics. Update and delete
follow ``SchemaChangePolicy`` and the ``CrawlerOutput`` configuration
(https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html).
"""
from __future__ import annotations

import json
import time

from .classifiers import FileSchema
from .types import merge_columns, render_type
from .grouping import Entry, TableSpec
from ..ports import Catalog

TEXT_IN = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
FORMATS = {
    "csv": (TEXT_IN, TEXT_OUT, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"),
    "csv-quoted": (TEXT_IN, TEXT_OUT, "org.apache.hadoop.hive.serde2.OpenCSVSerde"),
    "json": (TEXT_IN, TEXT_OUT, "org.openx.data.jsonserde.JsonSerDe"),
    "parquet": ("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"),
}
VOLATILE = ("CRAWL_RUN_ID",)
BATCH = 100   # BatchCreatePartition takes at most 100 partitions


def stats(entries: list[Entry]) -> dict[str, str]:
    size = sum(e.size for e in entries)
    records = sum(e.schema.record_count for e in entries)
    return {"recordCount": str(records), "averageRecordSize": str(round(size / records) if records else 0),
            "objectCount": str(len(entries)), "sizeKey": str(size)}


def format_params(schema: FileSchema) -> dict[str, str]:
    params = {"classification": schema.classification, "compressionType": schema.compression,
              "typeOfData": "file"}
    if schema.classification == "csv":
        params.update({"delimiter": schema.delimiter, "areColumnsQuoted": str(schema.quoted).lower(),
                       "columnsOrdered": "true"})
        if schema.header:
            params["skip.header.line.count"] = "1"
    return params


def storage_descriptor(schema: FileSchema, location: str, parameters: dict) -> dict:
    kind = "csv-quoted" if schema.classification == "csv" and schema.quoted else schema.classification
    in_fmt, out_fmt, serde = FORMATS[kind]
    if kind == "csv":
        serde_params = {"field.delim": schema.delimiter}
    elif kind == "csv-quoted":
        serde_params = {"separatorChar": schema.delimiter, "quoteChar": '"'}
    elif kind == "json":
        serde_params = {"paths": ",".join(schema.names())}
    else:
        serde_params = {"serialization.format": "1"}
    return {
        "Columns": [{"Name": n, "Type": render_type(t)} for n, t in schema.columns],
        "Location": location, "InputFormat": in_fmt, "OutputFormat": out_fmt,
        "Compressed": schema.compression != "none", "NumberOfBuckets": -1,
        "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params},
        "BucketColumns": [], "SortColumns": [], "Parameters": dict(parameters),
        "StoredAsSubDirectories": False,
    }


def table_input(spec: TableSpec, name: str, crawler: str, crawl_id: str = "",
                exclusions: list[str] | None = None) -> dict:
    params = {**format_params(spec.schema), **stats(spec.entries), "UPDATED_BY_CRAWLER": crawler,
              "CrawlerSchemaSerializerVersion": "1.0", "CrawlerSchemaDeserializerVersion": "1.0"}
    if exclusions:
        params["exclusions"] = json.dumps(exclusions)
    if crawl_id:
        params["CRAWL_RUN_ID"] = crawl_id
    return {
        "Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": params,
        "StorageDescriptor": storage_descriptor(spec.schema, spec.location, params),
        "PartitionKeys": [{"Name": k, "Type": "string"} for k in spec.partition_keys],
    }


def partition_input(spec: TableSpec, values: tuple[str, ...], table: dict, inherit: bool) -> dict:
    location, entries = spec.partitions[values]
    schema = spec.schema if inherit else _partition_schema(spec.schema, entries)
    params = {**format_params(schema), **stats(entries)}
    sd = storage_descriptor(schema, location, params)
    if inherit:   # InheritFromTable: the table's columns, formats and SerDe
        sd["Columns"] = table["StorageDescriptor"]["Columns"]
    return {"Values": list(values), "StorageDescriptor": sd, "Parameters": {}}


def _partition_schema(table_schema: FileSchema, entries: list[Entry]) -> FileSchema:
    merged = FileSchema(**{**table_schema.__dict__})
    merged.columns = merge_columns([e.schema.columns for e in entries])
    return merged


# --- comparing what is there with what was found -----------------------------------------------

def _shape(table: dict) -> dict:
    sd = table.get("StorageDescriptor") or {}
    return {
        "columns": [(c.get("Name"), c.get("Type")) for c in sd.get("Columns") or []],
        "keys": [(c.get("Name"), c.get("Type")) for c in table.get("PartitionKeys") or []],
        "formats": (sd.get("InputFormat"), sd.get("OutputFormat"), json.dumps(sd.get("SerdeInfo"), sort_keys=True),
                    bool(sd.get("Compressed"))),
        "location": sd.get("Location"),
        "classification": (table.get("Parameters") or {}).get("classification"),
        "params": _stable(table.get("Parameters")),
        "sd_params": _stable(sd.get("Parameters")),
    }


def _stable(params: dict | None) -> dict:
    return {k: v for k, v in (params or {}).items() if k not in VOLATILE}


def schema_changed(old: dict, new: dict) -> bool:
    a, b = _shape(old), _shape(new)
    return any(a[k] != b[k] for k in ("columns", "keys", "formats", "classification"))


def differs(old: dict, new: dict) -> bool:
    """Anything the crawler owns changed (schema, formats, statistics, deprecation mark)."""
    return _shape(old) != _shape(new)


def merge_new_columns(old: dict, new: dict) -> dict:
    """``MergeNewColumns``: keep existing columns and types, append the new ones."""
    merged = json.loads(json.dumps(new))
    have = {c["Name"] for c in old["StorageDescriptor"].get("Columns") or []}
    merged["StorageDescriptor"]["Columns"] = list(old["StorageDescriptor"].get("Columns") or []) + [
        c for c in new["StorageDescriptor"]["Columns"] if c["Name"] not in have]
    return merged


def deprecate(table: dict) -> dict:
    """DEPRECATE_IN_DATABASE: the table stays, marked ``DEPRECATED_BY_CRAWLER`` = epoch ms."""
    stamp = str(int(time.time() * 1000))
    out = {k: table[k] for k in ("Name", "Description", "Owner", "Retention", "StorageDescriptor",
                                 "PartitionKeys", "TableType", "Parameters") if k in table}
    out["Parameters"] = {**(table.get("Parameters") or {}), "DEPRECATED_BY_CRAWLER": stamp}
    if "StorageDescriptor" in out:
        sd = dict(out["StorageDescriptor"])
        sd["Parameters"] = {**(sd.get("Parameters") or {}), "DEPRECATED_BY_CRAWLER": stamp}
        out["StorageDescriptor"] = sd
    return out


def create_partitions(catalog: Catalog, db: str, table: str, inputs: list[dict]) -> None:
    for i in range(0, len(inputs), BATCH):
        catalog.create_partitions(db, table, inputs[i:i + BATCH])


def values_text(values: list[tuple[str, ...]] | list[list[str]]) -> str:
    """``[[2020-08-17], [2020-08-24]]`` as the crawler logs partition values."""
    return "[" + ", ".join("[" + ", ".join(v) + "]" for v in values) + "]"


# --- writing -----------------------------------------------------------------------------------

def norm(location: str) -> str:
    return (location or "").rstrip("/")


def assign_names(specs: list[TableSpec], existing: list[dict], prefix: str, crawler: str):
    """[(spec, final name, existing table or None)]: a table this crawler made at the same
    Location keeps its name; a name taken by another Location gets a hash suffix."""
    from .grouping import MAX_NAME, sanitize, with_hash
    by_name = {t["Name"]: t for t in existing}
    ours = {norm(t.get("StorageDescriptor", {}).get("Location")): t for t in existing
            if (t.get("Parameters") or {}).get("UPDATED_BY_CRAWLER") == crawler}
    used: set[str] = set()
    out = []
    for spec in specs:
        loc = norm(spec.location)
        match = ours.get(loc)
        if match is not None and match["Name"] not in used:
            name = match["Name"]
        else:
            name = (prefix.lower() + sanitize(spec.name))[:MAX_NAME]
            other = by_name.get(name)
            taken_elsewhere = other is not None and norm(other.get("StorageDescriptor", {}).get("Location")) != loc
            if name in used or taken_elsewhere:
                name = with_hash(name, spec.location)
            match = by_name.get(name)
        used.add(name)
        out.append((spec, name, match))
    return out


class CatalogWriter:
    """Applies one crawl's findings to a database, counting and logging like the crawler."""

    def __init__(self, catalog: Catalog, db: str, crawler: str, outcome, log, *, update: str,
                 delete: str, merge_columns: bool, inherit: bool, crawl_id: str):
        self.catalog, self.db, self.crawler, self.outcome, self.log = catalog, db, crawler, outcome, log
        self.update, self.delete, self.merge_columns, self.inherit = update, delete, merge_columns, inherit
        self.crawl_id = crawl_id

    def write(self, spec: TableSpec, name: str, existing: dict | None, exclusions: list[str],
              complete: bool = True) -> None:
        """Create or update one table and its partitions; ``complete``: every object was read."""
        new = table_input(spec, name, self.crawler, self.crawl_id, exclusions)
        if existing is None:
            self.catalog.create_table(self.db, new)
            self.outcome.tables_created.append(name)
            self.log("INFO", f"Created table {name} in database {self.db}")
            self.add_partitions(spec, name, new, {})
            return
        same_keys = [k["Name"] for k in existing.get("PartitionKeys") or []] == spec.partition_keys
        if differs(existing, new):
            if self.update == "UPDATE_IN_DATABASE":
                if self.merge_columns:
                    new = merge_new_columns(existing, new)
                self.catalog.update_table(self.db, new)
                self.outcome.tables_updated.append(name)
                what = "schema" if schema_changed(existing, new) else "statistics"
                self.log("INFO", f"Updated table {name} in database {self.db} ({what} changed)")
            elif schema_changed(existing, new):
                self.log("INFO", f"Table {name} in database {self.db} has a schema change that was not "
                                 f"applied: SchemaChangePolicy.UpdateBehavior is LOG")
            if self.update != "UPDATE_IN_DATABASE":
                new = existing
        current = {tuple(p["Values"]): p for p in self.catalog.get_partitions(self.db, name)}
        self.add_partitions(spec, name, new, current, same_keys=same_keys, check_gone=complete)

    def add_partitions(self, spec: TableSpec, name: str, table: dict, current: dict, *,
                       same_keys: bool = True, check_gone: bool = True) -> None:
        """Add new partitions, update changed ones (UPDATE_IN_DATABASE), handle vanished ones."""
        if not spec.partitions:
            return
        if not same_keys:
            self.log("WARN", f"Partition folders under {spec.location} no longer match the partition keys "
                             f"of table {name}; partitions were not changed")
            return
        added, changed = [], []
        for values in sorted(spec.partitions):
            new = partition_input(spec, values, table, self.inherit)
            old = current.get(values)
            if old is None:
                added.append(new)
            elif self.update == "UPDATE_IN_DATABASE" and _partition_differs(old, new):
                changed.append(new)
        if added:
            create_partitions(self.catalog, self.db, name, added)
            self.outcome.partitions_created += len(added)
            self.log("INFO", f"Created partitions with values {values_text([p['Values'] for p in added])} "
                             f"for table {name} in database {self.db}")
        for p in changed:  # the Catalog port has no UpdatePartition: replace it
            self.catalog.delete_partition(self.db, name, p["Values"])
            self.catalog.create_partitions(self.db, name, [p])
        if changed:
            self.outcome.partitions_updated += len(changed)
            self.log("INFO", f"Updated partitions with values {values_text([p['Values'] for p in changed])} "
                             f"for table {name} in database {self.db}")
        gone = [v for v in current if v not in spec.partitions] if check_gone else []
        if gone and self.delete == "DELETE_FROM_DATABASE":
            for v in gone:
                self.catalog.delete_partition(self.db, name, list(v))
            self.log("INFO", f"Deleted partitions with values {values_text(gone)} from table {name} "
                             f"in database {self.db}: their data was not found")
        elif gone:
            self.log("INFO", f"Found partitions of table {name} with values {values_text(gone)} whose data "
                             f"was not found (DeleteBehavior {self.delete}: left in the catalog)")

    def vanished(self, table: dict) -> None:
        """A table this crawler made whose data is gone: DeleteBehavior decides."""
        name, location = table["Name"], (table.get("StorageDescriptor") or {}).get("Location")
        if self.delete == "DELETE_FROM_DATABASE":
            self.catalog.delete_table(self.db, name)
            self.outcome.tables_deleted.append(name)
            self.log("INFO", f"Deleted table {name} from database {self.db}: no data was found at {location}")
        elif self.delete == "DEPRECATE_IN_DATABASE":
            if "DEPRECATED_BY_CRAWLER" in (table.get("Parameters") or {}):
                return
            self.catalog.update_table(self.db, deprecate(table))
            self.outcome.tables_deleted.append(name)
            self.log("INFO", f"Table {name} is marked deprecated because a matching schema was not found "
                             f"at the table's location.")
        else:
            self.log("INFO", f"Table {name} in database {self.db}: no data was found at {location} "
                             f"(DeleteBehavior LOG: the table was left as it is)")


def _partition_differs(old: dict, new: dict) -> bool:
    a, b = old.get("StorageDescriptor") or {}, new["StorageDescriptor"]
    return ([(c.get("Name"), c.get("Type")) for c in a.get("Columns") or []]
            != [(c["Name"], c["Type"]) for c in b["Columns"]]
            or a.get("Location") != b["Location"] or (a.get("Parameters") or {}) != b["Parameters"]
            or a.get("SerdeInfo") != b["SerdeInfo"])
