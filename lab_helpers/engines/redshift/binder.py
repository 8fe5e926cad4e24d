"""Binding a parsed statement to the warehouse: external tables become Spectrum scans, stored views are
expanded (late-binding: resolved now, not when created), system views are filled, and the tree is
turned into DuckDB SQL."""
from __future__ import annotations

from sqlglot import exp

from . import spectrum, system
from .dialect import fix_functions, normalize, output_names, parse, to_duckdb
from .errors import RedshiftError, schema_missing

MAX_VIEW_DEPTH = 16


def referenced_columns(tree: exp.Expression) -> set[str] | None:
    """Column names a statement names (None when it selects ``*``: read every column)."""
    if any(isinstance(s, exp.Star) and not isinstance(s.parent, exp.Count) for s in tree.find_all(exp.Star)):
        return None
    names = set()
    for col in tree.find_all(exp.Column):
        names.add(col.name.lower())
    return names


class Binder:
    def __init__(self, session):
        self.session = session
        # Whether the statement read something besides the warehouse's own tables and stored views (a
        # system view filled now, a Spectrum scan): its DuckDB SQL names this session's temp views and
        # must not be reused by another statement.
        self.volatile = False

    def prepare(self, tree: exp.Expression, skip: set[int] | None = None, depth: int = 0) -> exp.Expression:
        """Fix functions, fold names, and replace table references (except the ids in ``skip``)."""
        tree = normalize(fix_functions(tree))
        self.resolve(tree, skip or set(), depth)
        return tree

    def resolve(self, tree: exp.Expression, skip: set[int], depth: int) -> None:
        if not any(id(t) not in skip for t in tree.find_all(exp.Table)):
            return
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        needed = referenced_columns(tree)
        externals = self.session.external_schemas()
        views = self.session.views()
        for node in list(tree.find_all(exp.Table)):
            if id(node) in skip or not isinstance(node.this, exp.Identifier):
                continue
            name = node.name.lower()
            schema = (node.db or "").lower() or None
            if node.catalog:
                db = node.catalog.lower()
                if db != self.session.database:
                    raise RedshiftError("cross-database references are not supported by the local Redshift "
                                        f"engine (database \"{db}\")", "0A000")
            if schema is None and name in ctes:
                continue
            alias = node.args.get("alias")
            alias = alias.copy() if alias is not None else exp.TableAlias(this=exp.to_identifier(name, quoted=True))
            if system.is_system(schema, name):
                self.volatile = True
                view = system.register(self.session, schema, name)
                node.replace(exp.Table(this=exp.to_identifier(view, quoted=True), alias=alias))
            elif schema in externals:
                self.volatile = True
                view = spectrum.scan(self.session, schema, name, needed, node)
                node.replace(exp.Table(this=exp.to_identifier(view, quoted=True), alias=alias))
            else:
                if schema is None and not any((s, name) in views for s in self.session.search_path):
                    continue   # no stored view of that name on the search path: DuckDB resolves the table
                key = (schema or self.session.lookup_schema(name), name)
                view = views.get(key)
                if view is not None and view["kind"] != "materialized":
                    node.replace(exp.Subquery(this=self.expand(key, view, depth), alias=alias))
                elif schema is not None and schema not in ("pg_catalog", "information_schema") and \
                        not self.session.schema_exists(schema):
                    raise schema_missing(schema)

    def expand(self, key: tuple[str, str], view: dict, depth: int) -> exp.Expression:
        if depth >= MAX_VIEW_DEPTH:
            raise RedshiftError(f'view "{key[0]}.{key[1]}" is recursive', "42P17")
        inner = parse(view["definition"])
        inner = self.prepare(inner, depth=depth + 1)
        return inner

    def select_sql(self, tree: exp.Expression) -> str:
        """A query tree (already prepared) as DuckDB SQL with Redshift's output names."""
        output_names(tree)
        return to_duckdb(tree)
