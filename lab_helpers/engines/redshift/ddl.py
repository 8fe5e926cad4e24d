"""Statements other than COPY/UNLOAD/external schemas: queries, DML, CREATE/DROP of tables, views
(plain, late-binding, materialized) and schemas, SET/SHOW."""
from __future__ import annotations

import datetime as dt
import json
import re

from sqlglot import exp

from . import views
from .dialect import to_duckdb
from .errors import RedshiftError, relation_missing, schema_missing
from .sqltext import META, Options, qualified, quote_ident, tokens, unquote_ident

_NOW = lambda: dt.datetime.now(dt.timezone.utc)   # noqa: E731


# --- dispatch ------------------------------------------------------------------------------------

def statement(session, tree: exp.Expression, params: dict):
    binder = session.binder()
    if isinstance(tree, (exp.Query, exp.Values)):
        tree = binder.prepare(tree)
        if params and not tree.find(exp.Placeholder, exp.Parameter):
            params = None     # every placeholder was rewritten away (a driver's catalog probe)
        return session.query(binder.select_sql(tree), params)
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind == "VIEW":
            return views.create_view(session, tree)
        if kind == "TABLE":
            return create_table(session, tree, params)
        raise RedshiftError(f"CREATE {kind} is not supported by the local Redshift engine", "0A000")
    if isinstance(tree, exp.Drop):
        return drop(session, tree)
    if isinstance(tree, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        return dml(session, tree, params)
    if isinstance(tree, exp.Alter):
        return alter(session, tree)
    if isinstance(tree, exp.TruncateTable):
        tree = binder.prepare(tree, skip={id(t) for t in tree.expressions})
        session.con.execute(to_duckdb(tree))
        return session.tagged("TRUNCATE TABLE")
    raise RedshiftError(f"{tree.key.upper()} statements are not supported by the local Redshift engine", "0A000")


def command(session, text: str, words: list[str]):
    """Statements matched on their words (sqlglot reads them loosely or not at all); None = not ours."""
    head = " ".join(words)
    if head.startswith("CREATE MATERIALIZED VIEW"):
        return views.create_materialized_view(session, text)
    if head.startswith("REFRESH MATERIALIZED VIEW"):
        name = re.match(r"\s*REFRESH\s+MATERIALIZED\s+VIEW\s+(\S+)", text, re.I).group(1)
        return views.refresh_materialized_view(session, *qualified(name))
    if head.startswith("DROP MATERIALIZED VIEW"):
        m = re.match(r"\s*DROP\s+MATERIALIZED\s+VIEW\s+(IF\s+EXISTS\s+)?(\S+)", text, re.I)
        return views.drop_materialized_view(session, *qualified(m.group(2)), bool(m.group(1)))
    if head.startswith("DROP SCHEMA"):
        return drop_schema(session, text)
    if head.startswith("CREATE SCHEMA"):
        m = re.match(r"\s*CREATE\s+SCHEMA\s+(IF\s+NOT\s+EXISTS\s+)?(\"(?:[^\"]|\"\")*\"|[\w$]+)", text, re.I)
        if not m:
            raise RedshiftError('syntax error at or near "SCHEMA"', "42601")
        return create_schema(session, unquote_ident(m.group(2)), bool(m.group(1)))
    if head.startswith("CREATE DATABASE") or head.startswith("DROP DATABASE"):
        hook = getattr(session.warehouse, "database_hook", None)
        if hook is None:
            raise RedshiftError("CREATE DATABASE is not supported here", "0A000")
        return hook(session, text)
    if head.startswith("CREATE TABLE") and re.search(r"\(\s*LIKE\s", text, re.I):
        raise RedshiftError("CREATE TABLE ... (LIKE ...) is not supported by the local Redshift engine", "0A000")
    return None


# --- queries and DML -----------------------------------------------------------------------------

def _targets(tree: exp.Expression) -> set[int]:
    target = tree.this
    ids = {id(target)}
    if isinstance(target, exp.Schema):
        ids.add(id(target.this))
    return ids


def dml(session, tree, params: dict):
    externals = session.external_schemas()
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if isinstance(target, exp.Table) and (target.db or "").lower() in externals:
        raise RedshiftError("INSERT, UPDATE and DELETE on external tables are not supported by the local Redshift "
                            "engine; write the files with UNLOAD or Athena", "0A000")
    if isinstance(target, exp.Table):
        schema = (target.db or "").lower() or session.lookup_schema(target.name.lower())
        if (schema, target.name.lower()) in session.views():
            raise RedshiftError(f'cannot change view "{target.name.lower()}"', "55000")
    binder = session.binder()
    tree = binder.prepare(tree, skip=_targets(tree))
    if isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Query):
        pass
    sql = to_duckdb(tree)
    rows = session.con.execute(sql, params).fetchall() if params else session.con.execute(sql).fetchall()
    count = int(rows[0][0]) if rows and rows[0] and isinstance(rows[0][0], int) else 0
    tag = {"Insert": f"INSERT 0 {count}", "Update": f"UPDATE {count}", "Delete": f"DELETE {count}",
           "Merge": f"MERGE {count}"}[type(tree).__name__]
    return session.tagged(tag, count)


