"""Views: plain and late-binding views are stored as text and bound when queried (so a late-binding view
survives the tables it names being dropped and recreated); materialized views are tables filled from
their stored query, refreshed on REFRESH MATERIALIZED VIEW."""
from __future__ import annotations

import datetime as dt
import re

from sqlglot import exp

from .dialect import parse
from .errors import RedshiftError, schema_missing
from .sqltext import META, qualified, quote_ident

_NOW = lambda: dt.datetime.now(dt.timezone.utc)   # noqa: E731


def _table_name(session, node: exp.Expression) -> tuple[str, str]:
    table = node.this if isinstance(node, exp.Schema) else node
    name = table.name.lower()
    schema = (table.db or "").lower() or (session.search_path[0] if session.search_path else "public")
    return schema, name


def create_view(session, tree: exp.Create):
    schema, name = _table_name(session, tree.this)
    if schema in session.external_schemas():
        raise RedshiftError("cannot create a view in an external schema", "0A000")
    if not session.schema_exists(schema):
        raise schema_missing(schema)
    late = bool(tree.args.get("no_schema_binding"))
    query = tree.expression
    if isinstance(tree.this, exp.Schema) and tree.this.expressions:
        cols = ", ".join(quote_ident(c.name.lower()) for c in tree.this.expressions)
        definition = f"SELECT * FROM ({query.sql(dialect='redshift')}) AS __v({cols})"
    else:
        definition = query.sql(dialect="redshift")
    views = session.views()
    exists = (schema, name) in views
    if exists and not tree.args.get("replace"):
        raise RedshiftError(f'relation "{name}" already exists', "42P07")
    if session.table_exists(schema, name):
        raise RedshiftError(f'relation "{name}" already exists', "42P07")
    probe = parse(definition)
    ctes = {c.alias_or_name.lower() for c in probe.find_all(exp.CTE)}
    refs = [t for t in probe.find_all(exp.Table) if isinstance(t.this, exp.Identifier)
            and not (not t.db and t.name.lower() in ctes)]
    externals = session.external_schemas()
    if late:
        if any(not t.db for t in refs):
            raise RedshiftError("All the relation names inside should be qualified", "42P01")
    else:
        if any((t.db or "").lower() in externals for t in refs):
            raise RedshiftError("External tables are not supported in views. Create a late-binding view: "
                                "CREATE VIEW ... WITH NO SCHEMA BINDING", "0A000")
        bound = session.binder().prepare(parse(definition))
        session.con.execute(f"SELECT * FROM ({session.binder().select_sql(bound)}) AS __probe LIMIT 0")
    session.con.execute(f"INSERT OR REPLACE INTO {META}.views VALUES (?, ?, ?, ?, ?)",
                        [schema, name, definition, "late_binding" if late else "view", _NOW()])
    return session.tagged("CREATE VIEW")


def create_materialized_view(session, text: str):
    m = re.match(r"\s*CREATE\s+MATERIALIZED\s+VIEW\s+(\S+)(.*?)\bAS\b\s*(.*)$", text, re.I | re.S)
    if not m:
        raise RedshiftError('syntax error at or near "MATERIALIZED"', "42601")
    schema, name = qualified(m.group(1))
    schema = schema or "public"
    query = m.group(3)
    if (schema, name) in session.views() or session.table_exists(schema, name):
        raise RedshiftError(f'relation "{name}" already exists', "42P07")
    _fill_materialized(session, schema, name, query, replace=False)
    session.con.execute(f"INSERT OR REPLACE INTO {META}.views VALUES (?, ?, ?, ?, ?)",
                        [schema, name, query, "materialized", _NOW()])
    return session.tagged("CREATE MATERIALIZED VIEW")


def _fill_materialized(session, schema: str, name: str, query: str, replace: bool) -> int:
    tree = session.binder().prepare(parse(query))
    sql = session.binder().select_sql(tree)
    verb = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE"
    session.con.execute(f"{verb} {quote_ident(schema)}.{quote_ident(name)} AS {sql}")
    return session.con.execute(f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(name)}").fetchone()[0]


def refresh_materialized_view(session, schema: str | None, name: str):
    schema = schema or session.lookup_schema(name)
    view = session.views().get((schema, name))
    if view is None or view["kind"] != "materialized":
        raise RedshiftError(f'materialized view "{name}" does not exist', "42P01")
    _fill_materialized(session, schema, name, view["definition"], replace=True)
    return session.tagged("REFRESH")


def drop_materialized_view(session, schema: str | None, name: str, if_exists: bool):
    schema = schema or session.lookup_schema(name)
    view = session.views().get((schema, name))
    if view is None or view["kind"] != "materialized":
        if if_exists:
            return session.tagged("DROP MATERIALIZED VIEW")
        raise RedshiftError(f'materialized view "{name}" does not exist', "42P01")
    session.con.execute(f"DROP TABLE IF EXISTS {quote_ident(schema)}.{quote_ident(name)}")
    session.con.execute(f"DELETE FROM {META}.views WHERE schema_name = ? AND view_name = ?", [schema, name])
    return session.tagged("DROP MATERIALIZED VIEW")


