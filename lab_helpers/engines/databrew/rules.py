"""rules: a DataBrew ruleset evaluated on a profile job's sample (the data quality validation report).

A rule's CheckExpression is either an aggregate check (``AGG(MISSING_VALUES_PERCENTAGE) < :val1``,
``AGG(DUPLICATE_ROWS_COUNT) == :val1``), which must hold for each selected column (or the
dataset), or a row check (``:col1 > :val1``, ``:col1 starts_with :val1``, ``:col1 in :list1``,
``:col1 is_between :val1 and :val2``, joined by ``and`` / ``or``), which must hold on at least the
Threshold of rows (default: 100 %). ``SubstitutionMap`` fills in ``:names``; a column is written
`` `name` ``. With ColumnSelectors, ``:col`` stands for each selected column in turn.
"""
from __future__ import annotations

import json
import re

import pyarrow as pa

from .sandbox import literal, quote
from .types import is_text

_COLUMN_AGGREGATES = {
    "MISSING_VALUES_COUNT": "count(*) FILTER ({missing})",
    "MISSING_VALUES_PERCENTAGE": "100.0 * count(*) FILTER ({missing}) / nullif(count(*), 0)",
    "VALUES_COUNT": "count(*) FILTER (NOT {missing})",
    "DISTINCT_VALUES_COUNT": "count(DISTINCT {c})",
    "DISTINCT_VALUES_PERCENTAGE": "100.0 * count(DISTINCT {c}) / nullif(count({c}), 0)",
    "UNIQUE_VALUES_COUNT": "(SELECT count(*) FROM (SELECT {c} FROM t WHERE {c} IS NOT NULL GROUP BY 1 "
                           "HAVING count(*) = 1))",
    "UNIQUE_VALUES_PERCENTAGE": "100.0 * (SELECT count(*) FROM (SELECT {c} FROM t WHERE {c} IS NOT NULL GROUP BY 1 "
                                "HAVING count(*) = 1)) / nullif(count({c}), 0)",
    "MIN": "min({c})", "MAX": "max({c})", "MEAN": "avg({c})", "AVERAGE": "avg({c})", "SUM": "sum({c})",
    "MEDIAN": "quantile_cont({c}, 0.5)", "STANDARD_DEVIATION": "stddev_samp({c})",
}
_DATASET_AGGREGATES = {
    "ROWS_COUNT": "(SELECT count(*) FROM t)",
    "COLUMNS_COUNT": "{columns}",
    "DUPLICATE_ROWS_COUNT": "((SELECT count(*) FROM t) - (SELECT count(*) FROM (SELECT DISTINCT * FROM t)))",
    "DUPLICATE_ROWS_PERCENTAGE": "(100.0 * ((SELECT count(*) FROM t) - (SELECT count(*) FROM (SELECT DISTINCT * "
                                 "FROM t))) / nullif((SELECT count(*) FROM t), 0))",
}
_OPERAND = r"(\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'|[\w.\-]+)"


class RuleError(Exception):
    pass


def _substitute(expression: str, mapping: dict, column: str | None) -> str:
    def repl(m):
        key = m.group(0)
        if key in mapping:
            return _value_sql(mapping[key])
        if column is not None and key in (":col", ":column"):
            return quote(column)
        raise RuleError(f"{key} is not in the SubstitutionMap")
    text = re.sub(r":[A-Za-z_]\w*", repl, expression)
    return re.sub(r"`([^`]+)`", lambda m: quote(m.group(1)), text)


def _value_sql(value: str) -> str:
    text = str(value).strip()
    if text.startswith("`") and text.endswith("`"):
        return quote(text[1:-1])
    if text.startswith("["):
        try:
            items = json.loads(text)
            return "(" + ", ".join(literal(i) for i in items) + ")"
        except ValueError:
            pass
    try:
        float(text)
        return text
    except ValueError:
        return literal(text.strip('"'))


def _sql(expression: str) -> str:
    """DataBrew's check syntax -> DuckDB (==, !=, infix string functions, is_between)."""
    text = expression.replace("==", "=").replace("!=", "<>")
    text = re.sub(rf"{_OPERAND}\s+is_between\s+{_OPERAND}\s+and\s+{_OPERAND}", r"\1 BETWEEN \2 AND \3", text,
                  flags=re.IGNORECASE)
    text = re.sub(rf"{_OPERAND}\s+is_not_between\s+{_OPERAND}\s+and\s+{_OPERAND}", r"\1 NOT BETWEEN \2 AND \3",
                  text, flags=re.IGNORECASE)
    for word, fn in (("starts_with", "starts_with"), ("ends_with", "ends_with"), ("contains", "contains"),
                     ("matches", "regexp_full_match")):
        text = re.sub(rf"{_OPERAND}\s+{word}\s+{_OPERAND}", rf"{fn}(CAST(\1 AS VARCHAR), \2)", text, flags=re.IGNORECASE)
    return text


