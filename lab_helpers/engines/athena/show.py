"""SHOW / DESCRIBE / EXPLAIN statements, with the text output Athena writes as ``<id>.txt``."""
from __future__ import annotations

import re

from .errors import error
from .query import QueryResult, parse_one
from .names import (IDENT, LITERAL, QNAME, hive_like, literal, need_database, need_table, qualified,
                           split_name)
from .resolve import is_view, view_definition
from .scan import partition_path

_RE = re.IGNORECASE | re.DOTALL


def utility(column: str, lines: list[str], kind: str = "UTILITY"):
    return QueryResult(kind, [(column, "string")], [(line,) for line in lines], 0, output_format="txt")


def show(ex, text: str):
    cat, db0 = ex.catalog, ex.database
    m = re.fullmatch(rf"SHOW\s+(?:DATABASES|SCHEMAS)(?:\s+(?:LIKE\s+)?({LITERAL}))?", text, _RE)
    if m:
        like = hive_like(literal(m.group(1)) if m.group(1) else None)
        return utility("database_name", sorted(d["Name"] for d in cat.list_databases() if like(d["Name"])))
    m = re.fullmatch(rf"SHOW\s+(TABLES|VIEWS)(?:\s+(?:IN|FROM)\s+({IDENT}))?(?:\s+(?:LIKE\s+)?({LITERAL}))?", text, _RE)
    if m:
        db = qualified(m.group(2), db0)[1] if m.group(2) else db0
        need_database(cat, db)
        like = hive_like(literal(m.group(3)) if m.group(3) else None)
        views = m.group(1).upper() == "VIEWS"
        names = sorted(t["Name"] for t in cat.list_tables(db) if like(t["Name"]) and (not views or is_view(t)))
        return utility("views" if views else "tab_name", names)
    m = re.fullmatch(rf"SHOW\s+PARTITIONS\s+({QNAME})", text, _RE)
    if m:
        db, name = qualified(m.group(1), db0)
        table = need_table(cat, db, name)
        keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        if not keys:
            raise error("NOT_SUPPORTED", f"Table {db}.{name} is not partitioned")
        parts = sorted(partition_path(keys, p.get("Values") or []) for p in cat.get_partitions(db, name))
        return utility("partition", parts)
    m = re.fullmatch(rf"SHOW\s+COLUMNS\s+(?:IN|FROM)\s+({QNAME})(?:\s+(?:IN|FROM)\s+({IDENT}))?", text, _RE)
    if m:
        if m.group(2):
            db, name = split_name(m.group(2))[-1], split_name(m.group(1))[-1]
        else:
            db, name = qualified(m.group(1), db0)
        table = need_table(cat, db, name)
        return utility("field", [c["Name"] for c in all_columns(table)])
    m = re.fullmatch(rf"SHOW\s+CREATE\s+(TABLE|VIEW)\s+({QNAME})", text, _RE)
    if m:
        db, name = qualified(m.group(2), db0)
        table = need_table(cat, db, name)
        if is_view(table):
            sql = (view_definition(table) or {}).get("originalSql") or ""
            return utility("createtab_stmt", f"CREATE VIEW {name} AS\n{sql}".split("\n"))
        if m.group(1).upper() == "VIEW":
            raise error("NOT_SUPPORTED", f"Relation '{db}.{name}' is a table, not a view")
        return utility("createtab_stmt", create_table_text(table, name).split("\n"))
    m = re.fullmatch(rf"SHOW\s+TBLPROPERTIES\s+({QNAME})(?:\s*\(\s*({LITERAL})\s*\))?", text, _RE)
    if m:
        db, name = qualified(m.group(1), db0)
        props = need_table(cat, db, name).get("Parameters") or {}
        if m.group(2):
            key = literal(m.group(2))
            return utility("prpt_value", [props[key]] if key in props else [])
        return utility("prpt_name", [f"{k}\t{v}" for k, v in sorted(props.items())])
    raise error("NOT_SUPPORTED", f"Unsupported statement: {text.split(chr(10))[0][:80]} "
                                 "(the local Athena engine supports SHOW DATABASES|SCHEMAS|TABLES|VIEWS|PARTITIONS|"
                                 "COLUMNS|CREATE TABLE|CREATE VIEW|TBLPROPERTIES)")


def all_columns(table: dict) -> list[dict]:
    return list((table.get("StorageDescriptor") or {}).get("Columns") or []) + list(table.get("PartitionKeys") or [])


def _row(name: str, typ: str, comment: str = "") -> str:
    return f"{name:<20}\t{typ:<20}\t{comment:<20}"


