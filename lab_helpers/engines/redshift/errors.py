"""Redshift-shaped SQL errors: PostgreSQL SQLSTATEs and Redshift's texts, never a DuckDB message.

Redshift answers a failed statement with ``ERROR: <message>`` (the Data API's ``Error``, the wire
protocol's ErrorResponse with a SQLSTATE). ``translate`` turns what DuckDB raised into the text
Redshift prints for the same mistake; what it cannot map becomes a generic Redshift error that
names the statement kind, so a learner never sees DuckDB's wording.
"""
from __future__ import annotations

import re

import duckdb


class RedshiftError(Exception):
    """A failed statement: ``message`` is Redshift's text (without the ``ERROR:`` prefix)."""

    def __init__(self, message: str, sqlstate: str = "XX000", detail: str = ""):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail

    @property
    def text(self) -> str:
        """The Data API's ``Error`` text."""
        out = f"ERROR: {self.message}"
        if self.detail:
            out += f"\n  DETAIL: {self.detail}"
        return out


class StatementCancelled(RedshiftError):
    def __init__(self):
        super().__init__("Query cancelled on user's request", "57014")


def syntax_error(near: str) -> RedshiftError:
    return RedshiftError(f'syntax error at or near "{near}"', "42601")


def not_supported(what: str) -> RedshiftError:
    return RedshiftError(f"{what} is not supported by the local Redshift engine", "0A000")


def relation_missing(name: str) -> RedshiftError:
    return RedshiftError(f'relation "{name}" does not exist', "42P01")


def schema_missing(name: str) -> RedshiftError:
    return RedshiftError(f'schema "{name}" does not exist', "3F000")


_PATTERNS: list[tuple[re.Pattern, callable]] = [
    (re.compile(r"Table with name ([^\s!]+) does not exist", re.I),
     lambda m: relation_missing(m.group(1).strip('"').lower())),
    (re.compile(r"(?:Table|View) \"?([^\s\"!]+)\"? does not exist", re.I),
     lambda m: relation_missing(m.group(1).lower())),
    (re.compile(r"Schema with name \"?([^\s\"!]+)\"? does not exist", re.I),
     lambda m: schema_missing(m.group(1).lower())),
    (re.compile(r"Catalog \"?([^\s\"!]+)\"? does not exist", re.I),
     lambda m: schema_missing(m.group(1).lower())),
    (re.compile(r"Referenced column \"?([^\s\"]+)\"? (?:was )?not found", re.I),
     lambda m: RedshiftError(f'column "{m.group(1).lower()}" does not exist', "42703")),
    (re.compile(r'Referenced table "?([^\s"]+)"? not found', re.I),
     lambda m: RedshiftError(f'missing FROM-clause entry for table "{m.group(1).lower()}"', "42P01")),
    (re.compile(r"Ambiguous reference to column name \"?([^\s\"]+)\"?", re.I),
     lambda m: RedshiftError(f'column reference "{m.group(1).lower()}" is ambiguous', "42702")),
    (re.compile(r"(?:Table|View) with name \"?([^\s\"]+)\"? already exists", re.I),
     lambda m: RedshiftError(f'relation "{m.group(1).lower()}" already exists', "42P07")),
    (re.compile(r"Schema with name \"?([^\s\"]+)\"? already exists", re.I),
     lambda m: RedshiftError(f'Schema "{m.group(1).lower()}" already exists', "42P06")),
    (re.compile(r"(?:Scalar|Aggregate|Table) Function with name \"?([^\s\"]+)\"? does not exist", re.I),
     lambda m: RedshiftError(f"function {m.group(1).lower()} does not exist", "42883")),
    (re.compile(r"No function matches the given name and argument types '([a-z_0-9]+)\(([^)]*)\)'", re.I),
     lambda m: RedshiftError(f"function {m.group(1).lower()}({_pg_types(m.group(2))}) does not exist", "42883")),
    (re.compile(r"Type with name \"?([^\s\"!]+)\"? does not exist", re.I),
     lambda m: RedshiftError(f'type "{m.group(1).lower()}" does not exist', "42704")),
    (re.compile(r"must appear in the GROUP BY clause", re.I),
     lambda m: RedshiftError("column must appear in the GROUP BY clause or be used in an aggregate function", "42803")),
    (re.compile(r"Division by zero", re.I), lambda m: RedshiftError("division by zero", "22012")),
    (re.compile(r"Could not convert string '([^']*)' to ([A-Z0-9]+)", re.I),
     lambda m: RedshiftError(f'invalid input syntax for {_pg_types(m.group(2))}: "{m.group(1)}"', "22P02")),
    (re.compile(r"invalid date field format: \"([^\"]*)\"|date field value out of range: \"([^\"]*)\"", re.I),
     lambda m: RedshiftError(f'invalid input syntax for type date: "{m.group(1) or m.group(2)}"', "22007")),
    (re.compile(r"NOT NULL constraint failed: ([^\s]+)", re.I),
     lambda m: RedshiftError(f'Cannot insert a NULL value into column {m.group(1).split(".")[-1]}', "23502")),
    (re.compile(r"Conflict on (?:tuple|update)|Transaction conflict", re.I),
     lambda m: RedshiftError("1023: Serializable isolation violation on table", "XX000")),
    (re.compile(r"Values list \"?[^\s\"]*\"? does not have a column named", re.I),
     lambda m: RedshiftError("column does not exist", "42703")),
    (re.compile(r"table \S+ has (\d+) columns but (\d+) values were supplied", re.I),
     lambda m: RedshiftError("INSERT has more expressions than target columns", "42601")),
    (re.compile(r"Cannot commit - no transaction is active|cannot commit - no transaction", re.I),
     lambda m: RedshiftError("there is no transaction in progress", "25P01")),
    (re.compile(r"cannot start a transaction within a transaction", re.I),
     lambda m: RedshiftError("there is already a transaction in progress", "25001")),
    (re.compile(r"Current transaction is aborted", re.I),
     lambda m: RedshiftError("current transaction is aborted, commands ignored until end of transaction block",
                             "25P02")),
]

