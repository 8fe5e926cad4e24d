"""MSCK REPAIR TABLE and ALTER TABLE: partitions and table properties in the Glue catalog."""
from __future__ import annotations

import copy
import re

from .errors import error
from .names import (split_top, IDENT, LITERAL, QNAME, hive_error, literal, need_table, qualified, split_name,
                           table_location, unquote)
from .scan import is_hidden, partition_path, s3_error, unescape_partition_value
from .show import utility
from .types import canonical_hive
from ..ports import CatalogError, StoreError, split_s3_uri

_RE = re.IGNORECASE | re.DOTALL
BATCH = 100   # BatchCreatePartition takes at most 100 partitions


def partition_input(table: dict, values: list[str], location: str) -> dict:
    """A partition as Athena registers it: the table's storage descriptor at its own location."""
    sd = copy.deepcopy(table.get("StorageDescriptor") or {})
    sd["Location"] = location
    return {"Values": list(values), "StorageDescriptor": sd, "Parameters": {}}


def default_location(table: dict, keys: list[str], values: list[str]) -> str:
    return f"{table_location(table)}/{partition_path(keys, values)}"


def add_partitions(catalog, db: str, name: str, inputs: list[dict]) -> None:
    for i in range(0, len(inputs), BATCH):
        try:
            catalog.create_partitions(db, name, inputs[i:i + BATCH])
        except CatalogError as e:
            raise error("HIVE_METASTORE_ERROR", e.message) from None


# --- MSCK REPAIR TABLE -------------------------------------------------------------------------

def msck(ex, text: str):
    m = re.fullmatch(rf"MSCK\s+REPAIR\s+TABLE\s+({QNAME})", text, _RE)
    if not m:
        raise error("NOT_SUPPORTED", "Use MSCK REPAIR TABLE [db.]table")
    db, name = qualified(m.group(1), ex.database)
    table = need_table(ex.catalog, db, name)
    keys = [k["Name"] for k in table.get("PartitionKeys") or []]
    if not keys:
        return utility("result", [], "DDL")
    location = table_location(table)
    found = scan_partition_folders(ex.store, location, keys)
    ex.check()
    existing = {tuple(p.get("Values") or []) for p in ex.catalog.get_partitions(db, name)}
    missing = [v for v in sorted(found) if v not in existing]
    lines = []
    if missing:
        specs = [f"{name}:{partition_path(keys, list(v))}" for v in missing]
        lines.append("Partitions not in metastore:\t" + "\t".join(specs))
        add_partitions(ex.catalog, db, name,
                       [partition_input(table, list(v), default_location(table, keys, list(v))) for v in missing])
        lines += [f"Repair: Added partition to metastore {s}" for s in specs]
    return utility("result", lines, "DDL")


def scan_partition_folders(store, location: str, keys: list[str]) -> set[tuple[str, ...]]:
    """``k1=v1/k2=v2/`` folders under a table location that hold at least one object."""
    bucket, prefix = split_s3_uri(location)
    prefix = prefix + "/" if prefix and not prefix.endswith("/") else prefix
    try:
        objects = store.list_objects(bucket, prefix)
    except StoreError as e:
        raise s3_error(e, location) from None
    found = set()
    for obj in objects:
        rel = obj.key[len(prefix):]
        parts = rel.split("/")[:-1]
        if len(parts) < len(keys) or is_hidden(rel):
            continue
        values = []
        for key, part in zip(keys, parts):
            k, sep, v = part.partition("=")
            if not sep or k.lower() != key.lower():
                break
            values.append(unescape_partition_value(v))
        else:
            found.add(tuple(values))
    return found


# --- ALTER TABLE -------------------------------------------------------------------------------

_SPEC = rf"PARTITION\s*\(([^)]*)\)"


def parse_spec(text: str, keys: list[str]) -> list[str]:
    pairs = {}
    for m in re.finditer(rf"({IDENT})\s*=\s*({LITERAL}|[^,\s)]+)", text):
        pairs[unquote(m.group(1)).lower()] = literal(m.group(2))
    spec = ", ".join(f"{k}={v}" for k, v in pairs.items())
    extra = [k for k in pairs if k not in [x.lower() for x in keys]]
    if extra or len(pairs) != len(keys):
        raise hive_error(f"FAILED: ValidationFailureSemanticException partition spec {{{spec}}} doesn't contain "
                         f"all ({len(keys)}) partition columns" if not extra else
                         f"FAILED: SemanticException [Error 10098]: Non-Partition column appears in the partition "
                         f"specification: {', '.join(extra)}")
    return [pairs[k.lower()] for k in keys]


