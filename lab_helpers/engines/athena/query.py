"""A query's result and the statement text helpers every Athena module shares (a leaf: imports no sibling but errors/types)."""
from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .errors import STATEMENT_KEYWORDS, STATEMENT_STARTS, AthenaSyntaxError, position, star_alias, syntax_error
from .types import text_column


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
    first = re.match(r"[A-Za-z_]+|\S", head).group(0)
    if first.upper() not in STATEMENT_KEYWORDS and first != "(":
        line, col = position(text, len(text) - len(head))
        raise AthenaSyntaxError(f"line {line}:{col}: mismatched input '{first}'. Expecting: " + STATEMENT_STARTS,
                                2, 1006, "SYNTAX_ERROR")
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
    except RecursionError:   # hundreds of nested parentheses: Trino refuses these as well
        raise AthenaSyntaxError("line 1:1: Statement is too large (stack overflow during analysis)",
                                2, 1006, "SYNTAX_ERROR") from None
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
