"""Athena (engine v3 / Trino) SQL on DuckDB over Glue tables and S3 objects: the pure query core.

Emulated:
- SELECT / WITH / VALUES / set operations, parsed by sqlglot (``read="athena"``) and run by DuckDB.
  Tables resolve through the Glue catalog (``db.t``, ``"db"."t"``, ``awsdatacatalog.db.t``,
  unqualified -> the execution's database); data is read with the catalog's column types and
  SerDe: LazySimpleSerDe (``field.delim``, ``skip.header.line.count``, ``\\N`` nulls, no
  quoting), OpenCSVSerde, Parquet (columns matched by name, missing -> NULL, Athena's
  HIVE_BAD_DATA type check), openx/Hive JSON (case-insensitive keys). Text values that do not
  parse as the column type read as NULL; empty fields stay '' in string columns, as on Athena.
- Partitions come from Glue only (unregistered folders are invisible until MSCK REPAIR /
  ALTER TABLE ADD PARTITION); WHERE conjuncts on partition keys prune partitions, and
  ``data_scanned_bytes`` counts only the objects read (for Parquet: the referenced column chunks).
- Presto views stored in Glue the way Athena stores them, information_schema.{schemata,tables,
  columns,views}, Trino functions DuckDB lacks (format_datetime, map_agg, url_extract_*, ...),
  Trino integer division, ``_colN`` names for unnamed result columns, Trino result types.
- DDL/DML (ddl, write, show, partitions): CREATE/DROP DATABASE|SCHEMA, CREATE EXTERNAL
  TABLE, CTAS, INSERT INTO, CREATE [OR REPLACE] VIEW, DROP TABLE|VIEW, MSCK REPAIR TABLE,
  ALTER TABLE ADD|DROP PARTITION, ALTER TABLE SET TBLPROPERTIES|SET LOCATION|ADD COLUMNS,
  SHOW DATABASES|TABLES|VIEWS|PARTITIONS|COLUMNS|CREATE TABLE|TBLPROPERTIES, DESCRIBE, EXPLAIN.
- Errors as Athena reports them (errors): TABLE_NOT_FOUND, SCHEMA_NOT_FOUND,
  COLUMN_NOT_FOUND, FUNCTION_NOT_FOUND, TYPE_MISMATCH, INVALID_CAST_ARGUMENT, HIVE_BAD_DATA,
  HIVE_PATH_ALREADY_EXISTS, ... with line:column of the original SQL where it can be found.

LIMITATIONS:
- DuckDB semantics where they differ from Trino in corners: implicit casts are more lenient
  (``int_col = '5'`` works; ``int_col = 'x'`` fails as INVALID_CAST_ARGUMENT, not TYPE_MISMATCH), casting a double
  to varchar prints DuckDB's text, ``typeof`` names DuckDB types, map_agg fails on duplicate keys,
  a double divided by zero fails with DIVISION_BY_ZERO instead of giving Infinity/NaN.
- ORC, Avro, Ion, RegexSerDe, CloudTrail and Iceberg tables cannot be read; ORC/Avro CTAS is refused.
- No UPDATE/DELETE/MERGE/OPTIMIZE/VACUUM (Iceberg), no prepared statements, no UNLOAD, no
  federated catalogs, no Lake Formation, no workgroup byte limits (the API layer owns those).
- EXPLAIN prints DuckDB's plan, not Trino's. Bucketing hashes differ from Hive's.
- Parse errors come from sqlglot, so the "Expecting: ..." list is only given for the first token.
"""
from __future__ import annotations

import re
import tempfile
import threading
from dataclasses import dataclass

import duckdb
import pyarrow as pa
from sqlglot import exp

from .errors import (AthenaQueryError, AthenaSyntaxError, QueryCancelled, error, position, translate)
from .functions import macro_statements, rewrite
from . import ddl as athena_ddl
from . import partitions as athena_partitions
from . import show as athena_show
from .query import (LEADING_COMMENTS, QueryResult, check_syntax, name_outputs, parse_one, result_csv,
                    result_text_rows, strip_statement)
from .resolve import Resolver
from .types import athena_type, output_cast, python_rows
from ..platform.sandbox import sandboxed_duckdb
from ..ports import Catalog, ObjectStore