def describe(ex, text: str):
    m = re.fullmatch(rf"(?:DESCRIBE|DESC)(?:\s+(EXTENDED|FORMATTED))?\s+({QNAME})(?:\s+({IDENT}))?", text, _RE)
    if not m:
        raise error("NOT_SUPPORTED", "Unsupported DESCRIBE form: use DESCRIBE [EXTENDED|FORMATTED] [db.]table [column]")
    db, name = qualified(m.group(2), ex.database)
    table = need_table(ex.catalog, db, name)
    cols = all_columns(table)
    if m.group(3):
        want = m.group(3).strip('`"').lower()
        cols = [c for c in cols if c["Name"].lower() == want]
        if not cols:
            raise error("COLUMN_NOT_FOUND", f"Column {want} not found in table {db}.{name}")
        return utility("col_name", [_row(c["Name"], c.get("Type", ""), c.get("Comment", "")) for c in cols])
    lines = [_row(c["Name"], c.get("Type", ""), c.get("Comment", "")) for c in cols]
    keys = table.get("PartitionKeys") or []
    if keys:
        lines += ["", "# Partition Information", _row("# col_name", "data_type", "comment"), ""]
        lines += [_row(k["Name"], k.get("Type", ""), k.get("Comment", "")) for k in keys]
    if m.group(1):
        lines += _detailed(db, table)
    return utility("col_name", lines)


def _detailed(db: str, table: dict) -> list[str]:
    sd = table.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    created = table.get("CreateTime")
    lines = ["", "# Detailed Table Information", f"Database:           \t{db}",
             f"Owner:              \t{table.get('Owner') or 'hadoop'}",
             f"CreateTime:         \t{created.strftime('%a %b %d %H:%M:%S UTC %Y') if created else 'UNKNOWN'}",
             "LastAccessTime:     \tUNKNOWN", f"Retention:          \t{table.get('Retention', 0)}",
             f"Location:           \t{sd.get('Location', '')}",
             f"Table Type:         \t{table.get('TableType', 'EXTERNAL_TABLE')}", "Table Parameters:"]
    lines += [f"\t{k:<20}\t{v}" for k, v in sorted((table.get("Parameters") or {}).items())]
    lines += ["", "# Storage Information", f"SerDe Library:      \t{serde.get('SerializationLibrary', '')}",
              f"InputFormat:        \t{sd.get('InputFormat', '')}", f"OutputFormat:       \t{sd.get('OutputFormat', '')}",
              f"Compressed:         \t{'Yes' if sd.get('Compressed') else 'No'}",
              f"Num Buckets:        \t{sd.get('NumberOfBuckets', -1)}",
              f"Bucket Columns:     \t{sd.get('BucketColumns') or []}", f"Sort Columns:       \t{sd.get('SortColumns') or []}",
              "Storage Desc Params:"]
    lines += [f"\t{k:<20}\t{v}" for k, v in sorted((serde.get("Parameters") or {}).items())]
    return lines


def _q(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def create_table_text(table: dict, name: str) -> str:
    """SHOW CREATE TABLE as Athena prints it (Hive DDL)."""
    sd = table.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    params = serde.get("Parameters") or {}
    cols = ", \n".join(f"  `{c['Name']}` {c.get('Type', 'string')}"
                       + (f" COMMENT {_q(c['Comment'])}" if c.get("Comment") else "") for c in sd.get("Columns") or [])
    out = [f"CREATE EXTERNAL TABLE `{name}`(", cols + ")"]
    if table.get("Description"):
        out.append(f"COMMENT {_q(table['Description'])}")
    keys = table.get("PartitionKeys") or []
    if keys:
        out += ["PARTITIONED BY ( ", ", \n".join(f"  `{k['Name']}` {k.get('Type', 'string')}" for k in keys) + ")"]
    lib = serde.get("SerializationLibrary") or ""
    if lib.endswith("LazySimpleSerDe") and set(params) <= {"field.delim", "serialization.format"} and params.get("field.delim"):
        out += ["ROW FORMAT DELIMITED ", f"  FIELDS TERMINATED BY {_q(params['field.delim'])} "]
    else:
        out += ["ROW FORMAT SERDE ", f"  {_q(lib)} "]
        if params:
            out += ["WITH SERDEPROPERTIES ( ", ", \n".join(f"  {_q(k)}={_q(v)}" for k, v in sorted(params.items())) + ") "]
    out += ["STORED AS INPUTFORMAT ", f"  {_q(sd.get('InputFormat', ''))} ", "OUTPUTFORMAT ",
            f"  {_q(sd.get('OutputFormat', ''))}", "LOCATION", f"  {_q(sd.get('Location', ''))}"]
    props = {k: v for k, v in (table.get("Parameters") or {}).items() if k != "EXTERNAL"}
    if props:
        out += ["TBLPROPERTIES (", ", \n".join(f"  {_q(k)}={_q(v)}" for k, v in sorted(props.items())) + ")"]
    return "\n".join(out)


def explain(ex, text: str):
    m = re.match(r"EXPLAIN(?:\s+ANALYZE)?(?:\s*\([^)]*\))?\s+(.*)$", text, _RE)
    inner = m.group(1) if m else ""
    tree = parse_one(inner)
    from sqlglot import exp
    if not isinstance(tree, (exp.Query, exp.Values)):
        raise error("NOT_SUPPORTED", "The local Athena engine can only EXPLAIN queries")
    ex.sql = inner
    rel = ex.bind(tree, inner)
    plan = ex.run_duck(f"EXPLAIN {rel.sql}", rel).fetchall()
    lines = "\n".join(str(r[-1]) for r in plan).split("\n")
    return QueryResult("UTILITY", [("Query Plan", "varchar")], [(line,) for line in lines], 0, output_format="txt")
