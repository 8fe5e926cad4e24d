"""Spectrum: external schemas over the Glue Data Catalog, read through the Athena engine's scan layer.

``CREATE EXTERNAL SCHEMA s FROM DATA CATALOG DATABASE 'db' IAM_ROLE '<arn>'`` records the mapping in
the warehouse; a query naming ``s.t`` gets ``db.t`` from Glue and reads its S3 objects with
``athena.scan.TableScanner`` (one reader for both engines: same SerDes, partitions and catalog
types) **as the schema's IAM role** — so a role that may not use the lake's KMS key fails the query
the way Spectrum does (S3 answers 403, code 15007). A WHERE (or inner-join ON) conjunct on partition
columns alone prunes partitions with the Athena engine's ``prune_partitions``: only the matching
partitions are listed and read. Each scan is logged for SYS_EXTERNAL_QUERY_DETAIL (partitions in
the table and qualified, files and bytes read).
"""
from __future__ import annotations

import datetime as dt
import re

from ..athena.errors import AthenaQueryError
from ..athena.resolve import prune_partitions
from ..athena.scan import TableScanner, storage_format
from ..ports import CatalogError
from .errors import RedshiftError, schema_missing
from .sqltext import META, Options, quote_str, tokens, unquote_ident



def create_external_schema(session, text: str):
    """CREATE EXTERNAL SCHEMA [IF NOT EXISTS] name FROM DATA CATALOG DATABASE 'db' [REGION 'r']
    IAM_ROLE { DEFAULT | 'arn[,arn]' } [CREATE EXTERNAL DATABASE IF NOT EXISTS] [CATALOG_ROLE ...]"""
    m = re.match(r"\s*CREATE\s+EXTERNAL\s+SCHEMA\s+(.*)$", text, re.I | re.S)
    opts = Options(tokens(m.group(1)))
    if_not_exists = opts.accept("IF", "NOT", "EXISTS")
    name = unquote_ident(opts.word())
    database = region = role = None
    create_db = False
    opts.accept("FROM")
    while not opts.done:
        if opts.accept("DATA", "CATALOG"):
            continue
        if opts.accept("DATABASE"):
            database = opts.string()
        elif opts.accept("REGION"):
            region = opts.string()
        elif opts.accept("IAM_ROLE"):
            role = "default" if opts.accept("DEFAULT") else opts.string()
        elif opts.accept("CATALOG_ROLE"):
            opts.string() if opts.maybe_string() is None and not opts.accept("DEFAULT") else None
        elif opts.accept("CREATE", "EXTERNAL", "DATABASE", "IF", "NOT", "EXISTS"):
            create_db = True
        elif opts.accept("CATALOG_ID") or opts.accept("SCHEMA"):
            opts.string()
        elif opts.accept("HIVE", "METASTORE") or opts.accept("POSTGRES") or opts.accept("MYSQL") or \
                opts.accept("KINESIS") or opts.accept("KAFKA") or opts.accept("MSK"):
            raise RedshiftError("only FROM DATA CATALOG external schemas are supported by the local Redshift engine",
                                "0A000")
        else:
            raise opts.fail()
    if database is None:
        raise RedshiftError("DATABASE is required for an external schema FROM DATA CATALOG", "42601")
    if role is None:
        raise RedshiftError("IAM_ROLE must be specified for external schemas", "42601")
    if role == "default":
        role = session.warehouse.default_role()
        if not role:
            raise RedshiftError("Default IAM role is not set. Set a default IAM role for the namespace or "
                                "name the role in IAM_ROLE.", "42704")
    for arn in role.split(","):
        if not re.match(r"^arn:aws[\w-]*:iam::\d{12}:role/.+", arn.strip()):
            raise RedshiftError(f"Invalid IAM_ROLE ARN: {arn.strip()}", "22023")
    con = session.con
    if session.schema_exists(name):
        if if_not_exists:
            return session.tagged("CREATE SCHEMA")
        raise RedshiftError(f'Schema "{name}" already exists', "42P06")
    catalog = session.warehouse.lake.catalog(region or session.warehouse.region)
    glue_db = database.lower()
    if catalog.get_database(glue_db) is None:
        if not create_db:
            # Redshift creates the schema and fails only when a query names a table; but an unknown
            # database is almost always a typo, so the local engine says so at once.
            raise RedshiftError(f"External database \"{glue_db}\" does not exist in the Glue Data Catalog. "
                                "Create it, or add CREATE EXTERNAL DATABASE IF NOT EXISTS.", "3D000")
        catalog.create_database(glue_db)
    con.execute(f"INSERT INTO {META}.external_schemas VALUES (?, ?, ?, ?, ?)",
                [name, glue_db, role, region or session.warehouse.region, dt.datetime.now(dt.timezone.utc)])
    return session.tagged("CREATE SCHEMA")