_PG_TYPE_WORDS = {"VARCHAR": "character varying", "INTEGER": "integer", "BIGINT": "bigint", "DOUBLE": "double precision",
                  "DATE": "date", "TIMESTAMP": "timestamp without time zone", "BOOLEAN": "boolean",
                  "SMALLINT": "smallint", "DECIMAL": "numeric", "INT32": "integer", "INT64": "bigint",
                  "HUGEINT": "numeric", "FLOAT": "real", "TIMESTAMP WITH TIME ZONE": "timestamp with time zone"}


def _pg_types(text: str) -> str:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return ", ".join(_PG_TYPE_WORDS.get(re.sub(r"\(.*", "", p).upper(), p.lower()) for p in parts)


def translate(err: Exception, statement: str = "") -> RedshiftError:
    """DuckDB's exception -> Redshift's error for the same mistake."""
    if isinstance(err, RedshiftError):
        return err
    if isinstance(err, duckdb.InterruptException):
        return StatementCancelled()
    text = str(err)
    for pattern, make in _PATTERNS:
        m = pattern.search(text)
        if m:
            return make(m)
    if isinstance(err, duckdb.ParserException):
        m = re.search(r'at or near "([^"]*)"', text)
        return syntax_error(m.group(1) if m else "end of input")
    if isinstance(err, duckdb.ConversionException):
        return RedshiftError("invalid input syntax for the column's type", "22P02")
    if isinstance(err, (duckdb.OutOfRangeException,)):
        return RedshiftError("numeric value out of range", "22003")
    if isinstance(err, duckdb.ConstraintException):
        return RedshiftError("a table constraint was violated", "23000")
    if isinstance(err, duckdb.TransactionException):
        return RedshiftError("1023: Serializable isolation violation on table", "XX000")
    word = (statement.split(None, 1) or ["statement"])[0].upper()
    # Keep the gist (first line, without DuckDB's category prefix) so the learner can still act on it.
    first = re.sub(r"^[A-Za-z ]+Error:\s*", "", text.strip().split("\n")[0])
    return RedshiftError(f"{word} failed: {first}", "XX000")
