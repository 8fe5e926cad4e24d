"""Athena type names: Hive/Glue column types <-> DuckDB types, result ColumnInfo types, and value text."""
from __future__ import annotations

import datetime as _dt
import decimal
import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Hive primitive type -> DuckDB type. Athena reads Glue column types with Hive names.
_PRIMITIVE = {
    "string": "VARCHAR", "varchar": "VARCHAR", "char": "VARCHAR",
    "tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INTEGER", "integer": "INTEGER",
    "bigint": "BIGINT", "float": "FLOAT", "real": "FLOAT", "double": "DOUBLE",
    "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP", "binary": "BLOB",
    "decimal": "DECIMAL", "json": "VARCHAR",
}
STRING_TYPES = ("string", "varchar", "char", "json")


@dataclass
class HType:
    """A parsed Hive type: ``name`` plus numeric ``params`` or ``fields`` (name or None, type)."""
    name: str
    params: list[int] = field(default_factory=list)
    fields: list[tuple[str | None, "HType"]] = field(default_factory=list)

    def hive(self) -> str:
        """Glue's spelling: lower case, no spaces (``struct<a:int,b:array<string>>``)."""
        if self.name == "array":
            return f"array<{self.fields[0][1].hive()}>"
        if self.name == "map":
            return f"map<{self.fields[0][1].hive()},{self.fields[1][1].hive()}>"
        if self.name == "struct":
            return "struct<" + ",".join(f"{n}:{t.hive()}" for n, t in self.fields) + ">"
        if self.params:
            return f"{self.name}({','.join(map(str, self.params))})"
        return self.name

    def duckdb(self) -> str:
        if self.name == "array":
            return f"{self.fields[0][1].duckdb()}[]"
        if self.name == "map":
            return f"MAP({self.fields[0][1].duckdb()}, {self.fields[1][1].duckdb()})"
        if self.name == "struct":
            return "STRUCT(" + ", ".join(f'"{n}" {t.duckdb()}' for n, t in self.fields) + ")"
        if self.name == "decimal":
            p, s = (self.params + [10, 0])[:2] if len(self.params) != 1 else (self.params[0], 0)
            return f"DECIMAL({min(p, 38)},{s})"
        if self.name not in _PRIMITIVE:
            raise ValueError(f"Unknown type: {self.hive()}")
        return _PRIMITIVE[self.name]

    @property
    def is_string(self) -> bool:
        return self.name in STRING_TYPES

    @property
    def is_complex(self) -> bool:
        return self.name in ("array", "map", "struct")


def parse_hive(text: str) -> HType:
    """``array<struct<a:int,b:string>>``, ``decimal(10,2)``, ``varchar(20)`` -> HType."""
    t, rest = _parse(text.strip().lower().replace("`", ""), 0)
    if text.strip()[rest:].strip():
        raise ValueError(f"Unknown type: {text}")
    return t


def _parse(s: str, i: int) -> tuple[HType, int]:
    j = i
    while j < len(s) and (s[j].isalnum() or s[j] == "_"):
        j += 1
    name = s[i:j]
    if not name:
        raise ValueError(f"Unknown type: {s}")
    name = {"integer": "int", "real": "float"}.get(name, name)
    j = _ws(s, j)
    if j < len(s) and s[j] == "(":
        k = s.index(")", j)
        params = [int(x) for x in s[j + 1:k].split(",") if x.strip()]
        return HType(name, params), k + 1
    if name in ("array", "map", "struct") and j < len(s) and s[j] == "<":
        fields: list[tuple[str | None, HType]] = []
        j += 1
        while True:
            j = _ws(s, j)
            fname = None
            if name == "struct":
                k = j
                while s[k] not in ":<> ,":
                    k += 1
                fname = s[j:k]
                j = _ws(s, k)
                if s[j] == ":":
                    j += 1
                j = _ws(s, j)
            ft, j = _parse(s, j)
            fields.append((fname, ft))
            j = _ws(s, j)
            if s[j] == ",":
                j += 1
                continue
            if s[j] == ">":
                return HType(name, [], fields), j + 1
            raise ValueError(f"Unknown type: {s}")
    if name not in _PRIMITIVE:
        raise ValueError(f"Unknown type: {s}")
    return HType(name), j


def _ws(s: str, j: int) -> int:
    while j < len(s) and s[j] == " ":
        j += 1
    return j


def hive_to_duckdb(text: str) -> str:
    return parse_hive(text).duckdb()


def canonical_hive(text: str) -> str:
    """The type text Athena writes to Glue for a DDL column type (``INT`` -> ``int``)."""
    return parse_hive(text).hive()


# --- DuckDB result types -> Athena / Trino / Hive names ------------------------------------------

_ATHENA = {
    "varchar": "varchar", "bigint": "bigint", "integer": "integer", "smallint": "smallint",
    "tinyint": "tinyint", "double": "double", "float": "real", "boolean": "boolean",
    "date": "date", "timestamp": "timestamp", "timestamp_ms": "timestamp", "timestamp_ns": "timestamp",
    "timestamp_s": "timestamp", "timestamp with time zone": "timestamp with time zone",
    "decimal": "decimal", "list": "array", "array": "array", "map": "map", "struct": "row",
    "blob": "varbinary", "hugeint": "bigint", "uhugeint": "bigint", "ubigint": "bigint",
    "uinteger": "bigint", "usmallint": "integer", "utinyint": "smallint", "time": "time",
    "interval": "interval day to second", "uuid": "uuid", "null": "unknown",
}