__all__ = ["AthenaSQLEngine", "AthenaQueryError", "AthenaSyntaxError", "QueryCancelled", "QueryResult",
           "check_syntax", "result_csv", "result_text_rows", "strip_statement", "LEADING_COMMENTS"]


@dataclass
class Relation:
    """A bound SELECT: the DuckDB SQL with output casts, final names and DuckDB types."""
    sql: str
    names: list[str]
    types: list
    resolver: Resolver
    original: exp.Expression


class AthenaSQLEngine:
    """Runs Athena SQL against a Catalog and an ObjectStore; safe to call from several threads."""

    def __init__(self, catalog: Catalog, store: ObjectStore, *, work_dir: str | None = None,
                 cache_dirs: tuple[str, ...] = ()):
        """``cache_dirs``: where the store's ``local_path`` puts objects; with ``work_dir`` the only
        directories DuckDB may touch (the sandbox: no host files, no network)."""
        self.catalog, self.store = catalog, store
        self.work_dir = work_dir or tempfile.mkdtemp(prefix="labkit-athena-")
        cache_root = getattr(getattr(store, "cache", None), "root", None)
        allowed = [self.work_dir, *cache_dirs, *([cache_root] if cache_root else [])]
        self._db = sandboxed_duckdb(allowed, [
            "SET GLOBAL integer_division = true", "SET GLOBAL TimeZone = 'UTC'",
            "SET GLOBAL preserve_insertion_order = false",
            # type_pushdown turns TRY_CAST over read_csv columns into strict typed parsing, which
            # would fail on the values Hive's SerDes read as NULL (e.g. '' or 'n/a' in a bigint).
            "SET GLOBAL disabled_optimizers = 'type_pushdown'", *macro_statements()])
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def cursor(self):
        with self._lock:
            return self._db.cursor()

    def execute(self, sql: str, *, database: str = "default", catalog_name: str = "AwsDataCatalog",
                query_id: str = "", default_ctas_location: str | None = None,
                cancel: threading.Event | None = None, store: ObjectStore | None = None) -> QueryResult:
        """``store``: S3 as the caller (reads and writes checked by iam_lite); default the engine's."""
        with Execution(self, sql, database, catalog_name, query_id, default_ctas_location, cancel,
                       store) as run:
            return run.run()


