"""Binding a parsed query to the Glue catalog: tables become DuckDB views, views are expanded,
partitions are pruned with the WHERE clause, and the bytes Athena would scan are counted."""
from __future__ import annotations

import base64
import json
import re

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .errors import AthenaQueryError, error, node_position
from .functions import rewrite
from .scan import TableScanner, quote_ident, quote_str
from .types import parse_hive
from ..ports import Catalog, CatalogError, ObjectStore

DEFAULT_CATALOG = "awsdatacatalog"
MAX_VIEW_DEPTH = 16


def is_view(table: dict) -> bool:
    return (table.get("TableType") or "").upper() == "VIRTUAL_VIEW" or \
        (table.get("Parameters") or {}).get("presto_view") == "true"


def view_definition(table: dict) -> dict | None:
    """The Presto view JSON Athena keeps in ViewOriginalText (``/* Presto View: <base64> */``)."""
    m = re.match(r"\s*/\*\s*Presto View:\s*(\S+)\s*\*/\s*$", table.get("ViewOriginalText") or "", re.S)
    if not m:
        return None
    try:
        return json.loads(base64.b64decode(m.group(1)))
    except ValueError:
        return None


def conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    if isinstance(node, exp.And):
        return conjuncts(node.left) + conjuncts(node.right)
    if isinstance(node, exp.Paren) and isinstance(node.this, exp.And):
        return conjuncts(node.this)
    return [node]


