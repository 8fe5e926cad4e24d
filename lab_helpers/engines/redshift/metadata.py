"""redshift-data's metadata calls: ListDatabases, ListSchemas, ListTables, DescribeTable, read from the
warehouse (local tables, views) and the Glue catalog (external schemas)."""
from __future__ import annotations

import fnmatch
import json

from ...endpoint.registry import EngineError, EngineResponse
from .data_api import _target
from .errors import RedshiftError
from .state import state
from .types import column_metadata, pg_type


def _metadata_session(request, ctx, p: dict):
    target, user, database = _target(request, ctx, {**p, "Database": p.get("ConnectedDatabase") or p.get("Database")})
    try:
        return target, state(ctx).warehouse(target, database).session(user)
    except RedshiftError as e:
        raise EngineError("DatabaseConnectionException", e.text.replace("ERROR:", "FATAL:", 1), 500) from None


def _like(pattern: str | None, value: str) -> bool:
    if not pattern:
        return True
    return fnmatch.fnmatchcase(value, pattern.replace("%", "*").replace("_", "?"))


def _paged(items: list, p: dict, key: str):
    start = int(p.get("NextToken") or 0)
    size = int(p.get("MaxResults") or 1000)
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return EngineResponse.json(out)


def list_databases(request, ctx):
    p = request.json()
    st = state(ctx)
    wg, cluster = p.get("WorkgroupName"), p.get("ClusterIdentifier")
    if not wg and not cluster:
        raise EngineError("ValidationException", "Either WorkgroupName or ClusterIdentifier must be specified.")
    target = st.workgroup_target(wg, request.region) if wg else st.cluster_target(cluster, request.region)
    return _paged(st.databases(target), p, "Databases")


def list_schemas(request, ctx):
    p = request.json()
    _, session = _metadata_session(request, ctx, p)
    try:
        names = session.local_schemas() + list(session.external_schemas()) + ["information_schema", "pg_catalog"]
    finally:
        session.close()
    return _paged(sorted(n for n in set(names) if _like(p.get("SchemaPattern"), n)), p, "Schemas")


def list_tables(request, ctx):
    p = request.json()
    _, session = _metadata_session(request, ctx, p)
    from . import spectrum

    try:
        rows = [(s, n, "TABLE") for s, n in session.con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() AND "
            "schema_name <> '__labkit' AND NOT temporary").fetchall()]
        rows += [(s, n, "MATERIALIZED VIEW" if v["kind"] == "materialized" else "VIEW")
                 for (s, n), v in session.views().items()]
        rows = [r for r in rows if not (r[2] == "TABLE" and (r[0], r[1]) in session.views())]
        if p.get("SchemaPattern") is None or any(_like(p.get("SchemaPattern"), s) for s in session.external_schemas()):
            rows += [(item["schema"], item["table"]["Name"], "EXTERNAL TABLE")
                     for item in spectrum.external_tables(session)]
    finally:
        session.close()
    items = [{"name": n, "schema": s, "type": t} for s, n, t in sorted(rows)
             if _like(p.get("SchemaPattern"), s) and _like(p.get("TablePattern"), n)]
    return _paged(items, p, "Tables")


def describe_table(request, ctx):
    p = request.json()
    _, session = _metadata_session(request, ctx, p)
    from . import spectrum

    schema = (p.get("Schema") or "public").lower()
    table = (p.get("Table") or "").lower()
    try:
        if not table:
            return _paged([], p, "ColumnList")
        cols = []
        if schema in session.external_schemas():
            _, t = spectrum.glue_table(session, schema, table)
            from ..athena.types import parse_hive

            for c in ((t.get("StorageDescriptor") or {}).get("Columns") or []) + (t.get("PartitionKeys") or []):
                meta = column_metadata(c["Name"], pg_type(parse_hive(c.get("Type") or "string").duckdb()),
                                       schema, table)
                cols.append(meta)
        elif (schema, table) in session.views():
            result = session.execute(f'SELECT * FROM "{schema}"."{table}" LIMIT 0')
            cols = [column_metadata(n, t, schema, table) for n, t in zip(result.names, result.types)]
        else:
            for name, dtype, nullable, default in session.con.execute(
                    "SELECT column_name, data_type, is_nullable, column_default FROM duckdb_columns() WHERE "
                    "schema_name = ? AND table_name = ? AND database_name = current_database() ORDER BY column_index",
                    [schema, table]).fetchall():
                meta = column_metadata(name, pg_type(dtype), schema, table)
                meta["nullable"] = 1 if nullable else 0
                if default:
                    meta["columnDefault"] = str(default)
                cols.append(meta)
    except RedshiftError as e:
        raise EngineError("ValidationException", e.text) from None
    finally:
        session.close()
    out = _paged(cols, p, "ColumnList")
    body = json.loads(out.body)
    body["TableName"] = table
    return EngineResponse.json(body)

