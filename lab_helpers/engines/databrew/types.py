"""types: DataBrew's (Spark's) type names for Arrow types, and the casts CHANGE_DATA_TYPE makes."""
from __future__ import annotations

import pyarrow as pa

# CHANGE_DATA_TYPE's columnDataType values (DataBrew docs) -> DuckDB types. decimal is (38, 18).
CAST_TYPES = {
    "byte": "TINYINT", "short": "SMALLINT", "int": "INTEGER", "integer": "INTEGER", "long": "BIGINT",
    "float": "FLOAT", "double": "DOUBLE", "decimal": "DECIMAL(38, 18)", "string": "VARCHAR",
    "boolean": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE",
    # the older TO_*_COLUMN actions and FILL_WITH_CUSTOM say "number"
    "number": "DOUBLE",
}


def spark_type(t: pa.DataType) -> str:
    """The type name DataBrew shows (Spark's simpleString): int, bigint, double, string, date, ..."""
    if pa.types.is_int8(t):
        return "tinyint"
    if pa.types.is_int16(t):
        return "smallint"
    if pa.types.is_int32(t) or pa.types.is_uint16(t) or pa.types.is_uint8(t):
        return "int"
    if pa.types.is_integer(t):
        return "bigint"
    if pa.types.is_float32(t):
        return "float"
    if pa.types.is_floating(t):
        return "double"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "binary"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"array<{spark_type(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{spark_type(f.type)}" for f in t) + ">"
    if pa.types.is_null(t):
        return "string"
    return str(t)


def glue_type(t: pa.DataType) -> str:
    """The Glue catalog type of an Arrow type (what a table DataBrew registers lists)."""
    return spark_type(t)


def is_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


# Glue/Hive catalog type -> Arrow, for datasets read from the Data Catalog.
_HIVE = {
    "tinyint": pa.int8(), "smallint": pa.int16(), "int": pa.int32(), "integer": pa.int32(),
    "bigint": pa.int64(), "float": pa.float32(), "double": pa.float64(), "boolean": pa.bool_(),
    "string": pa.string(), "date": pa.date32(), "timestamp": pa.timestamp("us"), "binary": pa.binary(),
}


def arrow_from_hive(hive: str) -> pa.DataType | None:
    """Arrow type of a simple Hive type (None for complex types: those keep the file's own type)."""
    text = hive.strip().lower()
    if text in _HIVE:
        return _HIVE[text]
    if text.startswith(("varchar", "char")):
        return pa.string()
    if text.startswith("decimal"):
        inner = text[text.find("(") + 1:text.rfind(")")] if "(" in text else "10,0"
        precision, _, scale = inner.partition(",")
        return pa.decimal128(int(precision), int(scale or 0))
    return None
