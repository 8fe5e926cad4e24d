"""Trino functions DuckDB lacks or types differently: DuckDB macros plus AST rewrites before transpiling."""
from __future__ import annotations

from sqlglot import exp

from .errors import error, node_position

# Created once per engine database; each mirrors the Trino function of the same name.
MACROS = [
    # map_agg(k, v): sqlglot passes it through, DuckDB has no such aggregate.
    "map_agg(k, v) AS map_from_entries(list(struct_pack(k := k, v := v)) FILTER (WHERE k IS NOT NULL))",
    "url_extract_protocol(u) AS nullif(regexp_extract(u, '^([A-Za-z][A-Za-z0-9+.-]*):', 1), '')",
    "url_extract_host(u) AS nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^/:?#]*)', 1), '')",
    "url_extract_port(u) AS TRY_CAST(nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*:([0-9]+)', 1), '') AS BIGINT)",
    "url_extract_path(u) AS regexp_extract(u, '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1)",
    "url_extract_query(u) AS CASE WHEN strpos(u, '?') > 0 THEN regexp_extract(u, '\\?([^#]*)', 1) END",
    "url_extract_fragment(u) AS CASE WHEN strpos(u, '#') > 0 THEN regexp_extract(u, '#(.*)$', 1) END",
    "url_extract_parameter(u, p) AS url_decode(nullif(regexp_extract(u, '[?&]' || p || '=([^&#]*)', 1), ''))",
    "to_iso8601(x) AS replace(strftime(x, CASE WHEN typeof(x) = 'DATE' THEN '%Y-%m-%d' "
    "ELSE '%Y-%m-%dT%H:%M:%S.%g' END), '.000000', '')",
    "codepoint(c) AS unicode(c)",
    "hamming_distance(a, b) AS hamming(a, b)",
    "json_size(j, p) AS CASE json_type(j, p) WHEN 'ARRAY' THEN json_array_length(j, p) "
    "WHEN 'OBJECT' THEN len(json_keys(j, p)) ELSE 0 END",
    "array_position(a, x) AS coalesce(list_position(a, x), 0)",
    "array_remove(a, x) AS list_filter(a, lambda e: e IS DISTINCT FROM x)",
    "array_max(a) AS list_max(a)",
    "array_min(a) AS list_min(a)",
    "regexp_split(s, p) AS regexp_split_to_array(s, p)",
    "is_nan(x) AS isnan(x)",
    "nan() AS CAST('NaN' AS DOUBLE)",
    "infinity() AS CAST('Infinity' AS DOUBLE)",
    "to_milliseconds(i) AS epoch_ms(TIMESTAMP '1970-01-01' + i)",
]

# Joda-Time pattern letters (format_datetime / parse_datetime) -> strftime.
_JODA = {"yyyy": "%Y", "yy": "%y", "y": "%Y", "YYYY": "%G", "xxxx": "%G", "MMMM": "%B", "MMM": "%b", "MM": "%m",
         "M": "%-m", "dd": "%d", "d": "%-d", "DDD": "%j", "D": "%-j", "HH": "%H", "H": "%-H", "hh": "%I",
         "h": "%-I", "mm": "%M", "m": "%-M", "ss": "%S", "s": "%-S", "SSS": "%g", "SSSSSS": "%f", "S": "%g",
         "a": "%p", "EEEE": "%A", "EEE": "%a", "E": "%a", "ZZ": "%z", "Z": "%z", "z": "%Z", "zzzz": "%Z",
         "ww": "%V", "w": "%V", "e": "%u", "G": "AD"}


