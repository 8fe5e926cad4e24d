"""Athena DDL on the Glue catalog: databases, CREATE EXTERNAL TABLE, views, DROP; dispatch of parsed statements."""
from __future__ import annotations

import base64
import json
import re
import time

from sqlglot import exp

from .errors import error, node_position
from .names import QNAME, hive_error, need_database
from .resolve import DEFAULT_CATALOG, is_view
from .show import utility
from .types import canonical_hive, hive_type, trino_type
from .write import FORMATS as CTAS_FORMATS, TEXT_IN, TEXT_OUT, ctas, insert
from ..ports import CatalogError

LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
STORED_AS = {
    "PARQUET": CTAS_FORMATS["parquet"],
    "TEXTFILE": (TEXT_IN, TEXT_OUT, LAZY),
    "JSONFILE": (TEXT_IN, TEXT_OUT, "org.apache.hive.hcatalog.data.JsonSerDe"),
    "JSON": (TEXT_IN, TEXT_OUT, "org.apache.hive.hcatalog.data.JsonSerDe"),
    "ORC": ("org.apache.hadoop.hive.ql.io.orc.OrcInputFormat", "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
            "org.apache.hadoop.hive.ql.io.orc.OrcSerde"),
    "AVRO": ("org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
             "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat", "org.apache.hadoop.hive.serde2.avro.AvroSerDe"),
}
DDL_TASK = "FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. "


