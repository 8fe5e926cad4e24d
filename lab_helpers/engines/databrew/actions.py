"""actions: DataBrew recipe actions that change columns or values of the current data.

"Missing" is DataBrew's: NULL, and the empty string in a text column. Value-changing actions
honour the step's ConditionExpressions (only rows where every condition holds change).
"""
from __future__ import annotations

import pyarrow as pa

from .sandbox import literal, quote
from .steps import (
    ORDER,
    ParameterError,
    Params,
    Runner,
    condition_sql,
    conditioned,
    need_column,
    with_order,
    without_order,
)
from .types import CAST_TYPES, is_numeric, is_text


def _missing(table: pa.Table, col: str) -> str:
    ref = quote(col)
    return f"({ref} IS NULL OR {ref} = '')" if is_text(table.schema.field(col).type) else f"({ref} IS NULL)"


def _column_type(table: pa.Table, col: str) -> str:
    t = table.schema.field(col).type
    if is_text(t):
        return "VARCHAR"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision}, {t.scale})"
    return {"int8": "TINYINT", "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT", "float": "FLOAT",
            "double": "DOUBLE", "bool": "BOOLEAN", "date32[day]": "DATE", "uint8": "UTINYINT",
            "uint16": "USMALLINT", "uint32": "UINTEGER", "uint64": "UBIGINT"}.get(str(t), "VARCHAR")


def _source_columns(table: pa.Table, p: Params) -> list[str]:
    cols = p.columns("sourceColumns", required=False)
    if cols is None:
        cols = [p.str("sourceColumn")]
    for c in cols:
        need_column(table, c)
    return cols


# --- columns -----------------------------------------------------------------------------------