class Resolver:
    """Resolves every table reference of one statement on one DuckDB connection."""

    def __init__(self, catalog: Catalog, store: ObjectStore, con, catalog_name: str = "AwsDataCatalog"):
        self.catalog, self.store, self.con = catalog, store, con
        self.catalog_name = catalog_name
        self.scanner = TableScanner(store, con)
        self.scanned_bytes = 0
        self.paths: dict[str, str] = {}
        self.date_columns: set[str] = set()
        self._n = 0

    # --- entry point ---------------------------------------------------------------------------

    def resolve(self, tree: exp.Expression, sql: str, database: str, depth: int = 0) -> exp.Expression:
        """Replace table references in ``tree`` (in place) and return it."""
        cte_names = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        star = any(isinstance(s, exp.Star) and not isinstance(s.parent, exp.Count) for s in tree.find_all(exp.Star))
        referenced = set()
        for col in tree.find_all(exp.Column):
            referenced.update(p.lower() for p in (col.name, col.table, col.args.get("db") and col.db) if p)
        for tbl in list(tree.find_all(exp.Table)):
            if isinstance(tbl.this, exp.Dot):
                raise error("SYNTAX_ERROR", f"Too many dots in table name: {tbl.sql(dialect='athena')}",
                            node_position(sql, tbl))
            if not isinstance(tbl.this, exp.Identifier):
                continue
            if not tbl.db and tbl.name.lower() in cte_names:
                continue
            self._resolve_table(tbl, sql, database, depth, None if star else referenced)
        return tree

    def table(self, node: exp.Table, sql: str, database: str) -> tuple[str, str, dict]:
        """(database, name, Glue table) for a table reference, or Athena's not-found error."""
        catalog = node.catalog
        if catalog and catalog.lower() not in (DEFAULT_CATALOG, self.catalog_name.lower()):
            raise error("CATALOG_NOT_FOUND", f"Catalog '{catalog.lower()}' does not exist", node_position(sql, node))
        db = (node.db or database).lower()
        name = node.name.lower()
        if db == "information_schema":
            return db, name, {}
        if self._get_database(db) is None:
            ident = node.args.get("db") or node
            raise error("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", node_position(sql, ident))
        table = self._get_table(db, name)
        if table is None:
            raise error("TABLE_NOT_FOUND", f"Table '{DEFAULT_CATALOG}.{db}.{name}' does not exist",
                        node_position(sql, node))
        return db, name, table

    def _get_database(self, db: str):
        try:
            return self.catalog.get_database(db)
        except CatalogError:
            return None

    def _get_table(self, db: str, name: str):
        try:
            return self.catalog.get_table(db, name)
        except CatalogError:
            return None

    # --- one reference -------------------------------------------------------------------------

    def _resolve_table(self, node: exp.Table, sql: str, database: str, depth: int, referenced) -> None:
        db, name, table = self.table(node, sql, database)
        alias = node.args.get("alias")
        alias = alias.copy() if alias is not None else exp.TableAlias(this=exp.to_identifier(name))
        if db == "information_schema":
            view = self._information_schema(name, node, sql)
        elif is_view(table):
            node.replace(exp.Subquery(this=self._expand_view(db, name, table, node, sql, depth), alias=alias))
            return
        else:
            keys = [k["Name"].lower() for k in table.get("PartitionKeys") or []]
            partitions = None
            if keys:
                partitions = self._partitions(db, name)
                partitions = self._prune(node, alias.name, table, partitions)
            cols = (table.get("StorageDescriptor") or {}).get("Columns") or []
            for c in cols + (table.get("PartitionKeys") or []):
                if (c.get("Type") or "").lower() == "date":
                    self.date_columns.add(c["Name"].lower())
            needed = None if referenced is None else {c["Name"].lower() for c in cols} & referenced
            scan = self.scanner.scan(table, partitions, needed)
            self.scanned_bytes += scan.scanned_bytes
            self.paths.update(scan.paths)
            view = self._temp_view(scan.sql)
        node.replace(exp.Table(this=exp.to_identifier(view), alias=alias))

    def _temp_view(self, select_sql: str) -> str:
        self._n += 1
        name = f"__athena_t{self._n}"
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(name)} AS {select_sql}")
        return name

    def _partitions(self, db: str, name: str) -> list[dict]:
        try:
            return self.catalog.get_partitions(db, name)
        except CatalogError as e:
            raise error("HIVE_METASTORE_ERROR", e.message) from None

    def _expand_view(self, db, name, table, node, sql, depth) -> exp.Expression:
        where = f"'{DEFAULT_CATALOG}.{db}.{name}'"
        definition = view_definition(table)
        if definition is None or not definition.get("originalSql"):
            raise error("INVALID_VIEW", f"View {where} is not an Athena (Presto) view and cannot be queried",
                        node_position(sql, node))
        if depth >= MAX_VIEW_DEPTH:
            raise error("INVALID_VIEW", f"View {where} is recursive", node_position(sql, node))
        text = definition["originalSql"]
        try:
            inner = sqlglot.parse_one(text, read="athena")
            return self.resolve(inner, text, definition.get("schema") or db, depth + 1)
        except ParseError as e:
            detail = str(e).split("\n")[0]
        except AthenaQueryError as e:
            detail = e.message
        raise error("INVALID_VIEW", f"Failed analyzing stored view {where}: {detail}", node_position(sql, node))

    # --- partition pruning ---------------------------------------------------------------------

    def _prune(self, node: exp.Table, alias: str, table: dict, partitions: list[dict]) -> list[dict]:
        return prune_partitions(self.con, node, alias, table, partitions,
                                lambda cond: rewrite(cond, "", self.date_columns).sql(dialect="duckdb"))

    # --- information_schema ----------------------------------------------------------------------

    def _information_schema(self, name: str, node: exp.Table, sql: str) -> str:
        dbs = [d["Name"] for d in self.catalog.list_databases()]
        cat = DEFAULT_CATALOG
        if name == "schemata":
            data = {"catalog_name": [cat] * (len(dbs) + 1), "schema_name": ["information_schema"] + dbs}
        elif name in ("tables", "views", "columns"):
            rows: dict[str, list] = {}
            for db in dbs:
                for t in self.catalog.list_tables(db):
                    view = is_view(t)
                    if name == "views" and not view:
                        continue
                    if name == "columns":
                        cols = ((t.get("StorageDescriptor") or {}).get("Columns") or []) + (t.get("PartitionKeys") or [])
                        for i, c in enumerate(cols, 1):
                            for k, v in (("table_catalog", cat), ("table_schema", db), ("table_name", t["Name"]),
                                         ("column_name", c["Name"]), ("ordinal_position", i),
                                         ("column_default", None), ("is_nullable", "YES"),
                                         ("data_type", c.get("Type")), ("comment", c.get("Comment")),
                                         ("extra_info", "partition key" if c in (t.get("PartitionKeys") or []) else None)):
                                rows.setdefault(k, []).append(v)
                        continue
                    base = [("table_catalog", cat), ("table_schema", db), ("table_name", t["Name"])]
                    extra = [("view_definition", (view_definition(t) or {}).get("originalSql"))] if name == "views" \
                        else [("table_type", "VIEW" if view else "BASE TABLE")]
                    for k, v in base + extra:
                        rows.setdefault(k, []).append(v)
            data = rows or {"table_catalog": [], "table_schema": [], "table_name": []}
        else:
            raise error("TABLE_NOT_FOUND", f"Table '{cat}.information_schema.{name}' does not exist",
                        node_position(sql, node))
        self._n += 1
        view = f"__athena_t{self._n}"
        self.con.register(view, pa.table({k: pa.array(v, pa.int64() if k == "ordinal_position" else pa.string())
                                          for k, v in data.items()}))
        return view


