"""A statement's outcome as every front end (Data API, wire port, COPY/UNLOAD) reads it."""
from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from .types import PgType


@dataclass
class Result:
    names: list[str] = field(default_factory=list)
    types: list[PgType] = field(default_factory=list)
    table: pa.Table | None = None         # rows of a statement that returns a result set
    rowcount: int = -1                    # rows affected (INSERT/UPDATE/DELETE/COPY/UNLOAD/CTAS)
    tag: str = ""                         # the command tag (``SELECT 3``, ``INSERT 0 2``, ``CREATE TABLE``)
    query_id: int = 0

    @property
    def has_result_set(self) -> bool:
        return self.table is not None

    @property
    def row_count(self) -> int:
        return self.table.num_rows if self.table is not None else max(self.rowcount, 0)


def redshift_columns(table: pa.Table) -> pa.Table:
    """Integer results wider than BIGINT (DuckDB's SUM) come back as BIGINT, as Redshift's int8 sum does."""
    cols, changed = [], False
    for f, col in zip(table.schema, table.columns):
        if pa.types.is_decimal(f.type) and f.type.precision > 38:
            col = col.cast(pa.decimal128(38, f.type.scale), safe=False)
            changed = True
        cols.append(col)
    return pa.table(cols, names=table.column_names) if changed else table


def duck_type_of(t: pa.DataType) -> str:
    """The DuckDB type name for an Arrow type (what pg_type understands)."""
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_int8(t) or pa.types.is_int16(t):
        return "SMALLINT"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_int64(t) or pa.types.is_uint32(t):
        return "BIGINT"
    if pa.types.is_float32(t):
        return "FLOAT"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP WITH TIME ZONE" if t.tz else "TIMESTAMP"
    if pa.types.is_time(t):
        return "TIME"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "BLOB"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "VARCHAR"
    if pa.types.is_duration(t) or pa.types.is_interval(t):
        return "INTERVAL"
    if pa.types.is_list(t) or pa.types.is_struct(t) or pa.types.is_map(t):
        return "STRUCT"
    return "VARCHAR"