def rename(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    source, target = need_column(table, p.str("sourceColumn")), p.str("targetColumn")
    if target in table.column_names and target != source:
        raise ParameterError(f"a column named {target!r} already exists")
    return table.rename_columns([target if c == source else c for c in table.column_names])


def delete(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    return table.drop_columns(_source_columns(table, p))


def change_data_type(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    col = need_column(table, p.str("sourceColumn"))
    duck = p.cast_type()
    ref = quote(col)
    if duck == "BOOLEAN" and is_text(table.schema.field(col).type):
        # DataBrew reads true/false and yes/no as booleans
        expr = (f"CASE lower(trim({ref})) WHEN 'true' THEN TRUE WHEN 'yes' THEN TRUE WHEN 'false' THEN FALSE "
                f"WHEN 'no' THEN FALSE ELSE NULL END")
    elif is_text(table.schema.field(col).type) and duck != "VARCHAR":
        expr = f"TRY_CAST(nullif(trim({ref}), '') AS {duck})"
    else:
        expr = f"TRY_CAST({ref} AS {duck})"   # values that do not convert become NULL
    return runner.project(table, {col: expr})


def _fill(table: pa.Table, p: Params, runner: Runner, value_sql: str) -> pa.Table:
    col = need_column(table, p.str("sourceColumn"))
    where = condition_sql(table, p.conditions)
    test = _missing(table, col) if not where else f"({_missing(table, col)} AND {where})"
    ctype = _column_type(table, col)
    expr = f"CASE WHEN {test} THEN CAST(({value_sql}) AS {ctype}) ELSE {quote(col)} END"
    return runner.project(table, {col: expr})


def _present(table: pa.Table, col: str) -> str:
    return f"SELECT {quote(col)} AS v FROM t WHERE NOT {_missing(table, col)}"


@conditioned
def fill_with_average(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    col = need_column(table, p.str("sourceColumn"))
    if not is_numeric(table.schema.field(col).type):
        raise ParameterError(f"FILL_WITH_AVERAGE needs a numeric column; {col} is not")
    avg = runner.sql(table, f"SELECT avg(v) FROM ({_present(table, col)})").column(0)[0].as_py()
    return _fill(table, p, runner, literal(avg))


@conditioned
def fill_with_median(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    col = need_column(table, p.str("sourceColumn"))
    if not is_numeric(table.schema.field(col).type):
        raise ParameterError(f"FILL_WITH_MEDIAN needs a numeric column; {col} is not")
    med = runner.sql(table, f"SELECT quantile_cont(v, 0.5) FROM ({_present(table, col)})").column(0)[0].as_py()
    return _fill(table, p, runner, literal(med))


@conditioned
def fill_with_most_frequent(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    col = need_column(table, p.str("sourceColumn"))
    top = runner.sql(table, f"SELECT v FROM ({_present(table, col)}) GROUP BY v ORDER BY count(*) DESC, v LIMIT 1")
    if not top.num_rows:
        return table
    return _fill(table, p, runner, literal(str(top.column(0)[0].as_py())))


@conditioned
def fill_with_custom(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    value = p.get("value")
    if value is None:
        raise ParameterError("the parameter value is required")
    duck = p.cast_type(required=False) or "VARCHAR"
    return _fill(table, p, runner, f"CAST({literal(str(value))} AS {duck})")


@conditioned
def fill_with_empty(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    col = need_column(table, p.str("sourceColumn"))
    if not is_text(table.schema.field(col).type):
        raise ParameterError(f"FILL_WITH_EMPTY fills text columns; {col} is {table.schema.field(col).type}")
    return _fill(table, p, runner, "''")


@conditioned
def fill_with_null(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    return _fill(table, p, runner, "NULL")


def remove_missing(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    col = need_column(table, p.str("sourceColumn"))
    return runner.sql(table, f"SELECT * FROM t WHERE NOT {_missing(table, col)}")


def remove_duplicates(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    """Keep the first row of each value of the source column(s) (every column when none is named)."""
    cols = _source_columns(table, p) if (p.get("sourceColumn") or p.get("sourceColumns")) else table.column_names
    keys = ", ".join(quote(c) for c in cols)
    ordered = with_order(table)
    out = runner.sql(ordered, f"SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY {keys} "
                              f"ORDER BY {quote(ORDER)}) = 1 ORDER BY {quote(ORDER)}")
    return without_order(out)


@conditioned
def replace_with_custom(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    cols = _source_columns(table, p)
    value = p.get("value")
    if value is None:
        raise ParameterError("the parameter value is required")
    kind = p.str("columnDataType", required=False)
    duck = CAST_TYPES.get((kind or "string").lower())
    if duck is None:
        raise ParameterError(f"columnDataType {kind!r} is not a DataBrew data type")
    replace = {}
    for col in cols:
        ref = quote(col)
        where = condition_sql(table, p.conditions)
        if where is None:   # no conditions: replace the values that are not valid for columnDataType
            where = f"(NOT {_missing(table, col)} AND TRY_CAST({ref} AS {duck}) IS NULL)"
        replace[col] = (f"CASE WHEN {where} THEN CAST({literal(str(value))} AS {_column_type(table, col)}) "
                        f"ELSE {ref} END")
    return runner.project(table, replace)


def _text_action(table: pa.Table, p: Params, runner: Runner, fn) -> pa.Table:
    col = need_column(table, p.str("sourceColumn"))
    if not is_text(table.schema.field(col).type):
        raise ParameterError(f"{col} is not a string column ({table.schema.field(col).type})")
    return runner.project(table, {col: fn(quote(col))}, where=condition_sql(table, p.conditions))


@conditioned
def replace_text(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    pattern, value = p.str("pattern"), p.get("value", "")
    return _text_action(table, p, runner, lambda ref: f"replace({ref}, {literal(pattern)}, {literal(str(value))})")


@conditioned
def upper_case(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    return _text_action(table, p, runner, lambda ref: f"upper({ref})")


@conditioned
def lower_case(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    return _text_action(table, p, runner, lambda ref: f"lower({ref})")


def split_column_single_delimiter(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    """<col> becomes <col>_1 .. <col>_(limit+1), split at the first ``limit`` delimiters."""
    col = need_column(table, p.str("sourceColumn"))
    pattern = p.str("pattern")
    limit = p.int("limit", 1, 20, default=1)
    keep = p.bool("includeInSplit", False)
    parts = _split(table.column(col).to_pylist(), pattern, limit, keep)
    position = table.column_names.index(col)
    out = table.remove_column(position)
    for i in range(limit + 1):
        name = f"{col}_{i + 1}"
        if name in out.column_names:
            raise ParameterError(f"a column named {name!r} already exists")
        out = out.add_column(position + i, name, pa.array([row[i] for row in parts], pa.string()))
    return out


def _split(values: list, pattern: str, limit: int, keep: bool) -> list[list]:
    out = []
    for v in values:
        if v is None:
            out.append([None] * (limit + 1))
            continue
        pieces = str(v).split(pattern, limit)
        if keep:   # the delimiter stays at the end of each piece it ended
            pieces = [piece + pattern for piece in pieces[:-1]] + pieces[-1:]
        out.append(pieces + [None] * (limit + 1 - len(pieces)))
    return out


def merge(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    cols = p.columns("sourceColumns")
    for c in cols:
        need_column(table, c)
    target = p.str("targetColumn")
    if target in table.column_names:
        raise ParameterError(f"a column named {target!r} already exists")
    delimiter = p.get("delimiter", "") or ""
    expr = f"concat_ws({literal(delimiter)}, {', '.join(f'CAST({quote(c)} AS VARCHAR)' for c in cols)})"
    return runner.project(table, {}, after={"": [(target, expr)]})


_DATE_TOKENS = [("yyyy", "%Y"), ("month", "%B"), ("mon", "%b"), ("yy", "%y"), ("mm", "%m"), ("dd", "%d"),
                ("HH", "%H"), ("MM", "%M"), ("SS", "%S"), ("ss", "%S")]


def strftime_pattern(fmt: str) -> str:
    """DataBrew's date format (yyyy-mm-dd HH:MM:SS: mm is the month, MM the minute) as strftime."""
    out, i = "", 0
    while i < len(fmt):
        for token, code in _DATE_TOKENS:
            if fmt.startswith(token, i):
                out += code
                i += len(token)
                break
        else:
            out += fmt[i].replace("%", "%%")
            i += 1
    return out


def date_format(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    target = p.str("targetColumn")
    if target in table.column_names:
        raise ParameterError(f"a column named {target!r} already exists")
    pattern = strftime_pattern(p.str("dateTimeFormat", required=False) or "yyyy-mm-dd HH:MM:SS")
    source = p.str("sourceColumn", required=False)
    if source:
        need_column(table, source)
        t = table.schema.field(source).type
        value = quote(source) if (pa.types.is_date(t) or pa.types.is_timestamp(t)) else \
            f"TRY_CAST({quote(source)} AS TIMESTAMP)"
        where = source
    else:
        value, where = f"TRY_CAST({literal(p.str('value'))} AS TIMESTAMP)", ""
    expr = f"strftime(CAST({value} AS TIMESTAMP), {literal(pattern)})"
    return runner.project(table, {}, after={where: [(target, expr)]})


OPERATIONS = {
    "RENAME": rename, "DELETE": delete, "CHANGE_DATA_TYPE": change_data_type,
    "FILL_WITH_AVERAGE": fill_with_average, "FILL_WITH_MEDIAN": fill_with_median,
    "FILL_WITH_MOST_FREQUENT": fill_with_most_frequent, "FILL_WITH_CUSTOM": fill_with_custom,
    "FILL_WITH_EMPTY": fill_with_empty, "FILL_WITH_NULL": fill_with_null,
    "REMOVE_MISSING": remove_missing, "REMOVE_DUPLICATES": remove_duplicates,
    "REPLACE_WITH_CUSTOM": replace_with_custom, "REPLACE_TEXT": replace_text,
    "UPPER_CASE": upper_case, "LOWER_CASE": lower_case,
    "SPLIT_COLUMN_SINGLE_DELIMITER": split_column_single_delimiter,
    "MERGE": merge, "DATE_FORMAT": date_format,
}
