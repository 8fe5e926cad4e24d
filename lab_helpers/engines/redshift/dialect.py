"""Redshift SQL -> DuckDB SQL: parse with sqlglot (``read="redshift"``), fix what its transpiler leaves
for DuckDB to reject, fold identifiers to lower case, and name result columns as Redshift does."""
from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .errors import RedshiftError, syntax_error
from .sqltext import META

logging.getLogger("sqlglot").setLevel(logging.ERROR)   # "Falling back to parsing as a 'Command'" is expected

# Redshift's date-part abbreviations (DATEPART, DATEDIFF, DATEADD, EXTRACT) -> DuckDB's names.
DATE_PARTS = {
    "millennium": "millennium", "millennia": "millennium", "mil": "millennium", "mils": "millennium",
    "century": "century", "centuries": "century", "c": "century", "cent": "century", "cents": "century",
    "decade": "decade", "decades": "decade", "dec": "decade", "decs": "decade",
    "year": "year", "years": "year", "y": "year", "yr": "year", "yrs": "year",
    "quarter": "quarter", "quarters": "quarter", "qtr": "quarter", "qtrs": "quarter",
    "month": "month", "months": "month", "mon": "month", "mons": "month",
    "week": "week", "weeks": "week", "w": "week",
    "dayofweek": "dow", "dow": "dow", "dw": "dow", "weekday": "dow",
    "dayofyear": "doy", "doy": "doy", "dy": "doy", "yearday": "doy",
    "day": "day", "days": "day", "d": "day",
    "hour": "hour", "hours": "hour", "h": "hour", "hr": "hour", "hrs": "hour",
    "minute": "minute", "minutes": "minute", "m": "minute", "min": "minute", "mins": "minute",
    "second": "second", "seconds": "second", "s": "second", "sec": "second", "secs": "second",
    "millisecond": "millisecond", "milliseconds": "millisecond", "ms": "millisecond", "msec": "millisecond",
    "msecs": "millisecond", "msecond": "millisecond", "mseconds": "millisecond", "millisec": "millisecond",
    "millisecs": "millisecond", "millisecon": "millisecond",
    "microsecond": "microsecond", "microseconds": "microsecond", "microsec": "microsecond",
    "microsecs": "microsecond", "usecond": "microsecond",
    "useconds": "microsecond", "us": "microsecond", "usec": "microsecond", "usecs": "microsecond",
    "epoch": "epoch", "timezone": "timezone", "timezone_hour": "timezone_hour",
    "timezone_minute": "timezone_minute",
}

# Functions Redshift has and DuckDB spells differently (after sqlglot's own mapping).
_RENAMES = {"ISNULL": "COALESCE", "CHAR_LENGTH": "LENGTH", "CHARACTER_LENGTH": "LENGTH", "TEXTLEN": "LENGTH",
            "BTRIM": "TRIM", "LCASE": "LOWER", "UCASE": "UPPER", "SYSDATE": "CURRENT_TIMESTAMP"}
# Host-file and network readers DuckDB would run if a statement named them: never reachable from SQL.
_FORBIDDEN = {"read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto",
              "read_json_objects", "read_ndjson", "read_text", "read_blob", "glob", "sniff_csv", "parquet_metadata",
              "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "read_ndjson_objects",
              "read_json_objects_auto", "duckdb_secrets", "query_table", "query", "getenv", "read_xlsx",
              "iceberg_scan", "delta_scan", "sqlite_scan", "postgres_scan", "mysql_scan"}


def parse(sql: str) -> exp.Expression:
    """One statement -> sqlglot tree, or Redshift's syntax error."""
    try:
        trees = [t for t in sqlglot.parse(sql, read="redshift") if t is not None]
    except ParseError as e:
        errors = getattr(e, "errors", None) or [{}]
        near = (errors[0].get("highlight") or "").strip() or "end of input"
        raise syntax_error(near) from None
    except TokenError:
        raise RedshiftError("unterminated quoted string at or near the end of the statement", "42601") from None
    if not trees:
        raise syntax_error("end of input")
    if len(trees) > 1:
        raise RedshiftError("cannot insert multiple commands into a prepared statement", "42601")
    return trees[0]


def normalize(tree: exp.Expression) -> exp.Expression:
    """Fold identifiers to lower case (Redshift's default: enable_case_sensitive_identifier off)."""
    for ident in tree.find_all(exp.Identifier):
        ident.set("this", ident.this.lower())
        ident.set("quoted", True)
    return tree


