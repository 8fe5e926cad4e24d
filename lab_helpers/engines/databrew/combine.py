"""combine: recipe actions that bring in other datasets (JOIN, UNION) or summarize (GROUP_BY).

A secondary dataset is found the way the step names it: ``secondaryDatasetName`` (a DataBrew
dataset of this account), else ``secondInput`` (an Input structure as JSON text), else
``secondInputLocation`` (an S3 URL). Output rows keep the current data's order (then the
secondary's), as a DataBrew preview shows them.
"""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

from .sandbox import quote
from .steps import (
    ORDER,
    ParameterError,
    Params,
    Runner,
    need_column,
    with_order,
    without_order,
)
from .types import CAST_TYPES, is_numeric, is_text

JOIN_TYPES = {
    "INNER_JOIN": "INNER", "LEFT_JOIN": "LEFT", "RIGHT_JOIN": "RIGHT", "OUTER_JOIN": "FULL",
    "LEFT_EXCLUDING_JOIN": "LEFT", "RIGHT_EXCLUDING_JOIN": "RIGHT", "OUTER_EXCLUDING_JOIN": "FULL",
}
RIGHT_ORDER = "__labkit_right_row"


def secondary(p: Params, runner: Runner, name_key: str = "secondaryDatasetName", input_key: str = "secondInput",
              location_key: str = "secondInputLocation") -> pa.Table:
    spec = {}
    if p.get(name_key):
        spec["DatasetName"] = p.get(name_key)
    if p.get(input_key):
        value = p.get(input_key)
        try:
            spec["Input"] = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            raise ParameterError(f"{input_key} must be an Input structure as JSON text") from None
    if p.get(location_key):
        spec["Location"] = p.get(location_key)
    if not spec:
        raise ParameterError(f"name the second dataset with {name_key}, {input_key} or {location_key}")
    return runner.resolve(spec)


def _key_expr(side: str, col: str, other: pa.DataType, mine: pa.DataType) -> str:
    ref = f"{side}.{quote(col)}"
    # DataBrew compares a number with text by its text (e.g. a CSV id column against a Parquet int)
    if is_text(mine) != is_text(other) and (is_numeric(mine) or is_numeric(other)):
        return f"CAST({ref} AS VARCHAR)"
    return ref


def join(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    kind = p.str("joinType")
    if kind not in JOIN_TYPES:
        raise ParameterError(f"joinType {kind!r} is not one of {', '.join(JOIN_TYPES)}")
    keys = p.json("joinKeys")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) and "key" in k and "value" in k
                                                        for k in keys):
        raise ParameterError('joinKeys must be JSON like [{"key": "left_column", "value": "right_column"}]')
    right = secondary(p, runner)
    for k in keys:
        need_column(table, k["key"], "join key")
        need_column(right, k["value"], "join key of the second dataset")
    left_cols = p.columns("leftColumns", required=False) or table.column_names
    right_cols = p.columns("rightColumns", required=False) or right.column_names
    for c in left_cols:
        need_column(table, c, "left column")
    for c in right_cols:
        need_column(right, c, "right column")
    on = " AND ".join(
        f"{_key_expr('l', k['key'], right.schema.field(k['value']).type, table.schema.field(k['key']).type)} = "
        f"{_key_expr('r', k['value'], table.schema.field(k['key']).type, right.schema.field(k['value']).type)}"
        for k in keys)
    taken = set(left_cols)
    select, right_names = [f"l.{quote(c)} AS {quote(c)}" for c in left_cols], []
    for c in right_cols:
        name, n = c, 1
        while name in taken:   # a name both sides keep: the second dataset's copy gets a suffix
            name, n = f"{c}_{n}", n + 1
        taken.add(name)
        right_names.append(name)
        select.append(f"r.{quote(c)} AS {quote(name)}")
    fast = _lookup_join(table, right, keys, kind, left_cols, right_cols, right_names)
    if fast is not None:
        return fast
    where = ""
    if kind == "LEFT_EXCLUDING_JOIN":
        where = f"WHERE r.{quote(RIGHT_ORDER)} IS NULL"
    elif kind == "RIGHT_EXCLUDING_JOIN":
        where = f"WHERE l.{quote(ORDER)} IS NULL"
    elif kind == "OUTER_EXCLUDING_JOIN":
        where = f"WHERE l.{quote(ORDER)} IS NULL OR r.{quote(RIGHT_ORDER)} IS NULL"
    left_t = with_order(table)
    right_t = right.append_column(RIGHT_ORDER, with_order(right).column(ORDER))
    out = runner.sql(left_t, f"SELECT {', '.join(select)} FROM t AS l {JOIN_TYPES[kind]} JOIN r ON {on} {where} "
                             f"ORDER BY l.{quote(ORDER)} NULLS LAST, r.{quote(RIGHT_ORDER)} NULLS LAST", r=right_t)
    return out