# --- tables ----------------------------------------------------------------------------------------

def _table_name(session, node: exp.Expression) -> tuple[str, str]:
    table = node.this if isinstance(node, exp.Schema) else node
    name = table.name.lower()
    schema = (table.db or "").lower() or (session.search_path[0] if session.search_path else "public")
    return schema, name


def create_table(session, tree: exp.Create, params: dict):
    schema, name = _table_name(session, tree.this)
    props = tree.args.get("properties")
    temporary = props is not None and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions)
    if temporary:
        schema = "temp"
    elif schema in session.external_schemas():
        raise RedshiftError("CREATE TABLE in an external schema is not supported by the local Redshift engine "
                            "(Spectrum CREATE EXTERNAL TABLE AS)", "0A000")
    if not temporary and not session.schema_exists(schema):
        raise schema_missing(schema)
    if (schema, name) in session.views():
        raise RedshiftError(f'relation "{name}" already exists', "42P07")
    attrs = {"diststyle": "AUTO", "distkey": None, "sortkey": None, "sortkey_type": None, "encodings": {}}
    props = tree.args.get("properties")
    if props is not None:
        keep = []
        for p in props.expressions:
            if isinstance(p, exp.DistStyleProperty):
                attrs["diststyle"] = p.this.name.upper()
            elif isinstance(p, exp.DistKeyProperty):
                attrs["distkey"] = p.this.name.lower()
                attrs["diststyle"] = "KEY"
            elif isinstance(p, exp.SortKeyProperty):
                keys = p.this if isinstance(p.this, list) else [p.this]
                attrs["sortkey"] = ",".join(k.name.lower() for k in keys)
                attrs["sortkey_type"] = "COMPOUND" if p.args.get("compound") is not False else "INTERLEAVED"
            elif isinstance(p, (exp.BackupProperty,)) if hasattr(exp, "BackupProperty") else False:
                continue
            elif isinstance(p, exp.TemporaryProperty):
                keep.append(p)
            else:
                keep.append(p)
        tree.set("properties", exp.Properties(expressions=keep) if keep else None)
    sequences = []
    if isinstance(tree.this, exp.Schema):
        for col in tree.this.expressions:
            if not isinstance(col, exp.ColumnDef):
                continue
            cname = col.name.lower()
            constraints = []
            for c in col.args.get("constraints") or []:
                kind = c.args.get("kind")
                if isinstance(kind, exp.EncodeColumnConstraint):
                    attrs["encodings"][cname] = kind.this.name.lower()
                    continue
                if isinstance(kind, (exp.DistKeyProperty,)):
                    attrs["distkey"], attrs["diststyle"] = cname, "KEY"
                    continue
                if isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
                    seq = f"__seq_{name}_{cname}"
                    start = kind.args.get("start")
                    step = kind.args.get("increment")
                    sequences.append((seq, int(start.this) if start else 1, int(step.this) if step else 1))
                    constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(
                        this=exp.Anonymous(this="nextval", expressions=[exp.Literal.string(f"{schema}.{seq}")]))))
                    continue
                if type(kind).__name__ in ("DistKeyColumnConstraint", "SortKeyColumnConstraint"):
                    if "Dist" in type(kind).__name__:
                        attrs["distkey"], attrs["diststyle"] = cname, "KEY"
                    else:
                        attrs["sortkey"] = attrs["sortkey"] or cname
                    continue
                constraints.append(c)
            col.set("constraints", constraints)
    query = tree.expression
    skip = _targets(tree)
    binder = session.binder()
    tree = binder.prepare(tree, skip=skip)
    if isinstance(tree.expression, exp.Query):
        from .dialect import output_names

        output_names(tree.expression)
    for seq, start, step in sequences:
        session.con.execute(f"CREATE SEQUENCE IF NOT EXISTS {quote_ident(schema)}.{quote_ident(seq)} "
                            f"START WITH {start} INCREMENT BY {step}")
    existed = not temporary and session.table_exists(schema, name)
    sql = to_duckdb(tree)
    if params:
        session.con.execute(sql, params)
    else:
        session.con.execute(sql)
    if (existed and tree.args.get("exists")) or temporary:
        if temporary and query is not None and isinstance(query, exp.Query):
            return session.tagged("SELECT", session.con.execute(f"SELECT count(*) FROM temp.{quote_ident(name)}")
                                  .fetchone()[0])
        return session.tagged("CREATE TABLE")
    session.con.execute(f"INSERT OR REPLACE INTO {META}.table_attrs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [schema, name, attrs["diststyle"], attrs["distkey"], attrs["sortkey"], attrs["sortkey_type"],
                         json.dumps(attrs["encodings"]), _NOW()])
    if query is not None and isinstance(query, exp.Query):
        count = session.con.execute(f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(name)}").fetchone()[0]
        return session.tagged("SELECT", count)
    return session.tagged("CREATE TABLE")