def joda_to_strftime(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            j = pattern.find("'", i + 1)
            j = len(pattern) if j < 0 else j
            out.append(pattern[i + 1:j].replace("%", "%%") or "'")
            i = j + 1
            continue
        j = i
        while j < len(pattern) and pattern[j] == ch:
            j += 1
        run = pattern[i:j]
        if ch.isalpha():
            out.append(_JODA.get(run) or _JODA.get(run[:4]) or _JODA.get(ch) or run)
        else:
            out.append(run.replace("%", "%%"))
        i = j
    return "".join(out)


_BIG_UNITS = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")


def _unit(node: exp.Expression | None) -> str:
    if node is None:
        return ""
    return (node.name if isinstance(node, (exp.Var, exp.Literal)) else node.sql()).upper().rstrip("S")


def _is_date(node: exp.Expression, date_columns: set[str]) -> bool:
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return node.to.this == exp.DataType.Type.DATE
    if isinstance(node, exp.CurrentDate):
        return True
    if isinstance(node, exp.Column):
        return node.name.lower() in date_columns
    if isinstance(node, (exp.DateAdd, exp.DateSub)):
        return _unit(node.args.get("unit")) in _BIG_UNITS and _is_date(node.this, date_columns)
    if isinstance(node, exp.Paren):
        return _is_date(node.this, date_columns)
    if isinstance(node, (exp.Anonymous,)):
        return node.name.lower() in ("date", "from_iso8601_date", "last_day_of_month")
    return isinstance(node, (exp.TsOrDsToDate, exp.StrToDate, exp.DateFromParts, exp.LastDay))


def rewrite(tree: exp.Expression, sql: str, date_columns: set[str]) -> exp.Expression:
    """Rewrite Trino calls whose DuckDB spelling sqlglot gets wrong, before transpiling."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and not node.is_string and "." in node.this and "e" not in node.this.lower() \
                and not (isinstance(node.parent, exp.AggFunc) and node.arg_key != "this"):
            # Athena parses decimal literals as double (1.5 is a double, 0.1 + 0.2 = 0.30000000000000004);
            # constant parameters of aggregates (approx_percentile's 0.5) keep the type DuckDB expects.
            return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
        if isinstance(node, (exp.Cast, exp.TryCast)) and node.to.this == exp.DataType.Type.DECIMAL \
                and not node.to.expressions:
            # Trino: DECIMAL '1.25' is decimal(3,2), CAST(x AS DECIMAL) is decimal(38,0); DuckDB's default is (18,3)
            precision, scale = _decimal_literal_type(node.this) or (38, 0)
            node.set("to", exp.DataType.build(f"DECIMAL({precision}, {scale})"))
            return node
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            args = node.expressions
            if name in ("format_datetime", "parse_datetime") and len(args) == 2:
                if not isinstance(args[1], exp.Literal):
                    raise error("NOT_SUPPORTED", f"{name} needs a constant pattern in the local engine",
                                node_position(sql, node))
                fmt = exp.Literal.string(joda_to_strftime(args[1].name))
                fn = "strftime" if name == "format_datetime" else "strptime"
                return exp.Anonymous(this=fn, expressions=[args[0].copy(), fmt])
            if name == "from_iso8601_timestamp" and len(args) == 1:
                return exp.Cast(this=args[0].copy(), to=exp.DataType.build("TIMESTAMPTZ"))
            if name == "date" and len(args) == 1:
                return exp.Cast(this=args[0].copy(), to=exp.DataType.build("DATE"))
        if isinstance(node, exp.Format):
            return exp.Anonymous(this="printf", expressions=[node.this.copy()] + [e.copy() for e in node.expressions])
        if isinstance(node, (exp.DateAdd, exp.DateSub)) and _unit(node.args.get("unit")) in _BIG_UNITS \
                and _is_date(node.this, date_columns):
            return exp.Cast(this=node.copy(), to=exp.DataType.build("DATE"))
        if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)) and _is_date(node.this, date_columns) \
                and _unit(node.args.get("unit")) in _BIG_UNITS:
            return exp.Cast(this=node.copy(), to=exp.DataType.build("DATE"))
        if isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Interval) \
                and _unit(node.expression.args.get("unit")) in _BIG_UNITS and _is_date(node.this, date_columns):
            return exp.Cast(this=node.copy(), to=exp.DataType.build("DATE"))
        return node

    return tree.transform(fix, copy=False)


def _decimal_literal_type(node: exp.Expression) -> tuple[int, int] | None:
    if not (isinstance(node, exp.Literal) and node.is_string):
        return None
    text = node.this.strip().lstrip("+-")
    whole, _, frac = text.partition(".")
    if not (whole + frac).isdigit():
        return None
    digits = len(whole.lstrip("0")) + len(frac)
    return max(1, digits, len(frac)), len(frac)


def macro_statements() -> list[str]:
    return [f"CREATE OR REPLACE MACRO {m}" for m in MACROS]
