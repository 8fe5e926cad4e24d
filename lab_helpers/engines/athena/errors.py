"""Athena-shaped query errors: Trino/Hive error names, AthenaError codes, and DuckDB error translation.

ErrorCategory/ErrorType values come from the Athena error catalog
(https://docs.aws.amazon.com/athena/latest/ug/error-reference.html); the message texts follow
Athena engine v3 (Trino), e.g. ``COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved or
requester is not authorized to access requested resources``.
"""
from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

SYSTEM, USER, OTHER = 1, 2, 3

# Trino/Hive error name -> (ErrorCategory, ErrorType). The catalog documents the codes, not
# which Trino names map to them; these are the closest documented descriptions.
CODES: dict[str, tuple[int, int]] = {
    "SYNTAX_ERROR": (USER, 1006),                 # Syntax error
    "COLUMN_NOT_FOUND": (USER, 1006),
    "AMBIGUOUS_NAME": (USER, 1006),
    "EXPRESSION_NOT_AGGREGATE": (USER, 1006),
    "MISSING_COLUMN_NAME": (USER, 1006),
    "DUPLICATE_COLUMN_NAME": (USER, 1006),
    "TYPE_MISMATCH": (USER, 1006),
    "TABLE_NOT_FOUND": (USER, 1110),              # Provided table or view does not exist
    "SCHEMA_NOT_FOUND": (USER, 1301),             # General entity not found
    "CATALOG_NOT_FOUND": (USER, 1301),
    "FUNCTION_NOT_FOUND": (USER, 1303),           # Provided function ... not found
    "INVALID_FUNCTION_ARGUMENT": (USER, 1106),    # Invalid function argument provided
    "INVALID_CAST_ARGUMENT": (USER, 1001),        # Data error
    "NUMERIC_VALUE_OUT_OF_RANGE": (USER, 1001),
    "DIVISION_BY_ZERO": (USER, 1001),
    "HIVE_BAD_DATA": (USER, 1001),
    "HIVE_CURSOR_ERROR": (USER, 1001),
    "HIVE_CANNOT_OPEN_SPLIT": (USER, 1001),
    "HIVE_INVALID_PARTITION_VALUE": (USER, 1001),
    "INVALID_VIEW": (USER, 1107),                 # Invalid view
    "NOT_SUPPORTED": (USER, 1200),                # Query not supported
    "QUERY_TYPE_NOT_SUPPORTED": (USER, 1202),     # Query type not supported
    "INVALID_TABLE_PROPERTY": (USER, 1103),       # Invalid table property provided
    "HIVE_COLUMN_ORDER_MISMATCH": (USER, 1103),
    "HIVE_PATH_ALREADY_EXISTS": (USER, 1100),     # Invalid argument provided
    "HIVE_TOO_MANY_OPEN_PARTITIONS": (USER, 1000),
    "TABLE_ALREADY_EXISTS": (USER, 1003),         # DDL task failed
    "DDL_FAILED": (USER, 1003),
    "S3_BUCKET_NOT_FOUND": (USER, 1306),          # Amazon S3 bucket not found
    "S3_ACCESS_DENIED": (USER, 1501),             # Amazon S3 permission error
    "HIVE_METASTORE_ERROR": (SYSTEM, 204),        # The metastore had an error
    "GENERIC_INTERNAL_ERROR": (SYSTEM, 200),      # Query engine had an internal error
}


class AthenaQueryError(Exception):
    """A failed query: ``message`` is what Athena puts in Status.StateChangeReason."""

    def __init__(self, message: str, error_category: int = USER, error_type: int = 1000, code: str = ""):
        super().__init__(message)
        self.message = message
        self.error_category = error_category
        self.error_type = error_type
        self.code = code


class AthenaSyntaxError(AthenaQueryError):
    """The statement does not parse. Real Athena rejects these already in StartQueryExecution
    (InvalidRequestException with this message), so the API layer may do the same."""

    at_submit = True


class QueryCancelled(Exception):
    """StopQueryExecution (the ``cancel`` event) interrupted the query."""

    error_category, error_type = USER, 1011      # Query canceled by user
    message = "Query cancelled by user"

    def __init__(self):
        super().__init__(self.message)