def _part(node: exp.Expression) -> str | None:
    """The date part named by an unquoted identifier, a var or a string literal."""
    if isinstance(node, exp.Column) and not node.table:
        text = node.name
    elif isinstance(node, exp.Var):
        text = node.name
    elif isinstance(node, exp.Literal) and node.is_string:
        text = node.this
    else:
        return None
    return DATE_PARTS.get(text.lower())


VERSION = ("PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), "
           "Redshift 1.0.77467 (labkit local engine)")


# Redshift's one-argument TRUNC takes a timestamp (-> its date) or a number (-> its integer part); which one
# only DuckDB knows when it binds, so a macro with typed overloads decides (created with each database).
TRUNC_MACRO = f"{META}.rs_trunc"
TRUNC_MACRO_DDL = (f"CREATE OR REPLACE MACRO {TRUNC_MACRO}(x TIMESTAMP) AS CAST(x AS DATE), "
                   "(x TIMESTAMPTZ) AS CAST(x AS DATE), (x DATE) AS x, (x) AS trunc(x)")


def _trunc(arg: exp.Expression) -> exp.Expression:
    schema, name = TRUNC_MACRO.split(".")
    return exp.Dot(this=exp.to_identifier(schema), expression=exp.Anonymous(this=name, expressions=[arg]))


def fix_functions(tree: exp.Expression) -> exp.Expression:
    """Repairs on the Redshift tree before DuckDB SQL is generated."""
    for node in list(tree.find_all(exp.Dot)):
        # pg_catalog.version() and friends: the catalog prefix of a function call
        if isinstance(node.expression, exp.Func) and isinstance(node.this, (exp.Column, exp.Identifier)) and \
                node.this.name.lower() == "pg_catalog":
            node.replace(node.expression)
    for node in list(tree.find_all(exp.Anonymous)):
        if (node.name or "").upper() == "VERSION" and not node.expressions:
            node.replace(exp.Literal.string(VERSION))
        elif (node.name or "").upper() in ("TO_REGTYPE", "TO_REGCLASS"):
            # Drivers probe for extension types this way (psycopg's TypeInfo): none exist here.
            node.replace(exp.Cast(this=exp.Null(), to=exp.DataType.build("BIGINT")))
    for node in list(tree.find_all(exp.Cast)):
        to = node.args.get("to")
        if isinstance(to, exp.ObjectIdentifier) or (to is not None and to.name.upper().startswith("REG")):
            if isinstance(node.this, exp.Column):     # oid::regtype -> its text
                node.replace(exp.Cast(this=node.this, to=exp.DataType.build("VARCHAR")))
            else:                                     # 'name'::regtype -> no such type
                node.replace(exp.Cast(this=exp.Null(), to=exp.DataType.build("BIGINT")))
    for node in list(tree.find_all(exp.Anonymous)):
        name = (node.name or "").upper()
        if name.lower() in _FORBIDDEN:
            raise RedshiftError(f"function {name.lower()} does not exist", "42883")
        args = node.expressions
        if name in ("DATEPART", "DATE_PART", "PGDATE_PART") and len(args) == 2:
            part = _part(args[0])
            if part is None:
                raise RedshiftError(f"{args[0].sql('redshift')} is not a valid date part", "22023")
            node.replace(exp.Anonymous(this="date_part", expressions=[exp.Literal.string(part), args[1]]))
        elif name in _RENAMES:
            node.set("this", _RENAMES[name])
        elif name == "TRUNC" and len(args) == 1 and not isinstance(args[0], exp.Literal):
            node.replace(_trunc(args[0]))
    for node in list(tree.find_all(exp.Trunc)):
        if node.args.get("decimals") is None and not isinstance(node.this, exp.Literal):
            node.replace(_trunc(node.this))
    for node in list(tree.find_all(exp.Table)):
        if isinstance(node.this, exp.Anonymous) and node.this.name.lower() in _FORBIDDEN:
            raise RedshiftError(f"function {node.this.name.lower()} does not exist", "42883")
    for node in list(tree.find_all(exp.Func)):
        key = getattr(node, "key", "").lower()
        if key in ("readcsv", "readparquet", "readjson"):
            name = {"readcsv": "read_csv", "readparquet": "read_parquet", "readjson": "read_json"}[key]
            raise RedshiftError(f"function {name} does not exist", "42883")
    for node in list(tree.find_all(exp.StrToDate, exp.StrToTime)):
        fmt = node.args.get("format")
        if fmt is None:
            # TO_DATE(text) without a format: Redshift reads ISO dates.
            node.replace(exp.Cast(this=exp.Anonymous(this="left", expressions=[node.this, exp.Literal.number(10)]),
                                  to=exp.DataType.build("DATE")))
            continue
        width = _fixed_width(fmt.this) if isinstance(fmt, exp.Literal) else None
        if width:
            # Redshift's TO_DATE/TO_TIMESTAMP ignore text after the format; DuckDB's strptime does not.
            node.set("this", exp.Anonymous(this="left", expressions=[node.this, exp.Literal.number(width)]))
    for node in list(tree.find_all(exp.Extract)):
        unit = node.this
        part = _part(unit) if isinstance(unit, (exp.Var, exp.Column, exp.Literal)) else None
        if part:
            node.set("this", exp.Var(this=part.upper()))
    for node in list(tree.find_all(exp.DateDiff, exp.DateAdd, exp.TimestampTrunc, exp.DateTrunc)):
        unit = node.args.get("unit")
        if isinstance(unit, (exp.Var, exp.Column, exp.Literal)):
            part = _part(unit)
            if part and part not in ("dow", "doy"):
                node.set("unit", exp.Var(this=part.upper()))
    return tree