def athena_type(t) -> str:
    """ColumnInfo.Type for a DuckDB result type (``VARCHAR`` -> ``varchar``, ``STRUCT`` -> ``row``)."""
    if str(t) == "JSON":
        return "json"
    return _ATHENA.get(t.id, "varchar")


def trino_type(t) -> str:
    """Full Trino type, as Athena writes it in a Presto view's column list."""
    if str(t) == "JSON":
        return "json"
    tid = t.id
    if tid in ("list", "array"):
        return f"array({trino_type(t.children[0][1])})"
    if tid == "map":
        return f"map({trino_type(t.children[0][1])}, {trino_type(t.children[1][1])})"
    if tid == "struct":
        return "row(" + ", ".join(f'"{n}" {trino_type(c)}' for n, c in t.children) + ")"
    if tid == "decimal":
        return f"decimal({t.children[0][1]},{t.children[1][1]})"
    if tid.startswith("timestamp"):
        return "timestamp(3) with time zone" if "zone" in tid else "timestamp(3)"
    return _ATHENA.get(tid, "varchar")


_HIVE = {
    "varchar": "string", "bigint": "bigint", "integer": "int", "smallint": "smallint",
    "tinyint": "tinyint", "double": "double", "float": "float", "boolean": "boolean",
    "date": "date", "blob": "binary", "hugeint": "bigint", "uhugeint": "bigint", "ubigint": "bigint",
    "uinteger": "bigint", "usmallint": "int", "utinyint": "smallint", "null": "string",
}


def hive_type(t) -> str:
    """The Glue column type Athena writes for a CTAS/view column of this DuckDB type."""
    tid = t.id
    if tid in ("list", "array"):
        return f"array<{hive_type(t.children[0][1])}>"
    if tid == "map":
        return f"map<{hive_type(t.children[0][1])},{hive_type(t.children[1][1])}>"
    if tid == "struct":
        return "struct<" + ",".join(f"{n}:{hive_type(c)}" for n, c in t.children) + ">"
    if tid == "decimal":
        return f"decimal({t.children[0][1]},{t.children[1][1]})"
    if tid.startswith("timestamp"):
        return "timestamp"
    return _HIVE.get(tid, "string")


def output_cast(t) -> str | None:
    """DuckDB-only result types that Trino never produces, and the type to cast them to."""
    if t.id in ("hugeint", "uhugeint", "ubigint", "uinteger"):
        return "BIGINT"
    if t.id in ("timestamp_ns", "timestamp_s", "timestamp_ms"):
        return "TIMESTAMP"
    if t.id == "null":
        return "VARCHAR"
    return None


# --- value text, as Athena writes it into result files and GetQueryResults ----------------------

def java_double(x: float, single: bool = False) -> str:
    """Java's ``Double.toString`` (Trino's double text): ``0.5``, ``100.0``, ``1.0E7``, ``1.5E-4``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    text = np.format_float_scientific(np.float32(x) if single else np.float64(x), unique=True, trim="-")
    mant, exp = text.split("e")
    sign = "-" if mant.startswith("-") else ""
    digits = mant.lstrip("-").replace(".", "")
    e = int(exp)
    if 1e-3 <= abs(x) < 1e7:
        if e >= 0:
            whole, frac = digits[:e + 1].ljust(e + 1, "0"), digits[e + 1:]
        else:
            whole, frac = "0", "0" * (-e - 1) + digits
        return f"{sign}{whole}.{frac or '0'}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{e}"


def format_value(v, athena: str) -> str | None:
    """One value as Athena prints it (NULL -> None)."""
    if v is None:
        return None
    return _text(v, athena, top=True)


def _text(v, athena: str, top: bool = False) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return java_double(v, single=athena == "real")
    if isinstance(v, _dt.datetime):
        text = v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond // 1000:03d}"
        return text + " UTC" if v.tzinfo is not None else text
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, (bytes, bytearray, memoryview)):
        return " ".join(f"{b:02x}" for b in bytes(v))
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_text(k, '')}={_text(x, '')}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        if athena == "map":
            return "{" + ", ".join(f"{_text(k, '')}={_text(x, '')}" for k, x in v) + "}"
        return "[" + ", ".join(_text(x, "") for x in v) + "]"
    return str(v)


def text_column(col: pa.ChunkedArray, athena: str) -> pa.Array:
    """A whole result column as Athena text (strings, nulls kept), vectorised where Arrow can."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return col
    if pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_decimal(t) or pa.types.is_date(t):
        return pc.cast(col, pa.string())
    if pa.types.is_timestamp(t):
        ms = pc.cast(col, pa.timestamp("ms", tz=t.tz), safe=False)
        text = pc.strftime(ms, format="%Y-%m-%d %H:%M:%S")
        return pc.binary_join_element_wise(text, pa.scalar(" UTC"), "") if t.tz else text
    values = col.to_pylist()
    if pa.types.is_map(t):   # Athena prints map entries in ascending key order
        values = [None if v is None else dict(sorted(v, key=lambda kv: (kv[0] is None, kv[0]))) for v in values]
    return pa.array([format_value(v, athena) for v in values], pa.string())


def python_rows(table: pa.Table) -> list[tuple]:
    """Arrow -> row tuples of Python values, column by column (maps become dicts)."""
    cols = []
    for col in table.columns:
        values = col.to_pylist()
        if pa.types.is_map(col.type):
            values = [None if v is None else dict(v) for v in values]
        cols.append(values)
    return list(zip(*cols)) if cols else []
