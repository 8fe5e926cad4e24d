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
- DDL/DML (athena_ddl, athena_write, athena_show): CREATE/DROP DATABASE|SCHEMA, CREATE EXTERNAL
  TABLE, CTAS, INSERT INTO, CREATE [OR REPLACE] VIEW, DROP TABLE|VIEW, MSCK REPAIR TABLE,
  ALTER TABLE ADD|DROP PARTITION, ALTER TABLE SET TBLPROPERTIES|SET LOCATION|ADD COLUMNS,
  SHOW DATABASES|TABLES|VIEWS|PARTITIONS|COLUMNS|CREATE TABLE|TBLPROPERTIES, DESCRIBE, EXPLAIN.
- Errors as Athena reports them (athena_errors): TABLE_NOT_FOUND, SCHEMA_NOT_FOUND,
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

import io
import logging
import re
import tempfile
import threading
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .athena_errors import (STATEMENT_STARTS, AthenaQueryError, AthenaSyntaxError, QueryCancelled, error,
                            star_alias, syntax_error, translate)
from .athena_functions import macro_statements, rewrite
from .athena_resolve import Resolver
from .athena_types import athena_type, output_cast, python_rows, text_column
from .ports import Catalog, ObjectStore

__all__ = ["AthenaSQLEngine", "AthenaQueryError", "AthenaSyntaxError", "QueryCancelled", "QueryResult",
           "check_syntax", "result_csv", "result_text_rows", "strip_statement", "LEADING_COMMENTS"]


class _DropUnsupportedSyntaxWarnings(logging.Filter):
    """sqlglot warns when it falls back to a Command; we route those statements ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "contains unsupported syntax" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_DropUnsupportedSyntaxWarnings())


@dataclass
class QueryResult:
    statement_type: str                      # "DML" | "DDL" | "UTILITY"
    columns: list[tuple[str, str]]           # (name, ColumnInfo.Type)
    rows: list[tuple]                        # Python values, None for NULL
    data_scanned_bytes: int
    update_count: int | None = None          # rows written by CTAS / INSERT INTO
    written: list[str] | None = None         # s3:// URIs of the data files CTAS / INSERT INTO wrote
    output_format: str = "csv"               # "csv" (SELECT-like) | "txt" (SHOW/DESCRIBE/DDL)
    arrow: pa.Table | None = field(default=None, repr=False, compare=False)


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

    def __init__(self, catalog: Catalog, store: ObjectStore, *, work_dir: str | None = None):
        self.catalog, self.store = catalog, store
        self.work_dir = work_dir or tempfile.mkdtemp(prefix="labkit-athena-")
        self._db = duckdb.connect(":memory:", config={
            "autoinstall_known_extensions": False, "autoload_known_extensions": False})
        for stmt in ["SET GLOBAL integer_division = true", "SET GLOBAL TimeZone = 'UTC'",
                     "SET GLOBAL preserve_insertion_order = false",
                     # type_pushdown turns TRY_CAST over read_csv columns into strict typed parsing, which
                     # would fail on the values Hive's SerDes read as NULL (e.g. '' or 'n/a' in a bigint).
                     "SET GLOBAL disabled_optimizers = 'type_pushdown'", *macro_statements()]:
            self._db.execute(stmt)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def cursor(self):
        with self._lock:
            return self._db.cursor()

    def execute(self, sql: str, *, database: str = "default", catalog_name: str = "AwsDataCatalog",
                query_id: str = "", default_ctas_location: str | None = None,
                cancel: threading.Event | None = None) -> QueryResult:
        with Execution(self, sql, database, catalog_name, query_id, default_ctas_location, cancel) as run:
            return run.run()


class Execution:
    """One statement on its own DuckDB cursor, with a watcher that interrupts it on cancel."""

    def __init__(self, engine: AthenaSQLEngine, sql: str, database: str, catalog_name: str, query_id: str,
                 default_ctas_location: str | None, cancel: threading.Event | None):
        self.engine, self.catalog, self.store = engine, engine.catalog, engine.store
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
        from . import athena_ddl, athena_show   # noqa: PLC0415 - they import this module
        text = strip_statement(self.sql)
        if not text:
            raise AthenaSyntaxError("line 1:1: mismatched input '<EOF>'. Expecting: 'ALTER', 'CREATE', "
                                    "'DESCRIBE', 'DROP', 'INSERT', 'MSCK', 'SELECT', 'SHOW', 'WITH', <query>",
                                    2, 1006, "SYNTAX_ERROR")
        self.sql = text
        handled = athena_show.run_command(self, text)
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


_HIVE_DDL = re.compile(r"^(?:CREATE\s+(?:EXTERNAL\s+TABLE|DATABASE|SCHEMA)|DROP\s+(?:DATABASE|SCHEMA|TABLE)|ALTER|MSCK|"
                       r"SHOW|DESCRIBE|DESC|EXPLAIN)\b", re.I)
LEADING_COMMENTS = re.compile(r"^(\s*(--[^\n]*(\n|$)|/\*.*?\*/))*\s*", re.S)


def check_syntax(sql: str) -> None:
    """Raise AthenaSyntaxError for a statement Athena's Trino parser would reject at submission.

    Athena parses Trino statements inside StartQueryExecution and answers a parse error with
    InvalidRequestException ("line 1:15: mismatched input 'FORM'..."); no execution is created.
    Hive DDL (CREATE EXTERNAL TABLE, MSCK, ALTER, SHOW, DESCRIBE) fails later, in the execution."""
    text = strip_statement(sql)
    head = LEADING_COMMENTS.sub("", text)
    if not head:
        raise AthenaSyntaxError("line 1:1: mismatched input '<EOF>'. Expecting: " + STATEMENT_STARTS,
                                2, 1006, "SYNTAX_ERROR")
    if _HIVE_DDL.match(head):
        return
    parse_one(text)


def strip_statement(sql: str) -> str:
    """The statement without surrounding whitespace and trailing semicolons."""
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def parse_one(sql: str) -> exp.Expression:
    try:
        trees = [t for t in sqlglot.parse(sql, read="athena") if t is not None]
    except ParseError as e:
        raise syntax_error(sql, e) from None
    except sqlglot.errors.TokenError as e:
        raise AthenaSyntaxError(f"line 1:1: {e}", 2, 1006, "SYNTAX_ERROR") from None
    if len(trees) != 1:
        raise AthenaSyntaxError(f"Only one sql statement is allowed. Got: {len(trees)}", 2, 1006, "SYNTAX_ERROR")
    star = star_alias(sql)
    if star is not None:
        raise star[1]
    return trees[0]


def name_outputs(tree: exp.Expression) -> exp.Expression:
    """Trino's result names: unnamed expressions are ``_colN``, unquoted names are lower case."""
    target = tree
    while isinstance(target, exp.Subquery):
        target = target.this
    while isinstance(target, exp.SetOperation):
        target = target.this
        while isinstance(target, exp.Subquery):
            target = target.this
    if isinstance(target, exp.Values):
        arity = len(target.expressions[0].expressions) if target.expressions and \
            isinstance(target.expressions[0], exp.Tuple) else 1
        names = [f"_col{i}" for i in range(arity)]
        sub = exp.Subquery(this=target.copy(), alias=exp.TableAlias(
            this=exp.to_identifier("__values"), columns=[exp.to_identifier(n) for n in names]))
        select = exp.select(*names).from_(sub)
        if target is tree:
            return select
        target.replace(select)
        return tree
    if not isinstance(target, exp.Select):
        return tree
    starred = False
    for i, proj in enumerate(list(target.expressions)):
        if isinstance(proj, exp.Star) or (isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)):
            starred = True
            continue
        if isinstance(proj, exp.Alias):
            ident = proj.args.get("alias")
            if ident is not None and not ident.quoted:
                ident.set("this", ident.name.lower())
            continue
        if isinstance(proj, (exp.Column, exp.Dot)):
            if proj.name == proj.name.lower():
                continue   # DuckDB already names these after the (lower-case) catalog column or field
            name = proj.name.lower()
            proj.replace(exp.alias_(proj.copy(), exp.to_identifier(name, quoted=True)))
            continue
        if starred:
            continue
        else:
            name = f"_col{i}"
        proj.replace(exp.alias_(proj.copy(), exp.to_identifier(name, quoted=True)))
    return tree


