"""The system views labs look at, filled from the warehouse and the Glue catalog when a query names them:
SVV_EXTERNAL_SCHEMAS/TABLES/COLUMNS, SVV_TABLE_INFO, SVV_TABLES, PG_TABLE_DEF, STL_LOAD_ERRORS,
SYS_LOAD_ERROR_DETAIL, SYS_EXTERNAL_QUERY_DETAIL (one row per Spectrum table a statement read: partitions
in the table and qualified by the WHERE, files and bytes read; ``returned_rows`` is NULL — the rows
are not counted — and the view forgets its oldest rows after 10,000 scans or an endpoint restart), and ``information_schema.tables``/``views`` (which must list stored views).
Other ``information_schema`` and ``pg_catalog`` relations are DuckDB's own (PostgreSQL-compatible)."""
from __future__ import annotations

import json

import pyarrow as pa

from .sqltext import META

VIEWS = ("svv_external_schemas", "svv_external_tables", "svv_external_columns", "svv_external_databases",
         "svv_table_info", "svv_tables", "pg_table_def", "stl_load_errors", "sys_load_error_detail",
         "sys_external_query_detail")
_OVERRIDDEN = {("information_schema", "tables"), ("information_schema", "views")}


def is_system(schema: str | None, name: str) -> bool:
    if (schema, name) in _OVERRIDDEN:
        return True
    return name in VIEWS and schema in (None, "pg_catalog", "public")


def register(session, schema: str | None, name: str) -> str:
    data = _BUILDERS[name if schema != "information_schema" else f"information_schema.{name}"](session)
    session.temp_n += 1
    view = f"__rs_sys{session.temp_n}"
    session.con.register(view, pa.table(data) if not isinstance(data, pa.Table) else data)
    return view


