"""steps: what every recipe action shares: parameters as DataBrew sends them (strings, JSON inside),
the step error that names the step and action, ConditionExpressions as SQL, and the Runner that
binds Arrow tables to a sandboxed DuckDB cursor."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .sandbox import literal, quote
from .types import CAST_TYPES, is_numeric, is_text

ORDER = "__labkit_row"   # the row order a step must keep (joins and de-duplication sort by it)


class RecipeStepError(Exception):
    def __init__(self, index: int, operation: str, reason: str):
        self.index, self.operation, self.reason = index, operation, reason
        super().__init__(f"Recipe step {index} ({operation}) failed: {reason}")

    @property
    def message(self) -> str:
        return str(self)


class ParameterError(Exception):
    """A bad or missing parameter (turned into a RecipeStepError by the runner)."""


@dataclass
class Params:
    raw: dict
    conditions: list = field(default_factory=list)

    def get(self, name: str, default=None):
        return self.raw.get(name, default)

    def str(self, name: str, required: bool = True) -> str | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise ParameterError(f"the parameter {name} is required")
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def json(self, name: str, required: bool = True):
        """A parameter whose string value is JSON (lists of columns, join keys...)."""
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise ParameterError(f"the parameter {name} is required")
            return None
        if not isinstance(value, str):   # already a list (a hand-built recipe)
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ParameterError(f"the parameter {name} must be JSON text, e.g. '[\"a\", \"b\"]'; got {value!r}") from None

    def columns(self, name: str, required: bool = True) -> list[str] | None:
        value = self.json(name, required)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ParameterError(f"the parameter {name} must be a JSON list of column names")
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise ParameterError(f"the parameter {name} must be true or false; got {value!r}")

    def int(self, name: str, low: int, high: int, default: int | None = None) -> int:
        value = self.raw.get(name)
        if value is None or value == "":
            if default is None:
                raise ParameterError(f"the parameter {name} is required")
            return default
        try:
            number = int(str(value))
        except ValueError:
            raise ParameterError(f"the parameter {name} must be a whole number; got {value!r}") from None
        if not low <= number <= high:
            raise ParameterError(f"the parameter {name} must be between {low} and {high}; got {number}")
        return number

    def cast_type(self, name: str = "columnDataType", required: bool = True) -> str | None:
        value = self.str(name, required)
        if value is None:
            return None
        duck = CAST_TYPES.get(value.lower())
        if duck is None:
            raise ParameterError(f"{name} {value!r} is not a DataBrew data type ({', '.join(sorted(CAST_TYPES))})")
        return duck


def need_column(table: pa.Table, name: str | None, what: str = "column") -> str:
    if name not in table.column_names:
        raise ParameterError(f"{what} {name!r} does not exist; the columns are: {', '.join(table.column_names)}")
    return name


@dataclass
class Runner:
    """What an action may use: a DuckDB cursor, the secondary-dataset resolver, the cancel check."""
    con: object
    resolve: Callable[[dict], pa.Table]
    check_cancel: Callable[[], None] = lambda: None

    def sql(self, table: pa.Table, query: str, **tables: pa.Table) -> pa.Table:
        """Run ``query`` on a fresh cursor where ``t`` is ``table`` (and each keyword a further table).
        Names are bound by registration, never by formatting, so values may hold any text."""
        self.check_cancel()
        cur = self.con.cursor()
        try:
            cur.register("t", table)
            for name, extra in tables.items():
                cur.register(name, extra)
            return cur.sql(query).to_arrow_table()
        finally:
            cur.close()

    def project(self, table: pa.Table, replace: dict[str, str], where: str | None = None,
                after: dict[str, list[tuple[str, str]]] | None = None) -> pa.Table:
        """SELECT every column, with ``replace`` {column: expression}; ``after`` {column: [(name, expr)]}
        inserts new columns after a column ("" = at the end)."""
        exprs = []
        after = after or {}
        for name in table.column_names:
            expr = replace.get(name)
            if expr is not None and where:
                expr = f"CASE WHEN {where} THEN {expr} ELSE {quote(name)} END"
            exprs.append(f"{expr} AS {quote(name)}" if expr is not None else quote(name))
            exprs += [f"{e} AS {quote(n)}" for n, e in after.get(name, [])]
        exprs += [f"{e} AS {quote(n)}" for n, e in after.get("", [])]
        return self.sql(table, f"SELECT {', '.join(exprs)} FROM t")


def with_order(table: pa.Table) -> pa.Table:
    return table.append_column(ORDER, pa.array(np.arange(table.num_rows, dtype=np.int64)))


def without_order(table: pa.Table) -> pa.Table:
    return table.drop_columns([ORDER]) if ORDER in table.column_names else table


# --- conditions --------------------------------------------------------------------------------

def _values(value) -> list:
    if value is None:
        return []
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return [value]
    return parsed if isinstance(parsed, list) else [parsed]


def _range(value) -> tuple:
    parsed = json.loads(value) if isinstance(value, str) else value
    if isinstance(parsed, dict):
        low = parsed.get("start", parsed.get("from", parsed.get("min")))
        high = parsed.get("end", parsed.get("to", parsed.get("max")))
        return low, high
    if isinstance(parsed, list) and len(parsed) == 2:
        return parsed[0], parsed[1]
    raise ParameterError(f"IS_BETWEEN needs a Value like '{{\"start\": 1, \"end\": 5}}'; got {value!r}")


def condition_sql(table: pa.Table, conditions: list[dict]) -> str | None:
    """The rows a step applies to (all conditions ANDed), as a DuckDB predicate."""
    parts = []
    for cond in conditions or []:
        name = cond.get("Condition", "")
        col = need_column(table, cond.get("TargetColumn"), "condition column")
        ref = quote(col)
        text = f"CAST({ref} AS VARCHAR)"
        num = f"TRY_CAST({ref} AS DOUBLE)"
        value = cond.get("Value")
        text_col = is_text(table.schema.field(col).type)
        missing = f"({ref} IS NULL" + (f" OR {ref} = ''" if text_col else "") + ")"
        if name in ("IS", "IS_NOT"):
            if is_numeric(table.schema.field(col).type):   # 0 and 0.0 are the same number
                values = ", ".join(f"TRY_CAST({literal(str(v))} AS DOUBLE)" for v in _values(value)) or "NULL"
                expr = f"coalesce({num} IN ({values}), FALSE)"
            else:
                values = ", ".join(literal(str(v)) for v in _values(value)) or "NULL"
                expr = f"coalesce({text} IN ({values}), FALSE)"
            parts.append(expr if name == "IS" else f"({ref} IS NULL OR NOT {expr})")
        elif name == "IS_MISSING":
            parts.append(missing)
        elif name in ("IS_NOT_MISSING", "IS_VALID"):
            parts.append(f"NOT {missing}")
        elif name in ("IS_BETWEEN", "IS_NOT_BETWEEN"):
            low, high = _range(value)
            expr = f"{num} BETWEEN {float(low)} AND {float(high)}"
            parts.append(expr if name == "IS_BETWEEN" else f"NOT coalesce({expr}, FALSE)")
        elif name in ("GREATER_THAN", "GREATER_THAN_EQUAL", "LESS_THAN", "LESS_THAN_EQUAL", "EQUALS"):
            op = {"GREATER_THAN": ">", "GREATER_THAN_EQUAL": ">=", "LESS_THAN": "<", "LESS_THAN_EQUAL": "<=",
                  "EQUALS": "="}[name]
            try:
                bound = float(_values(value)[0])
            except (IndexError, TypeError, ValueError):
                raise ParameterError(f"condition {name} needs a numeric Value; got {value!r}") from None
            parts.append(f"{num} {op} {bound}")
        elif name in ("CONTAINS", "DOES_NOT_CONTAIN", "STARTS_WITH", "ENDS_WITH"):
            needle = literal(str(_values(value)[0]) if _values(value) else "")
            fn = {"CONTAINS": "contains", "DOES_NOT_CONTAIN": "contains", "STARTS_WITH": "starts_with",
                  "ENDS_WITH": "ends_with"}[name]
            expr = f"coalesce({fn}({text}, {needle}), FALSE)"
            parts.append(f"NOT {expr}" if name == "DOES_NOT_CONTAIN" else expr)
        elif name == "MATCHES":
            parts.append(f"coalesce(regexp_full_match({text}, {literal(str(_values(value)[0]))}), FALSE)")
        elif name == "IS_INVALID":
            kind = _values(value)[0] if _values(value) else "number"
            if isinstance(kind, dict):
                kind = kind.get("columnDataType", "number")
            duck = CAST_TYPES.get(str(kind).lower())
            if duck is None:
                raise ParameterError(f"IS_INVALID needs a data type as Value; got {value!r}")
            parts.append(f"(NOT {missing} AND TRY_CAST({ref} AS {duck}) IS NULL)")
        else:
            raise ParameterError(f"the condition {name!r} is not emulated locally (IS, IS_NOT, IS_MISSING, "
                                 "IS_NOT_MISSING, IS_BETWEEN, IS_NOT_BETWEEN, GREATER_THAN[_EQUAL], "
                                 "LESS_THAN[_EQUAL], CONTAINS, DOES_NOT_CONTAIN, STARTS_WITH, ENDS_WITH, MATCHES, "
                                 "IS_INVALID are)")
    return " AND ".join(f"({p})" for p in parts) or None



def conditioned(fn):
    """Mark an action that honours ConditionExpressions (it reads ``params.conditions``)."""
    fn.takes_conditions = True
    return fn