def run_statement(ex, tree: exp.Expression):
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            return create_database(ex, tree)
        if kind == "VIEW":
            return create_view(ex, tree)
        if kind == "TABLE" and tree.expression is not None:
            return ctas(ex, tree)
        if kind == "TABLE":
            return create_external_table(ex, tree)
    if isinstance(tree, exp.Drop):
        kind = (tree.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            return drop_database(ex, tree)
        if kind in ("TABLE", "VIEW"):
            return drop_table(ex, tree, kind)
    if isinstance(tree, exp.Insert):
        if tree.args.get("overwrite"):
            raise error("NOT_SUPPORTED", "INSERT OVERWRITE is not supported by Athena; use INSERT INTO")
        return insert(ex, tree)
    if isinstance(tree, (exp.Delete, exp.Update, exp.Merge)):
        raise error("NOT_SUPPORTED", "Modifying Hive table rows is only supported for transactional tables "
                                     "(Athena supports DELETE/UPDATE/MERGE on Iceberg tables only)")
    word = ex.sql.split(None, 1)[0].upper()
    raise error("QUERY_TYPE_NOT_SUPPORTED", f"Statement '{word}' is not supported by the local Athena engine "
                                            "(see lab_helpers/engines/athena/sql.py for what is emulated)")


def _props(tree: exp.Create) -> list[exp.Expression]:
    props = tree.args.get("properties")
    return list(props.expressions) if props is not None else []


# --- databases -----------------------------------------------------------------------------------

def create_database(ex, tree: exp.Create):
    name = (tree.this.name or tree.this.db).lower()
    comment, location = "", ""
    for p in _props(tree):
        if isinstance(p, exp.SchemaCommentProperty):
            comment = p.this.name
        elif isinstance(p, exp.LocationProperty):
            location = p.this.name
    if ex.catalog.get_database(name) is not None:
        if tree.args.get("exists"):
            return utility("result", [], "DDL")
        raise hive_error(f"{DDL_TASK}Database {name} already exists", 1006)   # Athena's text, measured
    try:
        ex.catalog.create_database(name, comment, location)
    except CatalogError as e:
        raise hive_error(f"{DDL_TASK}{e.code}(message:{e.message})") from None
    return utility("result", [], "DDL")


def _drop_target(tree: exp.Drop) -> exp.Table:
    """sqlglot keeps the dropped object in ``tables`` (older versions used ``this``)."""
    tables = tree.args.get("tables") or []
    node = tree.this if tree.this is not None else (tables[0] if tables else None)
    if node is None or len(tables) > 1:
        raise error("SYNTAX_ERROR", "DROP takes exactly one name", (1, 1))
    return node


def drop_database(ex, tree: exp.Drop):
    node = _drop_target(tree)
    name = (node.name or node.db).lower()
    if ex.catalog.get_database(name) is None:
        if tree.args.get("exists"):
            return utility("result", [], "DDL")
        need_database(ex.catalog, name)
    tables = ex.catalog.list_tables(name)
    if tables and not tree.args.get("cascade"):
        raise hive_error(f"{DDL_TASK}InvalidOperationException(message:Database {name} is not empty. "
                         "One or more tables exist.)")
    try:
        for t in tables:   # metadata only: Athena never deletes S3 data
            ex.catalog.delete_table(name, t["Name"])
        ex.catalog.delete_database(name)
    except CatalogError as e:
        raise hive_error(f"{DDL_TASK}{e.code}(message:{e.message})") from None
    return utility("result", [], "DDL")


# --- CREATE EXTERNAL TABLE -----------------------------------------------------------------------

def _column(cd: exp.ColumnDef) -> dict:
    kind = cd.args.get("kind")
    text = kind.sql(dialect="hive") if kind is not None else "string"
    try:
        col = {"Name": cd.name.lower(), "Type": canonical_hive(text)}
    except ValueError:
        raise hive_error(f"FAILED: ParseException line 1:0 cannot recognize input near '{text}' in column type",
                         1006, "SYNTAX_ERROR") from None
    for c in cd.args.get("constraints") or []:
        if isinstance(c.args.get("kind"), exp.CommentColumnConstraint):
            col["Comment"] = c.args["kind"].this.name
    return col


def create_external_table(ex, tree: exp.Create):
    props = _props(tree)
    if not any(isinstance(p, exp.ExternalProperty) for p in props):
        raise error("NOT_SUPPORTED", "Only external table creation is supported: use CREATE EXTERNAL TABLE ... "
                                     "LOCATION 's3://...', or CREATE TABLE ... AS SELECT")
    schema = tree.this
    target = schema.this if isinstance(schema, exp.Schema) else schema
    db, name = (target.db or ex.database).lower(), target.name.lower()
    need_database(ex.catalog, db)
    columns = [_column(cd) for cd in (schema.expressions if isinstance(schema, exp.Schema) else [])
               if isinstance(cd, exp.ColumnDef)]
    keys, tblprops, serde, serde_params = [], {}, None, {}
    in_fmt = out_fmt = None
    location, comment = None, None
    for p in props:
        if isinstance(p, exp.PartitionedByProperty):
            keys = [_column(cd) for cd in p.this.expressions if isinstance(cd, exp.ColumnDef)]
        elif isinstance(p, exp.RowFormatSerdeProperty):
            serde = p.this.name
            sp = p.args.get("serde_properties")
            serde_params = {q.this.name: q.args["value"].name for q in (sp.expressions if sp else [])}
        elif isinstance(p, exp.RowFormatDelimitedProperty):
            serde = LAZY
            for arg, key in (("fields", "field.delim"), ("escaped", "escape.delim"),
                             ("collection_items", "colelction.delim"), ("map_keys", "mapkey.delim"),
                             ("lines", "line.delim"), ("null", "serialization.null.format")):
                if p.args.get(arg) is not None:
                    serde_params[key] = p.args[arg].name
            if "field.delim" in serde_params:
                serde_params["serialization.format"] = serde_params["field.delim"]
        elif isinstance(p, exp.FileFormatProperty):
            if isinstance(p.this, exp.InputOutputFormat):
                in_fmt, out_fmt = p.this.args["input_format"].name, p.this.args["output_format"].name
            else:
                stored = STORED_AS.get(p.this.name.upper())
                if stored is None:
                    raise error("NOT_SUPPORTED", f"STORED AS {p.this.name.upper()} is not supported")
                in_fmt, out_fmt = stored[0], stored[1]
                serde = serde or stored[2]
        elif isinstance(p, exp.LocationProperty):
            location = p.this.name
        elif isinstance(p, exp.SchemaCommentProperty):
            comment = p.this.name
        elif type(p) is exp.Property:   # TBLPROPERTIES; subclasses (EXTERNAL, ...) are handled above or ignored
            tblprops[p.name if not isinstance(p.this, exp.Literal) else p.this.name] = p.args["value"].name
    if str(tblprops.get("table_type", "")).upper() == "ICEBERG":
        raise error("NOT_SUPPORTED", "Iceberg tables are not supported by the local Athena engine")
    serde = serde or LAZY
    if not serde_params:
        serde_params = {"serialization.format": "1"}
    names = [c["Name"] for c in columns]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise hive_error(f"FAILED: SemanticException [Error 10036]: Duplicate column name: {dup}")
    clash = next((k["Name"] for k in keys if k["Name"] in names), None)
    if clash:
        raise hive_error("FAILED: SemanticException [Error 10035]: Column repeated in partitioning columns")
    if not location:
        raise error("SYNTAX_ERROR", "LOCATION is required for CREATE EXTERNAL TABLE (an s3:// path)",
                    node_position(ex.sql, target))
    if not location.startswith(("s3://", "s3a://", "s3n://")):
        raise hive_error(f"FAILED: SemanticException Invalid location '{location}': Athena tables must be in Amazon S3",
                         1100, "INVALID_ARGUMENT")
    existing = ex.catalog.get_table(db, name)
    if existing is not None:
        if tree.args.get("exists"):
            return utility("result", [], "DDL")
        # Athena's text, measured: "already exist" without the s
        raise hive_error(f"{DDL_TASK}AlreadyExistsException(message:Table {name} already exist)", 1006)
    table = {
        "Name": name, "TableType": "EXTERNAL_TABLE", "Owner": "hadoop",
        "Parameters": {"EXTERNAL": "TRUE", **tblprops, "transient_lastDdlTime": str(int(time.time()))},
        "PartitionKeys": keys,
        "StorageDescriptor": {
            "Columns": columns, "Location": location, "InputFormat": in_fmt or TEXT_IN, "OutputFormat": out_fmt or TEXT_OUT,
            "Compressed": False, "NumberOfBuckets": -1,
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params},
            "BucketColumns": [], "SortColumns": [], "Parameters": {}, "StoredAsSubDirectories": False,
        },
    }
    if comment:
        table["Description"] = comment
    try:
        ex.catalog.create_table(db, table)
    except CatalogError as e:
        raise hive_error(f"{DDL_TASK}{e.code}(message:{e.message})") from None
    return utility("result", [], "DDL")