def error(code: str, text: str, pos: tuple[int, int] | None = None) -> AthenaQueryError:
    """``error("TABLE_NOT_FOUND", "Table 'x' does not exist", (1, 15))``."""
    category, etype = CODES.get(code, (USER, 1000))
    where = f"line {pos[0]}:{pos[1]}: " if pos else ""
    prefix = f"{code}: " if code not in ("DDL_FAILED", "S3_BUCKET_NOT_FOUND", "S3_ACCESS_DENIED") else ""
    return AthenaQueryError(f"{prefix}{where}{text}", category, etype, code)


def position(sql: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset, as Trino reports positions."""
    line = sql.count("\n", 0, offset) + 1
    return line, offset - (sql.rfind("\n", 0, offset) + 1) + 1


def node_position(sql: str, node: exp.Expression | None) -> tuple[int, int] | None:
    """Where an AST node starts in the SQL text (from the token offsets sqlglot keeps)."""
    if node is None:
        return None
    starts = [i.meta["start"] for i in node.find_all(exp.Identifier) if "start" in i.meta]
    if "start" in node.meta:
        starts.append(node.meta["start"])
    return position(sql, min(starts)) if starts else None


STATEMENT_STARTS = ("'ALTER', 'ANALYZE', 'CALL', 'COMMIT', 'CREATE', 'DEALLOCATE', 'DELETE', 'DESC', "
                    "'DESCRIBE', 'DROP', 'EXECUTE', 'EXPLAIN', 'GRANT', 'INSERT', 'MERGE', 'PREPARE', "
                    "'RESET', 'REVOKE', 'ROLLBACK', 'SELECT', 'SET', 'SHOW', 'START', 'UNLOAD', 'UPDATE', "
                    "'USE', 'VALUES', 'WITH', <query>")


_STARTS = {w.strip("'") for w in STATEMENT_STARTS.split(", ")} | {"MSCK"}
# Every keyword a statement may begin with (Trino's list plus Athena's own statements).
STATEMENT_KEYWORDS = _STARTS | {"OPTIMIZE", "VACUUM", "TABLE", "REFRESH", "COMMENT", "TRUNCATE", "DENY"}


def syntax_error(sql: str, err: ParseError) -> AthenaSyntaxError:
    """sqlglot's ParseError phrased like Trino's parser: ``line 1:15: mismatched input 't'``."""
    info = (err.errors or [{}])[0]
    token = (info.get("highlight") or "").strip()
    line, col = info.get("line") or 1, info.get("col") or 1
    col = max(1, col - len(token) + 1)
    star = star_alias(sql)
    if star is not None and star[0] <= _offset(sql, line, col):
        return star[1]
    if not token:
        return AthenaSyntaxError(f"line {line}:{col}: mismatched input '<EOF>'", USER, 1006, "SYNTAX_ERROR")
    first = sql.lstrip().split(None, 1)[0] if sql.strip() else ""
    start = position(sql, len(sql) - len(sql.lstrip()))
    if first and first.upper().strip("(") not in _STARTS and not first.startswith("("):
        # sqlglot reads an unknown first word as a column name and fails later; Trino fails on it.
        token, (line, col) = first, start
    if token == first and start == (line, col):
        return AthenaSyntaxError(f"line {line}:{col}: mismatched input '{token}'. Expecting: {STATEMENT_STARTS}",
                                 USER, 1006, "SYNTAX_ERROR")
    description = info.get("description") or ""
    if not (info.get("end_context") or "").strip() and re.search(r"missing|Expect", description):
        # sqlglot stops on the last token when the statement ends too early; Trino names the end.
        end_line, end_col = position(sql, len(sql.rstrip()))
        expecting = ". Expecting: <expression>" if "missing" in description else ""
        return AthenaSyntaxError(f"line {end_line}:{end_col}: mismatched input '<EOF>'{expecting}",
                                 USER, 1006, "SYNTAX_ERROR")
    return AthenaSyntaxError(f"line {line}:{col}: mismatched input '{token}'", USER, 1006, "SYNTAX_ERROR")


_AFTER_STAR = ("',', 'EXCEPT', 'FETCH', 'FROM', 'GROUP', 'HAVING', 'INTERSECT', 'LIMIT', 'OFFSET', 'ORDER', "
               "'UNION', 'WHERE', 'WINDOW', <EOF>")


def star_alias(sql: str) -> tuple[int, AthenaSyntaxError] | None:
    """``SELECT * FORM t``: sqlglot takes FORM as an alias of ``*``; Trino allows no alias there and
    fails on that word. Returns (offset, error) for the first such word, else None."""
    from sqlglot.tokens import TokenType
    try:
        tokens = sqlglot.tokenize(sql, read="athena")
    except Exception:   # noqa: BLE001 - a tokenizer error is reported by the parser instead
        return None
    for i, tok in enumerate(tokens[:-1]):
        if tok.token_type != TokenType.STAR:
            continue
        j = i - 1
        while j >= 1 and tokens[j].token_type == TokenType.DOT and tokens[j - 1].token_type == TokenType.VAR:
            j -= 2
        if j < 0 or tokens[j].token_type not in (TokenType.SELECT, TokenType.COMMA, TokenType.DISTINCT,
                                                 TokenType.ALL):
            continue
        nxt = tokens[i + 1]
        if nxt.token_type == TokenType.VAR:
            line, col = position(sql, nxt.start)
            return nxt.start, AthenaSyntaxError(f"line {line}:{col}: mismatched input '{nxt.text}'. "
                                                f"Expecting: {_AFTER_STAR}", USER, 1006, "SYNTAX_ERROR")
    return None


def _offset(sql: str, line: int, col: int) -> int:
    lines = sql.split("\n")
    return sum(len(x) + 1 for x in lines[:line - 1]) + col - 1


# --- DuckDB errors -> Trino texts ---------------------------------------------------------------

# DuckDB function names that sqlglot produced, back to the Trino name the learner wrote.
TRINO_NAMES = {"strptime": "date_parse", "strftime": "date_format", "regexp_matches": "regexp_like",
               "str_split": "split", "array_length": "cardinality", "approx_count_distinct": "approx_distinct",
               "approx_quantile": "approx_percentile", "isodow": "day_of_week", "arg_max": "max_by",
               "arg_min": "min_by", "array_to_string": "array_join", "to_timestamp": "from_unixtime",
               "epoch": "to_unixtime", "list_transform": "transform", "list_filter": "filter",
               "any_value": "arbitrary", "string_split": "split"}
_TYPE_NAMES = {"STRING_LITERAL": "varchar", "VARCHAR": "varchar", "INTEGER_LITERAL": "integer",
               "INTEGER": "integer", "BIGINT": "bigint", "DOUBLE": "double", "FLOAT": "real",
               "TIMESTAMP": "timestamp(3)", "DATE": "date", "BOOLEAN": "boolean",
               "TIMESTAMP WITH TIME ZONE": "timestamp(3) with time zone", "INTERVAL": "interval",
               "HUGEINT": "bigint", "SMALLINT": "smallint", "TINYINT": "tinyint", "BLOB": "varbinary"}
_CAST_NAMES = {"INT8": "TINYINT", "INT16": "SMALLINT", "INT32": "INT", "INT64": "BIGINT",
               "DOUBLE": "DOUBLE", "FLOAT": "REAL", "BOOL": "BOOLEAN"}
NOT_AUTHORIZED = " or requester is not authorized to access requested resources"


def _trino_type(name: str) -> str:
    name = name.strip()
    if name.startswith("DECIMAL"):
        return name.lower()
    if name.endswith("[]"):
        return f"array({_trino_type(name[:-2])})"
    return _TYPE_NAMES.get(name, name.lower())


def translate(exc: Exception, sql: str, tree: exp.Expression | None, paths: dict[str, str]) -> AthenaQueryError:
    """A DuckDB exception raised by a query -> the AthenaQueryError Athena would report."""
    text = str(exc)
    for local, uri in paths.items():
        text = text.replace(local, uri)
    first = text.split("\n", 1)[0]
    body = first.split(": ", 1)[1] if ": " in first else first
    m = (re.search(r'Referenced column "([^"]+)" not found', first)
         or re.search(r'Table "[^"]+" does not have a column named "([^"]+)"', first)
         or re.search(r'Values list "[^"]+" does not have a column named "([^"]+)"', first)
         or re.search(r'column "([^"]+)" not found', first, re.I)
         or re.search(r'Column "([^"]+)" referenced that exists in the SELECT clause', first))
    if m:
        name = m.group(1)
        return error("COLUMN_NOT_FOUND", f"Column '{name}' cannot be resolved{NOT_AUTHORIZED}",
                     _column_pos(sql, tree, name))
    m = re.search(r'Referenced table "([^"]+)" not found', first)
    if m:
        col = _qualified_column(tree, m.group(1))
        name = col.sql(dialect="trino") if col is not None else m.group(1)
        return error("COLUMN_NOT_FOUND", f"Column '{name}' cannot be resolved{NOT_AUTHORIZED}",
                     node_position(sql, col))
    m = re.search(r'Ambiguous reference to column name "([^"]+)"', first)
    if m:
        return error("AMBIGUOUS_NAME", f"Column '{m.group(1)}' is ambiguous", _column_pos(sql, tree, m.group(1)))
    m = re.search(r'column "([^"]+)" must appear in the GROUP BY clause', first)
    if m:
        return error("EXPRESSION_NOT_AGGREGATE",
                     f"'{m.group(1)}' must be an aggregate expression or appear in GROUP BY clause",
                     _column_pos(sql, tree, m.group(1)))
    m = re.search(r"(?:Scalar|Aggregate|Table) Function with name (\S+) does not exist", first)
    if m:
        name = TRINO_NAMES.get(m.group(1).lower(), m.group(1).lower())
        return error("FUNCTION_NOT_FOUND", f"Function '{name}' not registered", _function_pos(sql, name))
    m = re.search(r"No function matches the given name and argument types '([^(]+)\((.*)\)'", first)
    if m:
        name = TRINO_NAMES.get(m.group(1).lower(), m.group(1).lower())
        args = ", ".join(_trino_type(a) for a in _split_args(m.group(2)))
        return error("FUNCTION_NOT_FOUND", f"Unexpected parameters ({args}) for function {name}",
                     _function_pos(sql, name))
    m = re.search(r"Cannot (?:compare|mix) values of type (\S+) and (?:type )?(\S+)", first)
    if m:
        return error("TYPE_MISMATCH", f"Cannot apply operator: {_trino_type(m.group(1))} = "
                     f"{_trino_type(m.group(2).rstrip(' -'))}")
    m = re.search(r"Could not convert string '(.*)' to (\w+)", first)
    if m:
        return error("INVALID_CAST_ARGUMENT", f"Cannot cast '{m.group(1)}' to {_CAST_NAMES.get(m.group(2), m.group(2))}")
    m = re.search(r'(date|timestamp)[^"]*"([^"]*)"', first, re.I) if first.startswith("Conversion Error") else None
    if m:
        return error("INVALID_CAST_ARGUMENT", f"Value cannot be cast to {m.group(1).lower()}: {m.group(2)}")
    m = re.search(r'Could not parse string "(.*)" according to format specifier', first)
    if m:
        return error("INVALID_FUNCTION_ARGUMENT", f'Invalid format: "{m.group(1)}"')
    if "Division by zero" in first:   # DuckDB's text suggests DuckDB settings; Trino's is short
        return error("DIVISION_BY_ZERO", "Division by zero")
    if first.startswith("Out of Range Error"):
        return error("NUMERIC_VALUE_OUT_OF_RANGE", body)
    if "CSV Error" in first or "Error when sniffing file" in text:
        return error("HIVE_BAD_DATA", body)
    if "JSON" in first and ("Malformed" in first or "malformed" in first or "Invalid Input Error" in first):
        return error("HIVE_CURSOR_ERROR", f"Row is not a valid JSON Object - {body}")
    if "magic bytes" in first or "Parquet" in first:
        return error("HIVE_CANNOT_OPEN_SPLIT", body)
    if first.startswith("Parser Error"):
        return error("NOT_SUPPORTED", f"The local Athena engine cannot run this statement ({body})")
    if first.startswith("Binder Error") or first.startswith("Catalog Error"):
        return error("SYNTAX_ERROR", body, (1, 1))
    if first.startswith(("Invalid Input Error", "Conversion Error")):
        return error("INVALID_FUNCTION_ARGUMENT", body)
    return error("GENERIC_INTERNAL_ERROR", body)


def _split_args(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch in "([" and 1 or (ch in ")]" and -1 or 0)
        cur += ch
    return [a for a in out + [cur] if a.strip()]


def _column_pos(sql: str, tree: exp.Expression | None, name: str) -> tuple[int, int] | None:
    if tree is None:
        return None
    for col in tree.find_all(exp.Column):
        if col.name.lower() == name.lower():
            return node_position(sql, col)
    return None


def _qualified_column(tree: exp.Expression | None, table: str) -> exp.Column | None:
    if tree is None:
        return None
    for col in tree.find_all(exp.Column):
        if col.table.lower() == table.lower():
            return col
    return None


def _function_pos(sql: str, name: str) -> tuple[int, int] | None:
    for m in re.finditer(rf"\b{re.escape(name)}\s*\(", sql, re.I):
        if sql[:m.start()].count("'") % 2 == 0:
            return position(sql, m.start())
    return None