def _comparable(left: pa.ChunkedArray, right: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray] | None:
    """Both key columns in one type (as the SQL join compares them), or None when unsure."""
    lt, rt = left.type, right.type
    if lt == rt:
        return left, right
    if is_text(lt) != is_text(rt) and (is_numeric(lt) or is_numeric(rt)):
        return left.cast(pa.string()), right.cast(pa.string())
    if pa.types.is_integer(lt) and pa.types.is_integer(rt):
        return left.cast(pa.int64()), right.cast(pa.int64())
    if is_numeric(lt) and is_numeric(rt) and not (pa.types.is_decimal(lt) or pa.types.is_decimal(rt)):
        return left.cast(pa.float64()), right.cast(pa.float64())
    return None


def _lookup_join(table: pa.Table, right: pa.Table, keys: list[dict], kind: str, left_cols: list[str],
                 right_cols: list[str], right_names: list[str]) -> pa.Table | None:
    """A join on one key whose values are unique in the second dataset (a lookup table: department,
    semester...) as an index lookup: the current rows keep their order without a sort. None when
    the join is not of that kind (the SQL join handles it)."""
    if len(keys) != 1 or kind not in ("INNER_JOIN", "LEFT_JOIN", "LEFT_EXCLUDING_JOIN"):
        return None
    pair = _comparable(table.column(keys[0]["key"]), right.column(keys[0]["value"]))
    if pair is None:
        return None
    left_key, right_key = pair
    present = right_key.drop_null()
    if pc.count_distinct(present).as_py() != len(present):
        return None
    index = pc.index_in(left_key, value_set=present.combine_chunks())
    if right_key.null_count:   # positions in the null-free keys -> rows of the second dataset
        rows = pc.indices_nonzero(right_key.is_valid())
        index = pc.take(rows, index)
    matched = index.is_valid()
    every = pc.all(matched).as_py() is not False   # a lookup table usually matches every row
    if kind == "INNER_JOIN":
        left_part, take = (table, index) if every else (table.filter(matched), index.filter(matched))
    elif kind == "LEFT_JOIN":
        left_part, take = table, index
    else:
        left_part = table.filter(pc.invert(matched))
        take = pa.nulls(left_part.num_rows, pa.int64())
    picked = right.select(right_cols).take(take)
    columns = [left_part.column(c) for c in left_cols] + [picked.column(i) for i in range(len(right_cols))]
    return pa.Table.from_arrays(columns, names=list(left_cols) + right_names)