def _columns(names: list[str], rows: list[tuple], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    types = types or {}
    cols = list(zip(*rows)) if rows else [[] for _ in names]
    return pa.table({n: pa.array(list(c), types.get(n, pa.string())) for n, c in zip(names, cols)})


def _external_schemas(session):
    rows = [(i + 100000, 1, s, 100, info["database"], json.dumps({"IAM_ROLE": info["role"], "REGION": info["region"]}))
            for i, (s, info) in enumerate(sorted(session.external_schemas().items()))]
    return _columns(["esoid", "eskind", "schemaname", "esowner", "databasename", "esoptions"], rows,
                    {"esoid": pa.int64(), "eskind": pa.int16(), "esowner": pa.int32()})


def _external_databases(session):
    rows = sorted({(1, info["database"], json.dumps({"REGION": info["region"]}))
                   for info in session.external_schemas().values()})
    return _columns(["eskind", "databasename", "esoptions"], rows, {"eskind": pa.int16()})


def _external_tables(session):
    from . import spectrum

    rows = []
    for item in spectrum.external_tables(session):
        t = item["table"]
        sd = t.get("StorageDescriptor") or {}
        serde = sd.get("SerdeInfo") or {}
        rows.append((session.database, item["schema"], t["Name"], "EXTERNAL_TABLE", sd.get("Location"),
                     sd.get("InputFormat"), sd.get("OutputFormat"), serde.get("SerializationLibrary"),
                     json.dumps(serde.get("Parameters") or {}), 0, json.dumps(t.get("Parameters") or {})))
    return _columns(["redshift_database_name", "schemaname", "tablename", "tabletype", "location", "input_format",
                     "output_format", "serialization_lib", "serde_parameters", "compressed", "parameters"], rows,
                    {"compressed": pa.int32()})


def _external_columns(session):
    from . import spectrum

    rows = []
    for item in spectrum.external_tables(session):
        t = item["table"]
        cols = (t.get("StorageDescriptor") or {}).get("Columns") or []
        keys = t.get("PartitionKeys") or []
        for i, c in enumerate(cols + keys, 1):
            rows.append((session.database, item["schema"], t["Name"], c["Name"], c.get("Type"),
                         i, (keys.index(c) + 1) if c in keys else 0, "true"))
    return _columns(["redshift_database_name", "schemaname", "tablename", "columnname", "external_type", "columnnum",
                     "part_key", "is_nullable"], rows, {"columnnum": pa.int32(), "part_key": pa.int32()})


def _local_tables(session) -> list[tuple]:
    return session.con.execute(
        "SELECT schema_name, table_name, table_oid, estimated_size FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name <> ? AND NOT temporary ORDER BY 1, 2",
        [META]).fetchall()


def _table_info(session):
    attrs = {(r[0], r[1]): r[2:] for r in session.con.execute(
        f"SELECT schema_name, table_name, diststyle, distkey, sortkey, sortkey_type, encodings, created "
        f"FROM {META}.table_attrs").fetchall()}
    rows = []
    for schema, name, oid, _ in _local_tables(session):
        count = session.con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
        cols = session.con.execute("SELECT data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                                   "AND database_name = current_database()", [schema, name]).fetchall()
        diststyle, distkey, sortkey, sortkey_type, encodings, created = attrs.get((schema, name),
                                                                                  ("AUTO", None, None, None, "{}", None))
        style = {"KEY": f"KEY({distkey})", "AUTO": "AUTO(ALL)" if count < 1000 else "AUTO(EVEN)",
                 "EVEN": "EVEN", "ALL": "ALL"}.get(diststyle or "AUTO", diststyle)
        first_sort = sortkey.split(",")[0] if sortkey else None
        size_mb = max(1, len(cols)) * 2 if count else 0     # Redshift allocates 1 MB blocks per column per slice
        rows.append((session.database, schema, oid, name, "Y" if json.loads(encodings or "{}") else "N", style,
                     first_sort, len(sortkey.split(",")) if sortkey else 0, size_mb, count == 0, 0.0, 0.0,
                     count, count, 0.0, created))
    return _columns(["database", "schema", "table_id", "table", "encoded", "diststyle", "sortkey1", "sortkey_num",
                     "size", "empty", "unsorted", "stats_off", "tbl_rows", "estimated_visible_rows", "skew_rows",
                     "create_time"], rows,
                    {"table_id": pa.int64(), "sortkey_num": pa.int32(), "size": pa.int64(), "empty": pa.bool_(),
                     "unsorted": pa.float64(), "stats_off": pa.float64(), "tbl_rows": pa.int64(),
                     "estimated_visible_rows": pa.int64(), "skew_rows": pa.float64(),
                     "create_time": pa.timestamp("us", tz="UTC")})


def _svv_tables(session):
    rows = [(session.database, s, n, "BASE TABLE", None) for s, n, _, _ in _local_tables(session)]
    rows += [(session.database, s, n, "VIEW", None) for (s, n), v in sorted(session.views().items())
             if v["kind"] != "materialized"]
    from . import spectrum

    rows += [(session.database, item["schema"], item["table"]["Name"], "EXTERNAL TABLE", None)
             for item in spectrum.external_tables(session)]
    return _columns(["table_catalog", "table_schema", "table_name", "table_type", "remarks"], rows)


def _info_tables(session):
    rows = [(session.database, s, n, "BASE TABLE") for s, n, _, _ in _local_tables(session)]
    rows += [(session.database, s, n, "VIEW") for (s, n), v in sorted(session.views().items())
             if v["kind"] != "materialized"]
    return _columns(["table_catalog", "table_schema", "table_name", "table_type"], rows)


def _info_views(session):
    rows = [(session.database, s, n, v["definition"]) for (s, n), v in sorted(session.views().items())
            if v["kind"] != "materialized"]
    return _columns(["table_catalog", "table_schema", "table_name", "view_definition"], rows)


def _pg_table_def(session):
    attrs = {(r[0], r[1]): (r[2], r[3], json.loads(r[4] or "{}")) for r in session.con.execute(
        f"SELECT schema_name, table_name, distkey, sortkey, encodings FROM {META}.table_attrs").fetchall()}
    from .types import pg_type

    rows = []
    for schema, name, _, _ in _local_tables(session):
        if schema not in session.search_path:
            continue   # PG_TABLE_DEF only shows tables in schemas on the search path, as on Redshift
        distkey, sortkey, enc = attrs.get((schema, name), (None, None, {}))
        sorts = (sortkey or "").split(",")
        for cname, dtype, notnull in session.con.execute(
                "SELECT column_name, data_type, NOT is_nullable FROM duckdb_columns() WHERE schema_name = ? AND "
                "table_name = ? AND database_name = current_database() ORDER BY column_index", [schema, name]).fetchall():
            rows.append((schema, name, cname, pg_type(dtype).sql, enc.get(cname, "none"), cname == distkey,
                         (sorts.index(cname) + 1) if cname in sorts else 0, bool(notnull)))
    return _columns(["schemaname", "tablename", "column", "type", "encoding", "distkey", "sortkey", "notnull"], rows,
                    {"distkey": pa.bool_(), "sortkey": pa.int32(), "notnull": pa.bool_()})


def _load_errors(session):
    rows = session.con.execute(
        f"SELECT 100, 0, 0, starttime, session, query, filename, line_number, colname, type, col_length, position, "
        f"raw_line, raw_field_value, err_code, err_reason, tbl_schema, tbl_name FROM {META}.load_errors "
        f"ORDER BY starttime, line_number").fetchall()
    oids = {(s, n): o for s, n, o, _ in _local_tables(session)}
    rows = [r[:2] + (oids.get((r[16], r[17]), 0),) + r[3:16] for r in rows]
    return _columns(["userid", "slice", "tbl", "starttime", "session", "query", "filename", "line_number", "colname",
                     "type", "col_length", "position", "raw_line", "raw_field_value", "err_code", "err_reason"], rows,
                    {"userid": pa.int32(), "slice": pa.int32(), "tbl": pa.int64(), "starttime": pa.timestamp("us"),
                     "session": pa.int32(), "query": pa.int64(), "line_number": pa.int64(), "position": pa.int32(),
                     "err_code": pa.int32()})


def _load_error_detail(session):
    rows = session.con.execute(
        f"SELECT 100, query, 0, session, ?, tbl_schema, tbl_name, starttime, filename, line_number, colname, type, "
        f"col_length, position, err_code, err_reason, raw_line, raw_field_value FROM {META}.load_errors "
        f"ORDER BY starttime, line_number", [session.database]).fetchall()
    oids = {(s, n): o for s, n, o, _ in _local_tables(session)}
    rows = [r[:5] + (oids.get((r[5], r[6]), 0),) + r[7:] for r in rows]
    return _columns(["user_id", "query_id", "transaction_id", "session_id", "database_name", "table_id", "start_time",
                     "file_name", "line_number", "column_name", "column_type", "column_length", "position",
                     "error_code", "error_message", "raw_line", "raw_field_value"], rows,
                    {"user_id": pa.int32(), "query_id": pa.int64(), "transaction_id": pa.int64(),
                     "session_id": pa.int32(), "table_id": pa.int64(), "start_time": pa.timestamp("us"),
                     "line_number": pa.int64(), "position": pa.int32(), "error_code": pa.int32()})


def _external_query_detail(session):
    rows = []
    for r in list(session.warehouse.external_scans):
        start, end = r["start_time"], r["end_time"]
        duration = int((end - start).total_seconds() * 1e6) if end is not None else None
        utc = lambda t: t.replace(tzinfo=None) if t is not None else None   # noqa: E731 - UTC, as Redshift shows it
        rows.append((100, r["query_id"], 0, 0, 0, "S3", utc(start), utc(end), duration, r["total_partitions"],
                     r["qualified_partitions"], r["scanned_files"], None, r["returned_bytes"], r["file_format"],
                     r["file_location"], ""))
    return _columns(["user_id", "query_id", "transaction_id", "child_query_sequence", "segment_id", "source_type",
                     "start_time", "end_time", "duration", "total_partitions", "qualified_partitions", "scanned_files",
                     "returned_rows", "returned_bytes", "file_format", "file_location", "external_query_text"], rows,
                    {"user_id": pa.int32(), "query_id": pa.int64(), "transaction_id": pa.int64(),
                     "child_query_sequence": pa.int32(), "segment_id": pa.int32(),
                     "start_time": pa.timestamp("us"), "end_time": pa.timestamp("us"), "duration": pa.int64(),
                     "total_partitions": pa.int32(), "qualified_partitions": pa.int32(), "scanned_files": pa.int64(),
                     "returned_rows": pa.int64(), "returned_bytes": pa.int64()})


_BUILDERS = {
    "svv_external_schemas": _external_schemas, "svv_external_databases": _external_databases,
    "svv_external_tables": _external_tables, "svv_external_columns": _external_columns,
    "svv_table_info": _table_info, "svv_tables": _svv_tables, "pg_table_def": _pg_table_def,
    "stl_load_errors": _load_errors, "sys_load_error_detail": _load_error_detail,
    "sys_external_query_detail": _external_query_detail,
    "information_schema.tables": _info_tables, "information_schema.views": _info_views,
}