def alter_table(ex, text: str):
    m = re.match(rf"ALTER\s+TABLE\s+({QNAME})\s+(.*)$", text, _RE)
    if not m:
        raise error("NOT_SUPPORTED", "Unsupported ALTER TABLE statement")
    db, name = qualified(m.group(1), ex.database)
    rest = m.group(2).strip()
    table = need_table(ex.catalog, db, name)
    keys = [k["Name"] for k in table.get("PartitionKeys") or []]
    am = re.match(r"ADD\s+(IF\s+NOT\s+EXISTS\s+)?(PARTITION\b.*)$", rest, _RE)
    if am:
        return _add(ex, db, name, table, keys, bool(am.group(1)), am.group(2))
    dm = re.match(r"DROP\s+(IF\s+EXISTS\s+)?(PARTITION\b.*)$", rest, _RE)
    if dm:
        return _drop(ex, db, name, keys, bool(dm.group(1)), dm.group(2))
    sm = re.fullmatch(rf"SET\s+TBLPROPERTIES\s*\((.*)\)", rest, _RE)
    if sm:
        props = {literal(k): literal(v) for k, v in re.findall(rf"({LITERAL})\s*=\s*({LITERAL})", sm.group(1))}
        table["Parameters"] = {**(table.get("Parameters") or {}), **props}
        return _update(ex, db, table)
    lm = re.fullmatch(rf"SET\s+LOCATION\s+({LITERAL})", rest, _RE)
    if lm:
        table["StorageDescriptor"]["Location"] = literal(lm.group(1))
        return _update(ex, db, table)
    cm = re.fullmatch(r"(ADD|REPLACE)\s+COLUMNS\s*\((.*)\)", rest, _RE)
    if cm:
        cols = _columns(cm.group(2))
        sd = table["StorageDescriptor"]
        sd["Columns"] = (sd.get("Columns") or []) + cols if cm.group(1).upper() == "ADD" else cols
        return _update(ex, db, table)
    raise error("NOT_SUPPORTED", f"ALTER TABLE {rest.split()[0].upper() if rest else ''} is not supported by the local "
                                 "Athena engine (supported: ADD|DROP PARTITION, SET TBLPROPERTIES, SET LOCATION, "
                                 "ADD|REPLACE COLUMNS)")


def _columns(text: str) -> list[dict]:
    cols = []
    for part in split_top(text):
        cm = re.match(rf"\s*({IDENT})\s+(.+?)(?:\s+COMMENT\s+({LITERAL}))?\s*$", part, _RE)
        if not cm:
            raise error("SYNTAX_ERROR", f"Cannot parse column definition: {part.strip()}")
        col = {"Name": unquote(cm.group(1)).lower(), "Type": canonical_hive(cm.group(2))}
        if cm.group(3):
            col["Comment"] = literal(cm.group(3))
        cols.append(col)
    return cols


def _update(ex, db: str, table: dict):
    allowed = ("Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType",
               "Parameters", "ViewOriginalText", "ViewExpandedText")
    try:
        ex.catalog.update_table(db, {k: v for k, v in table.items() if k in allowed})
    except CatalogError as e:
        raise error("HIVE_METASTORE_ERROR", e.message) from None
    return utility("result", [], "DDL")


def _add(ex, db, name, table, keys, if_not_exists, text):
    if not keys:
        raise hive_error(f"FAILED: ValidationFailureSemanticException table is not partitioned but partition spec exists")
    existing = {tuple(p.get("Values") or []) for p in ex.catalog.get_partitions(db, name)}
    inputs = []
    for pm in re.finditer(rf"{_SPEC}(?:\s+LOCATION\s+({LITERAL}))?", text, _RE):
        values = parse_spec(pm.group(1), keys)
        if tuple(values) in existing or any(tuple(i["Values"]) == tuple(values) for i in inputs):
            if if_not_exists:
                continue
            raise hive_error("FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. "
                             f"AlreadyExistsException(message:Partition already exists: {partition_path(keys, values)})")
        loc = literal(pm.group(2)) if pm.group(2) else default_location(table, keys, values)
        inputs.append(partition_input(table, values, loc))
    add_partitions(ex.catalog, db, name, inputs)
    return utility("result", [], "DDL")


def _drop(ex, db, name, keys, if_exists, text):
    existing = {tuple(p.get("Values") or []) for p in ex.catalog.get_partitions(db, name)}
    doomed = []
    for pm in re.finditer(_SPEC, text, _RE):
        values = parse_spec(pm.group(1), keys)
        if tuple(values) not in existing:
            if if_exists:
                continue
            raise hive_error(f"FAILED: SemanticException [Error 10006]: Partition not found "
                             f"({', '.join(f'{k} = {v!r}' for k, v in zip(keys, values))})", 1301)
        doomed.append(values)
    for values in doomed:
        try:
            ex.catalog.delete_partition(db, name, values)
        except CatalogError as e:
            raise error("HIVE_METASTORE_ERROR", e.message) from None
    return utility("result", [], "DDL")


__all__ = ["msck", "alter_table", "partition_input", "add_partitions", "default_location", "split_name"]