def _fixed_width(fmt: str) -> int | None:
    """Length of the text a strftime format produces, when every field has a fixed width."""
    widths = {"Y": 4, "m": 2, "d": 2, "H": 2, "I": 2, "M": 2, "S": 2, "y": 2, "j": 3, "p": 2, "f": 6}
    total, i = 0, 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            if fmt[i + 1] not in widths:
                return None
            total += widths[fmt[i + 1]]
            i += 2
        else:
            total += 1
            i += 1
    return total


def _fix_merge(tree: exp.Expression) -> None:
    """sqlglot reads MERGE's ``INSERT VALUES (...)`` as a tuple holding a VALUES call; spell it out."""
    for ins in list(tree.find_all(exp.Insert)):
        if not isinstance(ins.parent, exp.When):
            continue
        this = ins.this
        cols = None
        values = None
        if isinstance(this, exp.Tuple) and len(this.expressions) == 1 and isinstance(this.expressions[0], exp.Anonymous) \
                and this.expressions[0].name.upper() == "VALUES":
            values = this.expressions[0].expressions
        elif isinstance(this, exp.Schema) or (isinstance(this, exp.Tuple) and isinstance(ins.expression, exp.Tuple)):
            continue
        if values is None:
            continue
        text = "INSERT " + (f"({cols}) " if cols else "") + "VALUES (" + ", ".join(v.sql("duckdb") for v in values) + ")"
        ins.replace(exp.Var(this=text))


def output_names(select: exp.Expression) -> None:
    """Alias unnamed select items the way Redshift names them (count(*) -> count, a + b -> ?column?)."""
    query = select
    while isinstance(query, exp.SetOperation):
        query = query.left
    if isinstance(query, exp.Subquery):
        query = query.this
    if not isinstance(query, exp.Select):
        return
    seen: dict[str, int] = {}
    items = []
    for item in query.expressions:
        if isinstance(item, (exp.Alias, exp.Column, exp.Star)) or isinstance(item, exp.Dot):
            items.append(item)
            continue
        items.append(exp.alias_(item, _figure_name(item), quoted=True))
    query.set("expressions", items)
    del seen


def _figure_name(item: exp.Expression) -> str:
    node = item
    while isinstance(node, (exp.Cast, exp.TryCast, exp.Paren)):
        node = node.this
        if isinstance(node, exp.Column):
            return node.name
    if isinstance(node, exp.Column):
        return node.name
    if isinstance(node, exp.Window):
        node = node.this
        if isinstance(node, exp.WithinGroup):
            node = node.this
    if isinstance(node, exp.WithinGroup):
        node = node.this
    if isinstance(node, exp.GroupConcat):
        return "listagg"
    if isinstance(node, exp.Case):
        return "case"
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Extract):
        return "date_part"
    if isinstance(node, exp.Func):
        text = node.sql(dialect="redshift")
        head = text.split("(", 1)[0].strip().lower()
        if head and head.replace("_", "").isalnum():
            return head
    return "?column?"


def to_duckdb(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Merge):
        _fix_merge(tree)
    try:
        return tree.sql(dialect="duckdb")
    except Exception as e:   # noqa: BLE001 - sqlglot raises UnsupportedError and others
        raise RedshiftError(f"the local Redshift engine cannot translate this statement: {e}", "0A000") from None