# --- result files --------------------------------------------------------------------------------

def result_text_rows(result: QueryResult) -> list[list[str | None]]:
    """Rows as the text Athena returns in GetQueryResults (VarCharValue), NULL -> None."""
    table = result.arrow if result.arrow is not None else _rows_table(result)
    cols = [text_column(table.column(i), t).to_pylist() for i, (_, t) in enumerate(result.columns)]
    return [list(r) for r in zip(*cols)] if cols else []


def result_csv(result: QueryResult) -> bytes:
    """The bytes Athena writes to ``<OutputLocation>/<id>.csv`` (or ``.txt`` for SHOW/DESCRIBE/DDL):
    CSV has a header and every non-NULL field double-quoted, NULL as an empty unquoted field;
    the text form is one line per row, fields separated by tabs, no header and no final newline."""
    if result.output_format == "txt":
        lines = ["\t".join("" if v is None else v for v in row) for row in result_text_rows(result)]
        return "\n".join(lines).encode()
    if not result.columns:
        return b""
    table = result.arrow if result.arrow is not None else _rows_table(result)
    texts = pa.table([text_column(table.column(i), t) for i, (_, t) in enumerate(result.columns)],
                     names=[f"c{i}" for i in range(len(result.columns))])
    buf = io.BytesIO()
    header = ",".join('"' + n.replace('"', '""') + '"' for n, _ in result.columns) + "\n"
    buf.write(header.encode())
    if texts.num_rows:
        pacsv.write_csv(texts, buf, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
    return buf.getvalue()


def _rows_table(result: QueryResult) -> pa.Table:
    cols = list(zip(*result.rows)) if result.rows else [[] for _ in result.columns]
    arrays = []
    for values, (_, t) in zip(cols, result.columns):
        if t in ("varchar", "string", "char", "json"):
            arrays.append(pa.array(list(values), pa.string()))
        else:
            try:
                arrays.append(pa.array(list(values)))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    return pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))])