def create_schema(session, name: str, if_not_exists: bool):
    if name in session.external_schemas() or (session.schema_exists(name) and not if_not_exists):
        raise RedshiftError(f'Schema "{name}" already exists', "42P06")
    session.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(name)}")
    return session.tagged("CREATE SCHEMA")


def alter(session, tree: exp.Alter):
    schema, name = _table_name(session, tree.this)
    actions = tree.args.get("actions") or []
    if actions and all(type(a).__name__ in ("AlterSet",) and "owner" in a.sql().lower() for a in actions):
        return session.tagged("ALTER TABLE")
    tree = session.binder().prepare(tree, skip={id(tree.this)})
    session.con.execute(to_duckdb(tree))
    return session.tagged("ALTER TABLE")


# --- DROP ------------------------------------------------------------------------------------------

def drop(session, tree: exp.Drop):
    kind = (tree.args.get("kind") or "").upper()
    if_exists = bool(tree.args.get("exists"))
    cascade = bool(tree.args.get("cascade"))
    targets = tree.args.get("tables") or tree.expressions or [tree.this]
    for target in targets:
        schema, name = _table_name(session, target)
        if not (target.db if isinstance(target, exp.Table) else None):
            schema = session.lookup_schema(name)
        if kind == "VIEW":
            view = session.views().get((schema, name))
            if view is None or view["kind"] == "materialized":
                if if_exists:
                    continue
                raise RedshiftError(f'view "{name}" does not exist', "42P01")
            session.con.execute(f"DELETE FROM {META}.views WHERE schema_name = ? AND view_name = ?", [schema, name])
        elif kind == "TABLE":
            if (schema, name) in session.views():
                raise RedshiftError(f'"{name}" is not a table', "42809")
            if not session.table_exists(schema, name):
                if if_exists:
                    continue
                raise relation_missing(name)
            session.con.execute(f"DROP TABLE {quote_ident(schema)}.{quote_ident(name)}{' CASCADE' if cascade else ''}")
            session.con.execute(f"DELETE FROM {META}.table_attrs WHERE schema_name = ? AND table_name = ?",
                                [schema, name])
        else:
            raise RedshiftError(f"DROP {kind} is not supported by the local Redshift engine", "0A000")
    return session.tagged(f"DROP {kind}")