def prune_partitions(con, node: exp.Table, alias: str, table: dict, partitions: list[dict] | None,
                     render=lambda cond: cond.sql(dialect="duckdb")) -> list[dict] | None:
    """The partitions of ``table`` (referenced by ``node``, named ``alias`` in its query) whose values
    satisfy the WHERE/ON conjuncts that use partition keys alone, evaluated by DuckDB (``con``) over a
    small table of the partition values; ``render`` turns a conjunct into DuckDB SQL. Whatever cannot
    be decided (no such conjunct, an outer join, a predicate DuckDB cannot evaluate) keeps every
    partition. Athena and Redshift Spectrum both read only what is returned."""
    keys = [(k["Name"].lower(), k.get("Type") or "string") for k in table.get("PartitionKeys") or []]
    names = {k for k, _ in keys}
    usable = []
    for cond in _candidate_conjuncts(node):
        cols = list(cond.find_all(exp.Column))
        if not cols or any(c.name.lower() not in names or (c.table and c.table.lower()
                                                           not in (alias.lower(), node.name.lower())) for c in cols):
            continue
        if cond.find(exp.Subquery, exp.Select, exp.AggFunc, exp.Window, exp.Rand):
            continue
        cond = cond.copy()
        for c in cond.find_all(exp.Column):
            c.set("table", None)
            c.set("db", None)
        usable.append(cond)
    if not usable or not partitions:
        return partitions
    try:
        rows = ", ".join(
            "(" + ", ".join([str(i)] + [
                "NULL" if v is None else f"CAST({quote_str(v)} AS {parse_hive(t).duckdb()})"
                for v, (_, t) in zip(p.get("Values") or [], keys)]) + ")"
            for i, p in enumerate(partitions))
        where = " AND ".join(render(c) for c in usable)
        cols = ", ".join(["__idx"] + [quote_ident(k) for k, _ in keys])
        keep = {r[0] for r in con.sql(f"SELECT __idx FROM (VALUES {rows}) AS __p({cols}) WHERE {where}").fetchall()}
    except Exception:   # noqa: BLE001 - a predicate DuckDB cannot evaluate here just disables pruning
        return partitions
    return [p for i, p in enumerate(partitions) if i in keep]


def _candidate_conjuncts(node: exp.Table) -> list[exp.Expression]:
    parent = node.parent
    if isinstance(parent, exp.From):
        select = parent.parent
        if not isinstance(select, exp.Select):
            return []
        if any((j.side or "").upper() in ("RIGHT", "FULL") for j in select.args.get("joins") or []):
            return []
        on = None
    elif isinstance(parent, exp.Join):
        select = parent.parent
        if (parent.side or "").upper() in ("LEFT", "FULL") or not isinstance(select, exp.Select):
            return []
        on = parent.args.get("on")
    else:
        return []
    where = select.args.get("where")
    return conjuncts(where.this if where is not None else None) + conjuncts(on)