def _aggregates(expression: str, table: pa.Table, column: str | None) -> str:
    def repl(m):
        name = m.group(1).upper()
        if name in _DATASET_AGGREGATES:
            return _DATASET_AGGREGATES[name].format(columns=table.num_columns)
        if name not in _COLUMN_AGGREGATES:
            raise RuleError(f"AGG({name}) is not emulated locally")
        if column is None:
            raise RuleError(f"AGG({name}) needs ColumnSelectors naming the columns to check")
        ref = quote(column)
        missing = f"{ref} IS NULL OR {ref} = ''" if is_text(table.schema.field(column).type) else f"{ref} IS NULL"
        return "(" + _COLUMN_AGGREGATES[name].format(c=ref, missing=missing) + ")"
    return re.sub(r"AGG\(\s*([A-Za-z_]+)\s*\)", repl, expression)


def _selected_columns(table: pa.Table, selectors: list[dict] | None) -> list[str | None]:
    if not selectors:
        return [None]
    out = []
    for name in table.column_names:
        if any(s.get("Name") == name or (s.get("Regex") and re.fullmatch(s["Regex"], name)) for s in selectors):
            out.append(name)
    if not out:
        raise RuleError("no column matches the rule's ColumnSelectors")
    return out


def _threshold_holds(passed: int, total: int, threshold: dict | None) -> bool:
    threshold = threshold or {"Value": 100.0, "Type": "GREATER_THAN_OR_EQUAL", "Unit": "PERCENTAGE"}
    unit = threshold.get("Unit", "PERCENTAGE")
    measured = passed if unit == "COUNT" else (100.0 * passed / total if total else 100.0)
    bound = float(threshold.get("Value", 100.0))
    return {"GREATER_THAN_OR_EQUAL": measured >= bound, "GREATER_THAN": measured > bound,
            "LESS_THAN_OR_EQUAL": measured <= bound, "LESS_THAN": measured < bound}.get(
        threshold.get("Type", "GREATER_THAN_OR_EQUAL"), measured >= bound)


def evaluate_rule(cur, table: pa.Table, rule: dict) -> dict:
    result = {"name": rule.get("Name"), "checkExpression": rule.get("CheckExpression"), "columnResults": []}
    if rule.get("Disabled"):
        result["status"] = "SKIPPED"
        return result
    try:
        expression = rule.get("CheckExpression") or ""
        for column in _selected_columns(table, rule.get("ColumnSelectors")):
            text = _sql(_substitute(expression, rule.get("SubstitutionMap") or {}, column))
            item = {"columnName": column} if column else {}
            if "AGG(" in text.upper():
                ok = cur.execute(f"SELECT coalesce(({_aggregates(text, table, column)}), FALSE) FROM t").fetchone()[0]
                item.update({"status": "SUCCEEDED" if ok else "FAILED"})
            else:
                passed, total = cur.execute(f"SELECT count(*) FILTER (coalesce(({text}), FALSE)), count(*) FROM t"
                                            ).fetchone()
                ok = _threshold_holds(passed, total, rule.get("Threshold"))
                item.update({"status": "SUCCEEDED" if ok else "FAILED", "passedCount": passed,
                             "failedCount": total - passed})
            result["columnResults"].append(item)
        result["status"] = "SUCCEEDED" if all(c["status"] == "SUCCEEDED" for c in result["columnResults"]) else "FAILED"
    except Exception as err:  # noqa: BLE001 - one bad rule is reported, the others still run
        result["status"] = "ERROR"
        result["failureReason"] = str(err).split("\n")[0]
    return result


def validate(table: pa.Table, con, ruleset: dict) -> dict:
    cur = con.cursor()
    try:
        cur.register("t", table)
        results = [evaluate_rule(cur, table, rule) for rule in ruleset.get("Rules") or []]
    finally:
        cur.close()
    return {"rulesetName": ruleset.get("Name"), "rulesetArn": ruleset.get("ResourceArn", ""),
            "status": "SUCCEEDED" if all(r["status"] in ("SUCCEEDED", "SKIPPED") for r in results) else "FAILED",
            "ruleResults": results}