def external_schemas(con) -> dict[str, dict]:
    rows = con.execute(f"SELECT schema_name, glue_database, iam_role, region FROM {META}.external_schemas").fetchall()
    return {r[0]: {"database": r[1], "role": r[2], "region": r[3]} for r in rows}


def drop_external_schema(session, name: str, drop_db: bool) -> None:
    info = external_schemas(session.con)[name]
    session.con.execute(f"DELETE FROM {META}.external_schemas WHERE schema_name = ?", [name])
    if drop_db:
        catalog = session.warehouse.lake.catalog(info["region"])
        try:
            catalog.delete_database(info["database"])
        except CatalogError:
            pass


def glue_table(session, schema: str, name: str) -> tuple[dict, dict]:
    """(external schema info, Glue table) or Redshift's not-found error."""
    info = external_schemas(session.con).get(schema)
    if info is None:
        raise schema_missing(schema)
    catalog = session.warehouse.lake.catalog(info["region"])
    try:
        table = catalog.get_table(info["database"], name)
    except CatalogError:
        table = None
    if table is None:
        raise RedshiftError(f'relation "{schema}.{name}" does not exist', "42P01")
    return info, table


def scan(session, schema: str, name: str, needed: set[str] | None, node=None) -> str:
    """A temp view over the external table's data, read as the schema's role; returns its name.
    ``node`` is the table's reference in the statement (its WHERE prunes partitions)."""
    started = dt.datetime.now(dt.timezone.utc)
    info, table = glue_table(session, schema, name)
    if (table.get("TableType") or "").upper() == "VIRTUAL_VIEW":
        raise RedshiftError(f"Spectrum cannot query the Athena view {schema}.{name}: views in the Data Catalog "
                            "are not supported by Redshift Spectrum", "0A000")
    role = info["role"].split(",")[-1].strip()     # a role chain acts as its last role
    store = session.warehouse.lake.store_as(role, info["region"])
    catalog = session.warehouse.lake.catalog(info["region"])
    partitions = None
    total = 0
    if table.get("PartitionKeys"):
        try:
            partitions = catalog.get_partitions(info["database"], name)
        except CatalogError as e:
            raise RedshiftError(f"Spectrum Scan Error: {e.message}", "XX000") from None
        total = len(partitions)
        if node is not None:
            partitions = prune_partitions(session.con, node, node.alias_or_name, table, partitions)
    try:
        result = TableScanner(store, session.con).scan(table, partitions, needed)
    except AthenaQueryError as e:
        raise spectrum_error(e, table) from None
    session.scanned_bytes += result.scanned_bytes
    sd = table.get("StorageDescriptor") or {}
    session.warehouse.log_external_scan(session, {
        "start_time": started, "total_partitions": total,
        "qualified_partitions": len(partitions) if partitions is not None else 0,
        "scanned_files": len(result.paths), "returned_bytes": result.scanned_bytes,
        "file_format": _FORMATS.get(storage_format(sd), storage_format(sd)), "file_location": sd.get("Location") or "",
        "table": f"{schema}.{name}"})
    session.temp_n += 1
    view = f"__rs_ext{session.temp_n}"
    session.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {result.sql}")
    return view


_FORMATS = {"parquet": "Parquet", "text": "Text", "csv": "Text", "json": "JSON", "orc": "ORC", "avro": "Avro"}


def spectrum_error(e: AthenaQueryError, table: dict) -> RedshiftError:
    location = (table.get("StorageDescriptor") or {}).get("Location", "")
    if e.code == "S3_ACCESS_DENIED":
        return RedshiftError(
            "Spectrum Scan Error",
            "XX000",
            f"error: Spectrum Scan Error code: 15007 context: Forbidden: HTTP response error code: 403 "
            f"Message: AccessDenied Access Denied ({e.message}) location: {location}")
    if e.code == "S3_BUCKET_NOT_FOUND":
        return RedshiftError("Spectrum Scan Error", "XX000",
                             f"error: Spectrum Scan Error code: 15001 context: The specified bucket does not exist "
                             f"location: {location}")
    text = re.sub(r"^[A-Z_]+: ", "", e.message)
    return RedshiftError("Spectrum Scan Error", "XX000", f"error: Spectrum Scan Error code: 15001 context: {text}")


def external_tables(session) -> list[dict]:
    """Rows for SVV_EXTERNAL_TABLES / SVV_EXTERNAL_COLUMNS / ListTables."""
    out = []
    for schema, info in sorted(external_schemas(session.con).items()):
        catalog = session.warehouse.lake.catalog(info["region"])
        try:
            tables = catalog.list_tables(info["database"])
        except CatalogError:
            tables = []
        for t in tables:
            out.append({"schema": schema, "database": info["database"], "table": t})
    return out


def quote_location(text: str) -> str:
    return quote_str(text)