class Execution:
    """One statement on its own DuckDB cursor, with a watcher that interrupts it on cancel."""

    def __init__(self, engine: AthenaSQLEngine, sql: str, database: str, catalog_name: str, query_id: str,
                 default_ctas_location: str | None, cancel: threading.Event | None,
                 store: ObjectStore | None = None):
        self.engine, self.catalog, self.store = engine, engine.catalog, store or engine.store
        self.sql, self.database = sql, (database or "default").lower()
        self.catalog_name, self.query_id = catalog_name, query_id
        self.default_ctas_location = default_ctas_location
        self.cancel = cancel
        self._done = threading.Event()
        self.con = None

    def __enter__(self) -> "Execution":
        self.check()
        self.con = self.engine.cursor()
        if self.cancel is not None:
            threading.Thread(target=self._watch, name="athena-cancel-watch", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        try:
            self.con.close()
        except duckdb.Error:
            pass

    def _watch(self) -> None:
        while not self._done.is_set() and not self.cancel.wait(0.05):
            pass
        # DuckDB drops an interrupt that arrives between two statements (e.g. while a query is being
        # bound), so keep interrupting until the execution has finished.
        while not self._done.is_set():
            try:
                self.con.interrupt()
            except duckdb.Error:   # closed by __exit__ in the meantime
                return
            self._done.wait(0.05)

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise QueryCancelled()

    # --- dispatch ------------------------------------------------------------------------------

    def run(self) -> QueryResult:
        text = strip_statement(self.sql)
        if not text:
            raise AthenaSyntaxError("line 1:1: mismatched input '<EOF>'. Expecting: 'ALTER', 'CREATE', "
                                    "'DESCRIBE', 'DROP', 'INSERT', 'MSCK', 'SELECT', 'SHOW', 'WITH', <query>",
                                    2, 1006, "SYNTAX_ERROR")
        self.sql = text
        handled = _run_command(self, text)
        if handled is not None:
            return handled
        tree = parse_one(text)
        if isinstance(tree, (exp.Query, exp.Values)):
            return self.select(tree)
        return athena_ddl.run_statement(self, tree)

    # --- SELECT --------------------------------------------------------------------------------

    def select(self, tree: exp.Expression) -> QueryResult:
        rel = self.bind(tree, self.sql)
        table = self.fetch(rel)
        columns = [(n, athena_type(t)) for n, t in zip(rel.names, rel.types)]
        return QueryResult("DML", columns, python_rows(table), rel.resolver.scanned_bytes, arrow=table)

    def bind(self, tree: exp.Expression, sql: str, database: str | None = None) -> Relation:
        """Resolve tables, rewrite functions, transpile, and let DuckDB bind the result."""
        original = tree.copy()
        refuse_table_functions(tree, sql)
        resolver = Resolver(self.catalog, self.store, self.con, self.catalog_name)
        try:
            resolver.resolve(tree, sql, database or self.database)
        except duckdb.InterruptException:
            raise QueryCancelled() from None
        except duckdb.Error as e:
            raise translate(e, sql, original, resolver.paths) from None
        self.check()
        tree = name_outputs(tree)
        tree = rewrite(tree, sql, resolver.date_columns)
        duck_sql = tree.sql(dialect="duckdb")
        try:
            rel = self.con.sql(duck_sql)
            names, types = list(rel.columns), list(rel.types)
        except duckdb.InterruptException:
            raise QueryCancelled() from None
        except duckdb.Error as e:
            raise translate(e, sql, original, resolver.paths) from None
        casts = [output_cast(t) for t in types]
        if any(casts):
            cols = ", ".join(f"CAST(#{i + 1} AS {c})" if c else f"#{i + 1}" for i, c in enumerate(casts))
            duck_sql = f"SELECT {cols} FROM ({duck_sql}) AS __q"
            types = list(self.con.sql(duck_sql).types)
        return Relation(duck_sql, names, types, resolver, original)

    def fetch(self, rel: Relation) -> pa.Table:
        self.check()
        try:
            table = self.con.sql(rel.sql).to_arrow_table()
        except duckdb.InterruptException:
            raise QueryCancelled() from None
        except duckdb.Error as e:
            raise translate(e, self.sql, rel.original, rel.resolver.paths) from None
        self.check()
        return table.rename_columns(rel.names)

    def run_duck(self, sql: str, rel: Relation | None = None):
        """Run a DuckDB statement the engine built itself, mapping interrupts and errors."""
        self.check()
        try:
            return self.con.execute(sql)
        except duckdb.InterruptException:
            raise QueryCancelled() from None
        except duckdb.Error as e:
            raise translate(e, self.sql, rel.original if rel else None, rel.resolver.paths if rel else {}) from None


def refuse_table_functions(tree: exp.Expression, sql: str) -> None:
    """A FROM item that is a function call (DuckDB's ``read_text``, ``read_csv``, ``glob``, …) is not
    Athena SQL: refuse it as Trino does, before DuckDB could read a file. UNNEST is Athena's own."""
    for table in tree.find_all(exp.Table):
        func = table.this
        if isinstance(func, exp.Func) and not isinstance(func, exp.Unnest):
            name = (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()
            at = re.search(rf"\b{re.escape(name)}\s*\(", sql, re.IGNORECASE)
            raise error("FUNCTION_NOT_FOUND", f"Table function '{name}' not registered",
                        position(sql, at.start()) if at else None)


_RE = re.IGNORECASE | re.DOTALL


def _run_command(ex, text: str):
    """Statements sqlglot cannot parse (or parses loosely) are matched here; None = not ours."""
    head = LEADING_COMMENTS.sub("", text)
    word = head.split(None, 1)[0].upper() if head.split() else ""
    if word == "MSCK":
        return athena_partitions.msck(ex, head)
    if word == "ALTER" and re.match(r"ALTER\s+TABLE\b", head, _RE):
        return athena_partitions.alter_table(ex, head)
    if word == "SHOW":
        return athena_show.show(ex, head)
    if word in ("DESCRIBE", "DESC"):
        return athena_show.describe(ex, head)
    if word == "EXPLAIN":
        return athena_show.explain(ex, head)
    return None