def union(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    columns = p.json("datasetsColumns")
    targets = p.columns("targetColumnNames")
    names = p.json("secondaryDatasetNames", required=False) or []
    inputs = p.json("secondaryInputs", required=False) or []
    if not isinstance(columns, list) or not all(isinstance(c, list) for c in columns):
        raise ParameterError("datasetsColumns must be a JSON list of column lists, one per dataset")
    count = max(len(names), len(inputs))
    if len(columns) != count + 1:
        raise ParameterError(f"datasetsColumns has {len(columns)} lists; expected {count + 1} (this dataset and "
                             f"{count} secondary)")
    frames = [table]
    for i in range(count):
        spec = {}
        if i < len(names) and names[i]:
            spec["DatasetName"] = names[i]
        if i < len(inputs) and inputs[i]:
            spec["Input"] = inputs[i]
        frames.append(runner.resolve(spec))
    selects, extra = [], {}
    for i, (frame, cols) in enumerate(zip(frames, columns)):
        if len(cols) != len(targets):
            raise ParameterError(f"datasetsColumns[{i}] has {len(cols)} entries; targetColumnNames has {len(targets)}")
        alias = "t" if i == 0 else f"s{i}"
        if i:
            extra[alias] = frame
        parts = []
        for col, target in zip(cols, targets):
            if col is None:
                parts.append(f"NULL AS {quote(target)}")
            else:
                need_column(frame, col, f"column of dataset {i + 1}")
                parts.append(f"{quote(col)} AS {quote(target)}")
        selects.append(f"SELECT {', '.join(parts)} FROM {alias}")
    return runner.sql(table, " UNION ALL ".join(selects), **extra)


_AGGREGATES = {
    "COUNT": "count({c})", "COUNT_DISTINCT": "count(DISTINCT {c})", "SUM": "sum({c})", "MEAN": "avg({c})",
    "AVERAGE": "avg({c})", "AVG": "avg({c})", "MEDIAN": "quantile_cont({c}, 0.5)", "MIN": "min({c})",
    "MAX": "max({c})", "MODE": "mode({c})", "STANDARD_DEVIATION": "stddev_samp({c})",
    "VARIANCE": "var_samp({c})", "UNAGGREGATED": "list({c})",
}


def group_by(table: pa.Table, p: Params, runner: Runner) -> pa.Table:
    keys = p.columns("sourceColumns")
    for c in keys:
        need_column(table, c, "group column")
    options = p.json("groupByAggFunctionOptions", required=False)
    if options is None:
        options = p.json("groupByAggFunctions")
    if not isinstance(options, list) or not options:
        raise ParameterError("groupByAggFunctionOptions must be a JSON list of "
                             '{"sourceColumnName", "targetColumnName", "functionName"}')
    aggs = []
    for opt in options:
        fn = str(opt.get("functionName", "")).upper()
        if fn not in _AGGREGATES:
            raise ParameterError(f"functionName {fn!r} is not one of {', '.join(_AGGREGATES)}")
        src = need_column(table, opt.get("sourceColumnName"), "aggregated column")
        target = opt.get("targetColumnName") or f"{src}_{fn.lower()}"
        expr = _AGGREGATES[fn].format(c=quote(src))
        kind = str(opt.get("targetColumnDataType", "")).lower()
        if kind in CAST_TYPES and kind != "number" and fn != "UNAGGREGATED":
            expr = f"TRY_CAST({expr} AS {CAST_TYPES[kind]})"
        aggs.append((target, expr))
    group = ", ".join(quote(c) for c in keys)
    if p.bool("useNewDataFrame", True):
        select = [quote(c) for c in keys] + [f"{e} AS {quote(n)}" for n, e in aggs]
        return runner.sql(with_order(table), f"SELECT {', '.join(select)} FROM t GROUP BY {group} "
                                              f"ORDER BY min({quote(ORDER)})")
    # false: every row keeps its columns and gains the aggregates of its group
    for name, _ in aggs:
        if name in table.column_names:
            raise ParameterError(f"a column named {name!r} already exists")
    window = [f"{e} OVER (PARTITION BY {group}) AS {quote(n)}" for n, e in aggs]
    out = runner.sql(with_order(table), f"SELECT *, {', '.join(window)} FROM t ORDER BY {quote(ORDER)}")
    return without_order(out)


OPERATIONS = {"JOIN": join, "UNION": union, "GROUP_BY": group_by}
