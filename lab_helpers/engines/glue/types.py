"""Glue's column types: the widening lattice, Parquet (Arrow) and JSON value mappings, rendering.

A type is a Glue scalar name (``"bigint"``, ``"decimal(10,2)"``), ``("array", elem)``,
``("struct", ((name, type), ...))``, ``("map", key, value)``, or None for "only nulls seen";
``render_type`` gives the catalog text (``struct<a:int,b:array<string>>``).
"""
from __future__ import annotations

import re

import pyarrow as pa

_NUMERIC = ("tinyint", "smallint", "int", "bigint", "float", "double")


def merge_types(a, b):
    """The narrowest type holding both (bigint+double -> double, anything+string -> string)."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if isinstance(a, tuple) or isinstance(b, tuple):
        if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0]:
            if a[0] == "array":
                return ("array", merge_types(a[1], b[1]))
            if a[0] == "map":
                return ("map", merge_types(a[1], b[1]), merge_types(a[2], b[2]))
            return ("struct", tuple(merge_columns([list(a[1]), list(b[1])])))
        return "string"
    if a in _NUMERIC and b in _NUMERIC:
        return _NUMERIC[max(_NUMERIC.index(a), _NUMERIC.index(b))]
    da, db = _decimal(a), _decimal(b)
    if da and db:
        scale = max(da[1], db[1])
        return f"decimal({min(38, max(da[0] - da[1], db[0] - db[1]) + scale)},{scale})"
    if (da and b in _NUMERIC[:4]) or (db and a in _NUMERIC[:4]):
        return a if da else b
    if (da and b in ("float", "double")) or (db and a in ("float", "double")):
        return "double"
    if {a, b} == {"date", "timestamp"}:
        return "timestamp"
    return "string"


def _decimal(t) -> tuple[int, int] | None:
    m = re.fullmatch(r"decimal\((\d+),(\d+)\)", t) if isinstance(t, str) else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def merge_columns(column_lists: list[list[tuple[str, object]]]) -> list[tuple[str, object]]:
    """Union of columns in first-seen order, types widened by ``merge_types``."""
    merged: dict[str, object] = {}
    for cols in column_lists:
        for name, typ in cols:
            merged[name] = merge_types(merged[name], typ) if name in merged else typ
    return list(merged.items())


def render_type(t) -> str:
    """Glue/Hive type text: ``struct<a:int,b:array<string>>``; only-null columns are string."""
    if t is None:
        return "string"
    if isinstance(t, str):
        return t
    if t[0] == "array":
        return f"array<{render_type(t[1])}>"
    if t[0] == "map":
        return f"map<{render_type(t[1])},{render_type(t[2])}>"
    return "struct<" + ",".join(f"{n}:{render_type(v)}" for n, v in t[1]) + ">"


def arrow_to_glue(t: pa.DataType):
    """Parquet (as Arrow) types -> Glue types: int16 smallint, int32 int, decimal(p,s) ..."""
    if pa.types.is_dictionary(t):
        return arrow_to_glue(t.value_type)
    simple = [(pa.types.is_int8, "tinyint"), (pa.types.is_int16, "smallint"),
              (pa.types.is_int32, "int"), (pa.types.is_int64, "bigint"),
              (pa.types.is_uint8, "smallint"), (pa.types.is_uint16, "int"),
              (pa.types.is_uint32, "bigint"), (pa.types.is_uint64, "bigint"),
              (pa.types.is_float16, "float"), (pa.types.is_float32, "float"),
              (pa.types.is_float64, "double"), (pa.types.is_boolean, "boolean"),
              (pa.types.is_date, "date"), (pa.types.is_timestamp, "timestamp"),
              (pa.types.is_string, "string"), (pa.types.is_large_string, "string"),
              (pa.types.is_binary, "binary"), (pa.types.is_large_binary, "binary"),
              (pa.types.is_fixed_size_binary, "binary")]
    for test, name in simple:
        if test(t):
            return name
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_map(t):
        return ("map", arrow_to_glue(t.key_type), arrow_to_glue(t.item_type))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return ("array", arrow_to_glue(t.value_type))
    if pa.types.is_struct(t):
        return ("struct", tuple((t.field(i).name, arrow_to_glue(t.field(i).type)) for i in range(t.num_fields)))
    return "string"  # time, null, interval: no Hive type; Glue surfaces them as strings



_INT32 = (-(2 ** 31), 2 ** 31 - 1)


def json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int" if _INT32[0] <= value <= _INT32[1] else ("bigint" if -(2 ** 63) <= value < 2 ** 63 else "double")
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return ("struct", tuple(merge_columns([[(k, json_type(v)) for k, v in value.items()]])))
    if isinstance(value, list):
        elem = None
        for item in value:
            elem = merge_types(elem, json_type(item))
        return ("array", elem)   # [] stays open: None renders as string, merges as anything
    return None