# --- views ---------------------------------------------------------------------------------------

_VIEW = re.compile(rf"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+{QNAME}\s+(?:COMMENT\s+'(?:[^']|'')*'\s+)?"
                   r"(?:SECURITY\s+\w+\s+)?AS\s+(.*)$", re.I | re.S)


def presto_view(sql: str, db: str, names: list[str], types: list) -> dict:
    """A view's Glue TableInput exactly as Athena writes it."""
    payload = {"originalSql": sql, "catalog": DEFAULT_CATALOG, "schema": db,
               "columns": [{"name": n, "type": trino_type(t)} for n, t in zip(names, types)],
               "owner": "", "runAsInvoker": False, "properties": {}}
    encoded = base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    return {
        "TableType": "VIRTUAL_VIEW",
        "Parameters": {"presto_view": "true", "comment": "Presto View"},
        "ViewOriginalText": f"/* Presto View: {encoded} */",
        "ViewExpandedText": "/* Presto View */",
        "PartitionKeys": [],
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": hive_type(t)} for n, t in zip(names, types)],
            "Location": "", "InputFormat": "", "OutputFormat": "", "Compressed": False, "NumberOfBuckets": 0,
            "SerdeInfo": {}, "BucketColumns": [], "SortColumns": [], "Parameters": {}, "StoredAsSubDirectories": False,
        },
    }


def create_view(ex, tree: exp.Create):
    target = tree.this
    db, name = (target.db or ex.database).lower(), target.name.lower()
    where = f"'{DEFAULT_CATALOG}.{db}.{name}'"
    if ex.catalog.get_database(db) is None:
        raise error("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", node_position(ex.sql, target))
    m = _VIEW.match(ex.sql)
    original = m.group(1).strip() if m else tree.expression.sql(dialect="trino")
    rel = ex.bind(tree.expression, ex.sql, db)
    names = [n.lower() for n in rel.names]
    existing = ex.catalog.get_table(db, name)
    table = {"Name": name, **presto_view(original, db, names, rel.types)}
    try:
        if existing is not None:
            if not tree.args.get("replace") or not is_view(existing):
                kind = "View" if is_view(existing) else "Table"
                raise error("TABLE_ALREADY_EXISTS", f"{kind} already exists: {where}", (1, 1))
            ex.catalog.update_table(db, table)
        else:
            ex.catalog.create_table(db, table)
    except CatalogError as e:
        raise error("HIVE_METASTORE_ERROR", e.message) from None
    return utility("result", [], "DDL")


def drop_table(ex, tree: exp.Drop, kind: str):
    node = _drop_target(tree)
    db, name = (node.db or ex.database).lower(), node.name.lower()
    need_database(ex.catalog, db)
    table = ex.catalog.get_table(db, name)
    if table is None or (kind == "VIEW" and not is_view(table)):
        if tree.args.get("exists"):
            return utility("result", [], "DDL")
        if kind == "VIEW":
            raise error("TABLE_NOT_FOUND", f"View '{DEFAULT_CATALOG}.{db}.{name}' does not exist",
                        node_position(ex.sql, node))
        raise hive_error(f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}", 1110, "TABLE_NOT_FOUND")
    if kind == "TABLE" and is_view(table):
        raise hive_error("FAILED: SemanticException [Error 10137]: Cannot drop a view with DROP TABLE")
    try:
        ex.catalog.delete_table(db, name)   # metadata only: the S3 objects stay
    except CatalogError as e:
        raise error("HIVE_METASTORE_ERROR", e.message) from None
    return utility("result", [], "DDL")