def drop_schema(session, text: str):
    m = re.match(r"\s*DROP\s+SCHEMA\s+(.*)$", text, re.I | re.S)
    opts = Options(tokens(m.group(1)))
    if_exists = opts.accept("IF", "EXISTS")
    names = [unquote_ident(opts.word())]
    while opts.peek()[0] == ",":
        opts.i += 1
        names.append(unquote_ident(opts.word()))
    drop_db = cascade = False
    while not opts.done:
        if opts.accept("DROP", "EXTERNAL", "DATABASE"):
            drop_db = True
        elif opts.accept("CASCADE"):
            cascade = True
        elif opts.accept("RESTRICT"):
            cascade = False
        else:
            raise opts.fail()
    from . import spectrum

    externals = session.external_schemas()
    for name in names:
        if name in externals:
            spectrum.drop_external_schema(session, name, drop_db)
            continue
        if not session.schema_exists(name):
            if if_exists:
                continue
            raise schema_missing(name)
        if name == "public" and not cascade:
            raise RedshiftError('cannot drop schema public because other objects depend on it', "2BP01")
        views = [k for k in session.views() if k[0] == name]
        has_tables = bool(session.con.execute(
            "SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND database_name = current_database() "
            "UNION ALL SELECT 1 FROM duckdb_views() WHERE schema_name = ? AND NOT internal "
            "AND database_name = current_database()", [name, name]).fetchall())
        if (views or has_tables) and not cascade:
            raise RedshiftError(f"cannot drop schema {name} because other objects depend on it", "2BP01",
                                "Use DROP ... CASCADE to drop the dependent objects too.")
        session.con.execute(f"DROP SCHEMA {quote_ident(name)} CASCADE")
        session.con.execute(f"DELETE FROM {META}.views WHERE schema_name = ?", [name])
        session.con.execute(f"DELETE FROM {META}.table_attrs WHERE schema_name = ?", [name])
    return session.tagged("DROP SCHEMA")


# --- SET / SHOW --------------------------------------------------------------------------------------

def set_variable(session, text: str):
    m = re.match(r"\s*(SET|RESET)\s+(?:SESSION\s+|LOCAL\s+)?(\w+)\s*(?:TO|=)?\s*(.*)$", text, re.I | re.S)
    if not m:
        return session.tagged("SET")
    verb, name, value = m.group(1).upper(), m.group(2).lower(), m.group(3).strip()
    if name == "search_path":
        if verb == "RESET" or value.upper() == "DEFAULT":
            paths = ["public"]
        else:
            paths = [unquote_ident(p.strip().strip("'")) for p in value.split(",") if p.strip()]
            paths = [p for p in paths if p != "$user"] or ["public"]
        session.search_path = paths
        local = [p for p in paths if p not in session.external_schemas()] or ["public"]
        session.con.execute("SET search_path = " + "'" + ",".join(local).replace("'", "''") + "'")
        session.con.execute("SET schema = " + "'" + local[0].replace("'", "''") + "'")
    return session.tagged("SET")


def show(session, text: str):
    import pyarrow as pa

    from .result import Result
    from .types import PgType

    m = re.match(r"\s*SHOW\s+(\w+)", text, re.I)
    name = (m.group(1) if m else "").lower()
    if name == "transaction":          # SHOW TRANSACTION ISOLATION LEVEL
        name = "transaction_isolation"
    values = {"standard_conforming_strings": "on", "client_encoding": "UTF8", "server_encoding": "UTF8",
              "integer_datetimes": "on", "max_identifier_length": "127", "intervalstyle": "postgres",
              "is_superuser": "on", "application_name": "",
              "search_path": "$user, " + ", ".join(session.search_path), "timezone": "UTC",
              "datestyle": "ISO, MDY", "server_version": "8.0.2", "statement_timeout": "0",
              "enable_case_sensitive_identifier": "off", "transaction_isolation": "serializable"}
    if name not in values:
        raise RedshiftError(f'unrecognized configuration parameter "{name}"', "42704")
    return Result([name], [PgType("varchar", 256)], pa.table({name: [values[name]]}), 1, "SHOW")
