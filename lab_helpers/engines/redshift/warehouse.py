"""A Redshift database on DuckDB: one sandboxed database file per workgroup (or cluster) + database,
and the sessions that run statements on it.

The file lives under the workspace (``<home>/redshift/...``), so tables survive ``labkit down``/``up``.
What DuckDB has no place for — external schemas, view definitions (views are stored as text and
bound when queried, which is what makes late binding work), table attributes (DISTSTYLE, DISTKEY,
SORTKEY, ENCODE) and load errors — is kept in tables of the hidden schema ``__labkit`` of the same
file, so it is transactional with the data. Every connection is sandboxed before anything else
runs: no host files (only the object cache the kit's S3 readers fill), no network, no extension
downloads, configuration locked.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
import warnings
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
from sqlglot import exp

from ..platform.sandbox import sandboxed_duckdb
from . import copy_from, ddl, spectrum, unload
from .binder import Binder
from .dialect import TRUNC_MACRO_DDL, parse
from .errors import RedshiftError, StatementCancelled, translate
from .sqltext import META, first_words, strip
from .result import Result, duck_type_of, redshift_columns
from .types import pg_type

_META_DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {META}",
    "CREATE SCHEMA IF NOT EXISTS public",
    TRUNC_MACRO_DDL,
    f"""CREATE TABLE IF NOT EXISTS {META}.external_schemas (schema_name VARCHAR PRIMARY KEY, glue_database VARCHAR,
        iam_role VARCHAR, region VARCHAR, created TIMESTAMPTZ)""",
    f"""CREATE TABLE IF NOT EXISTS {META}.views (schema_name VARCHAR, view_name VARCHAR, definition VARCHAR,
        kind VARCHAR, created TIMESTAMPTZ, PRIMARY KEY (schema_name, view_name))""",
    f"""CREATE TABLE IF NOT EXISTS {META}.table_attrs (schema_name VARCHAR, table_name VARCHAR, diststyle VARCHAR,
        distkey VARCHAR, sortkey VARCHAR, sortkey_type VARCHAR, encodings VARCHAR, created TIMESTAMPTZ,
        PRIMARY KEY (schema_name, table_name))""",
    f"""CREATE TABLE IF NOT EXISTS {META}.load_errors (query BIGINT, starttime TIMESTAMP, session INTEGER,
        tbl_schema VARCHAR, tbl_name VARCHAR, filename VARCHAR, line_number BIGINT, colname VARCHAR,
        type VARCHAR, col_length VARCHAR, position INTEGER, raw_line VARCHAR, raw_field_value VARCHAR,
        err_code INTEGER, err_reason VARCHAR)""",
]
_query_ids = itertools.count(int(time.time()) % 1_000_000 * 10)
_pids = itertools.count(1073741824 + int(time.time()) % 100000)
TRANSLATIONS = 512          # queries whose DuckDB SQL a warehouse keeps (least recently used dropped)
IDLE_SESSIONS = 8           # untouched Data API sessions a warehouse keeps for the next statements
EXTERNAL_LOG = 10_000       # Spectrum scans kept for SYS_EXTERNAL_QUERY_DETAIL (oldest dropped)
_CATALOG_WORDS = (["CREATE"], ["DROP"], ["ALTER"], ["ROLLBACK"], ["ABORT"], ["COMMIT"], ["END"], ["REFRESH"])


@dataclass
class Translation:
    """A query's DuckDB SQL, valid until the warehouse's catalog changes: what parsing, binding and
    generating cost once (~1-5 ms of sqlglot per statement), and its result columns once described."""
    sql: str
    has_placeholders: bool
    described: dict = field(default_factory=dict)    # number of parameters -> (names, pg types)


class Lake(Protocol):
    """What a warehouse reaches outside itself: the Glue catalog and S3 as a role."""

    def catalog(self, region: str): ...
    def store_as(self, role_arn: str, region: str): ...


def connect(path: str | None, allowed_dirs: list[str]) -> duckdb.DuckDBPyConnection:
    """A sandboxed DuckDB connection (file-backed, or in memory when ``path`` is None): the platform's
    sandbox (no host files but the object cache, no network, configuration locked)."""
    return sandboxed_duckdb(allowed_dirs, settings=[
        "SET TimeZone = 'UTC'", "SET integer_division = true",
        # TRY_CAST over read_csv columns must stay lenient (see athena.sql for the same setting)
        "SET disabled_optimizers = 'type_pushdown'"], database=path or ":memory:")


class Warehouse:
    """One database: a DuckDB file and its sessions. Thread-safe; one per file per process."""

    def __init__(self, path: str | None, *, lake: Lake, allowed_dirs: list[str], region: str = "us-east-1",
                 database: str = "dev", default_role=lambda: "", owner: str = "awsuser"):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path, self.lake, self.region, self.database = path, lake, region, database
        self.owner = owner
        self._default_role = default_role
        self.con = connect(path, allowed_dirs)
        for stmt in _META_DDL:
            self.con.execute(stmt)
        self._lock = threading.Lock()
        self.sessions: set[Session] = set()
        self._meta: dict[str, object] = {}      # committed external schemas and views, read once per change
        # Bumped by every statement that may change the catalog (tables, schemas, views, external
        # schemas, a transaction's end): what was translated under an older generation is dropped.
        self.generation = 0
        self._translations: OrderedDict[tuple, Translation] = OrderedDict()
        self._idle: dict[str, list[Session]] = {}
        self.external_scans: deque[dict] = deque(maxlen=EXTERNAL_LOG)   # SYS_EXTERNAL_QUERY_DETAIL rows

    def log_external_scan(self, session: "Session", row: dict) -> None:
        """One Spectrum scan of the statement ``session`` is running (its end time is set when it ends)."""
        row = {"query_id": session.query_id, "end_time": None, **row}
        session.external_rows.append(row)
        self.external_scans.append(row)

    def meta(self, name: str, session: "Session", load):
        """A cached read of the hidden catalog; a session inside a transaction reads its own view of it."""
        if session.in_transaction:
            return load(session.con)
        with self._lock:
            if name in self._meta:
                return self._meta[name]
        value = load(session.con)
        with self._lock:
            self._meta[name] = value
        return value

    def meta_changed(self) -> None:
        with self._lock:
            self._meta.clear()
            self._translations.clear()
            self.generation += 1

    # -- translated queries ----------------------------------------------------------------------
    def translation(self, key: tuple) -> Translation | None:
        with self._lock:
            found = self._translations.get(key)
            if found is not None:
                self._translations.move_to_end(key)
            return found

    def remember(self, key: tuple, generation: int, translation: Translation) -> None:
        """Keep a translation made under ``generation`` unless the catalog changed meanwhile."""
        with self._lock:
            if generation != self.generation:
                return
            self._translations[key] = translation
            self._translations.move_to_end(key)
            while len(self._translations) > TRANSLATIONS:
                self._translations.popitem(last=False)

    def default_role(self) -> str:
        return self._default_role() or ""

    def session(self, user: str = "awsuser") -> "Session":
        with self._lock:
            s = Session(self, self.con.cursor(), user)
            self.sessions.add(s)
            return s

    # -- Data API sessions -------------------------------------------------------------------------
    def borrow(self, user: str) -> "Session":
        """A session for one Data API statement: a kept one that no statement has changed (no SET, temp
        object, transaction or failure: indistinguishable from a new one, but with a new pid), else new."""
        with self._lock:
            idle = self._idle.get(user)
            if idle:
                s = idle.pop()
                s.pid = next(_pids)
                return s
        return self.session(user)

    def give_back(self, s: "Session", ok: bool) -> None:
        if ok and s.pristine and not s._closed:
            with self._lock:
                idle = self._idle.setdefault(s.user, [])
                if s in self.sessions and len(idle) < IDLE_SESSIONS:
                    idle.append(s)
                    return
        s.close()

    def close(self) -> None:
        with self._lock:
            self._idle.clear()
            sessions, self.sessions = list(self.sessions), set()
        for s in sessions:
            s.close()
        try:
            self.con.close()
        except duckdb.Error:
            pass


class Session:
    """One connection's worth of state: search path, transaction, temp views; runs statements."""

    def __init__(self, warehouse: Warehouse, con, user: str):
        self.warehouse, self.con, self.user = warehouse, con, user
        self.database = warehouse.database
        self.pid = next(_pids)
        self.search_path = ["public"]
        self.in_transaction = False
        self.failed_transaction = False
        self.scanned_bytes = 0
        self.temp_n = 0
        self.con.execute("SET search_path = 'public'")
        self.con.execute("SET schema = 'public'")
        self._closed = False
        self.pristine = True           # only plain queries ran: nothing a next user could notice
        self._catalog_in_transaction = False
        self._transaction_generation = 0
        self._plain = self._into = False
        self.query_id = 0
        self.external_rows: list[dict] = []     # this statement's Spectrum scans (SYS_EXTERNAL_QUERY_DETAIL)

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.warehouse.sessions.discard(self)
        try:
            if self.in_transaction:
                self.con.execute("ROLLBACK")
            self.con.close()
        except duckdb.Error:
            pass

    def interrupt(self) -> None:
        try:
            self.con.interrupt()
        except duckdb.Error:
            pass

    def keep_interrupting(self, done: threading.Event) -> None:
        """Interrupt until ``done``: DuckDB drops an interrupt that falls between two of its statements."""
        def loop():
            while not done.is_set():
                self.interrupt()
                done.wait(0.05)
        threading.Thread(target=loop, name="redshift-cancel", daemon=True).start()

    # -- catalog helpers used by the statement modules --------------------------------------------
    def external_schemas(self) -> dict[str, dict]:
        return self.warehouse.meta("external_schemas", self, spectrum.external_schemas)

    def views(self) -> dict[tuple[str, str], dict]:
        def load(con):
            rows = con.execute(f"SELECT schema_name, view_name, definition, kind FROM {META}.views").fetchall()
            return {(r[0], r[1]): {"definition": r[2], "kind": r[3]} for r in rows}
        return self.warehouse.meta("views", self, load)

    def schema_exists(self, name: str) -> bool:
        if name in self.external_schemas():
            return True
        return bool(self.con.execute("SELECT 1 FROM duckdb_schemas() WHERE schema_name = ? AND database_name = "
                                     "current_database()", [name]).fetchall())

    def local_schemas(self) -> list[str]:
        rows = self.con.execute("SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() "
                                "AND NOT internal AND schema_name NOT IN ('main', ?)", [META]).fetchall()
        return sorted({r[0] for r in rows} | {"public"})

    def table_exists(self, schema: str, name: str) -> bool:
        return bool(self.con.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? AND "
                                     "database_name = current_database()", [schema, name]).fetchall())

    def lookup_schema(self, name: str) -> str:
        """The schema an unqualified name resolves to along the search path."""
        views = self.views()
        for schema in self.search_path:
            if (schema, name) in views or self.table_exists(schema, name):
                return schema
        return self.search_path[0] if self.search_path else "public"

    def tagged(self, tag: str, rowcount: int = -1) -> Result:
        return Result(tag=tag, rowcount=rowcount)

    # -- running ----------------------------------------------------------------------------------
    def describe(self, sql: str, nparams: int = 0) -> Result:
        """Names and types of the rows a statement would return, without reading any (wire Describe)."""
        text = strip(sql)
        words = first_words(text, 1)
        if words[:1] == ["SHOW"]:
            return ddl.show(self, text)
        try:
            translation = self._cached(text)
            if translation is None:
                tree = parse(text)
                if isinstance(tree, (exp.Query, exp.Values)) and not tree.find(exp.Into):
                    translation = self._translate(text, tree)
                else:
                    binder = self.binder()
                    tree = binder.prepare(tree)
                    translation = Translation(binder.select_sql(tree), bool(tree.find(exp.Placeholder, exp.Parameter)),
                                              None)
            known = (translation.described or {}).get(nparams)
            if known is not None:
                return Result(list(known[0]), list(known[1]), None, 0, "DESCRIBE")
            params = [None] * nparams if nparams and translation.has_placeholders else None
            # A relation is bound, not run: its columns and types cost no scan.
            rel = self.con.sql(translation.sql, params=params) if params else self.con.sql(translation.sql)
            names, types = list(rel.columns), [pg_type(str(t)) for t in rel.types]
            if translation.described is not None:
                translation.described[nparams] = (tuple(names), tuple(types))
            return Result(names, types, None, 0, "DESCRIBE")
        except (duckdb.InterruptException, StatementCancelled):
            raise StatementCancelled() from None
        except duckdb.Error as e:
            raise translate(e, text) from None

    def execute(self, sql: str, params: dict | list | None = None) -> Result:
        """Run one statement; raises RedshiftError (Redshift's text) on failure."""
        text = strip(sql)
        if not text:
            return self.tagged("EMPTY")
        if self.failed_transaction and first_words(text, 1)[:1] not in (["ROLLBACK"], ["ABORT"], ["END"],
                                                                         ["COMMIT"]):
            raise RedshiftError("current transaction is aborted, commands ignored until end of transaction block",
                                "25P02")
        self.scanned_bytes = 0
        query_id = self.query_id = next(_query_ids)
        changes_catalog = first_words(text, 1)[:1] in _CATALOG_WORDS
        self._plain = False
        self.external_rows = []
        try:
            result = self._dispatch(text, params or {}, query_id)
        except (duckdb.InterruptException, StatementCancelled):
            self._after_failure()
            raise StatementCancelled() from None
        except RedshiftError:
            self._after_failure()
            raise
        except duckdb.Error as e:
            self._after_failure()
            raise translate(e, text) from None
        finally:
            if self.external_rows:
                ended = dt.datetime.now(dt.timezone.utc)
                for row in self.external_rows:
                    row["end_time"] = ended
                self.external_rows = []
            if not self._plain:
                self.pristine = False
                changes_catalog = changes_catalog or self._into
            if changes_catalog:
                self.warehouse.meta_changed()
                if self.in_transaction:
                    self._catalog_in_transaction = True
        result.query_id = query_id
        return result

    def _after_failure(self) -> None:
        if self.in_transaction:
            self.failed_transaction = True

    def _dispatch(self, text: str, params: dict | list, query_id: int) -> Result:
        self._into = False
        known = self._cached(text)
        if known is not None:
            return self._run_translation(known, params)
        words = first_words(text, 4)
        head = " ".join(words)
        if head.startswith("CREATE EXTERNAL SCHEMA"):
            return spectrum.create_external_schema(self, text)
        if head.startswith("CREATE EXTERNAL TABLE") or head.startswith("ALTER EXTERNAL"):
            raise RedshiftError("CREATE EXTERNAL TABLE is not supported by the local Redshift engine: create the "
                                "table in the Glue Data Catalog (a crawler, Athena DDL or glue.create_table)", "0A000")
        if words[:1] == ["COPY"]:
            return copy_from.copy(self, text, query_id)
        if words[:1] == ["UNLOAD"]:
            return unload.unload(self, text, query_id)
        if words[:1] in (["SAVEPOINT"], ["RELEASE"]):
            # Redshift has no savepoints; drivers (psycopg's nested transactions, which pandas uses through
            # SQLAlchemy) open and release them around reads, so they are accepted and do nothing.
            return self.tagged(words[0])
        if words[:2] == ["ROLLBACK", "TO"]:
            raise RedshiftError("ROLLBACK TO SAVEPOINT is not supported", "0A000")
        if words[:1] in (["BEGIN"], ["START"], ["COMMIT"], ["END"], ["ROLLBACK"], ["ABORT"]):
            return self._transaction(words[0])
        if words[:1] in (["ANALYZE"], ["VACUUM"], ["GRANT"], ["REVOKE"], ["COMMENT"]) or \
                head.startswith("ALTER DEFAULT PRIVILEGES") or head.startswith("CREATE USER") or \
                head.startswith("CREATE GROUP") or head.startswith("ALTER USER"):
            return self.tagged(words[0] if words[0] != "ALTER" else "ALTER DEFAULT PRIVILEGES")
        if words[:1] in (["SET"], ["RESET"]):
            return ddl.set_variable(self, text)
        if words[:1] == ["SHOW"]:
            return ddl.show(self, text)
        handled = ddl.command(self, text, words)
        if handled is not None:
            return handled
        tree = parse(text)
        if isinstance(tree, exp.Command):
            raise RedshiftError(f"{tree.name.upper()} {str(tree.expression or '')[:40].strip()} is not supported by "
                                "the local Redshift engine", "0A000")
        if isinstance(tree, (exp.Query, exp.Values)):
            if tree.find(exp.Into):
                self._into = True     # SELECT ... INTO creates a table
            else:
                return self._run_translation(self._translate(text, tree), params)
        return ddl.statement(self, tree, params)

    # -- plain queries: translated once per catalog generation -------------------------------------
    def _cache_key(self, text: str) -> tuple | None:
        """The translation-cache key of ``text`` for this session, or None when the session must translate
        afresh: inside a transaction that changed the catalog, or that began before the last change."""
        if self.in_transaction and (self._catalog_in_transaction or
                                    self._transaction_generation != self.warehouse.generation):
            return None
        return (text, tuple(self.search_path))

    def _cached(self, text: str) -> Translation | None:
        key = self._cache_key(text)
        return self.warehouse.translation(key) if key is not None else None

    def _translate(self, text: str, tree: exp.Expression) -> Translation:
        """Bind and generate a query (SELECT, WITH, VALUES, set operations); kept for the next statement
        with the same text when it read only the warehouse's tables and stored views."""
        key, generation = self._cache_key(text), self.warehouse.generation
        binder = self.binder()
        tree = binder.prepare(tree)
        translation = Translation(binder.select_sql(tree), bool(tree.find(exp.Placeholder, exp.Parameter)))
        if key is not None and not binder.volatile:
            self.warehouse.remember(key, generation, translation)
        elif binder.volatile:
            translation.described = None      # temp views of this statement: never reused
        return translation

    def _run_translation(self, translation: Translation, params: dict | list) -> Result:
        if params and not translation.has_placeholders:
            params = None     # every placeholder was rewritten away (a driver's catalog probe)
        result = self.query(translation.sql, params)
        self._plain = translation.described is not None     # no temp view, SET, transaction or DDL
        return result

    def _transaction(self, word: str) -> Result:
        if word in ("BEGIN", "START"):
            if self.in_transaction:
                # PostgreSQL/Redshift warn and continue.
                return self.tagged("BEGIN")
            self.con.execute("BEGIN TRANSACTION")
            self.in_transaction, self.failed_transaction = True, False
            self._catalog_in_transaction, self._transaction_generation = False, self.warehouse.generation
            return self.tagged("BEGIN")
        if not self.in_transaction:
            return self.tagged("COMMIT" if word in ("COMMIT", "END") else "ROLLBACK")
        if word in ("COMMIT", "END") and not self.failed_transaction:
            self.con.execute("COMMIT")
            tag = "COMMIT"
        else:
            self.con.execute("ROLLBACK")
            tag = "ROLLBACK"
        self.in_transaction = self.failed_transaction = self._catalog_in_transaction = False
        return self.tagged(tag)

    def query(self, duck_sql: str, params: dict | list | None = None) -> Result:
        """Run DuckDB SQL that returns rows; names and types as Redshift reports them."""
        if params:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # the "extra copy" note: parameters need the DB-API call
                table = self.con.execute(duck_sql, params).to_arrow_table()
        else:
            table = self.con.sql(duck_sql).to_arrow_table()
        table = redshift_columns(table)
        names = [n for n in table.column_names]
        types = [pg_type(duck_type_of(f.type)) for f in table.schema]
        return Result(names, types, table, table.num_rows, f"SELECT {table.num_rows}")

    def binder(self) -> Binder:
        return Binder(self)


def dumps(value) -> str:
    return json.dumps(value, sort_keys=True)
