"""Result types as Redshift reports them: PostgreSQL type names and OIDs, Data API cells, text values."""
from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass

# PostgreSQL type OIDs (pg_type.oid) that Redshift clients (redshift_connector, psycopg) decode.
OIDS = {"bool": 16, "bytea": 17, "int8": 20, "int2": 21, "int4": 23, "text": 25, "float4": 700, "float8": 701,
        "bpchar": 1042, "varchar": 1043, "date": 1082, "time": 1083, "timestamp": 1114, "timestamptz": 1184,
        "interval": 1186, "numeric": 1700, "super": 4000}
SIZES = {"bool": 1, "int8": 8, "int2": 2, "int4": 4, "float4": 4, "float8": 8, "date": 4, "time": 8,
         "timestamp": 8, "timestamptz": 8, "interval": 16}


@dataclass(frozen=True)
class PgType:
    name: str            # int4, varchar, numeric, ...
    precision: int = 0   # numeric precision / varchar length
    scale: int = 0

    @property
    def oid(self) -> int:
        return OIDS.get(self.name, 1043)

    @property
    def size(self) -> int:
        return SIZES.get(self.name, -1)

    @property
    def modifier(self) -> int:
        """pg_attribute.atttypmod: varchar(n) -> n + 4; numeric(p, s) -> ((p << 16) | s) + 4."""
        if self.name == "varchar" and self.precision:
            return self.precision + 4
        if self.name == "numeric" and self.precision:
            return ((self.precision << 16) | self.scale) + 4
        return -1

    @property
    def sql(self) -> str:
        """The type as Redshift DDL spells it (pg_table_def / DescribeTable)."""
        names = {"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
                 "float8": "double precision", "bool": "boolean", "varchar": "character varying",
                 "bpchar": "character", "timestamp": "timestamp without time zone",
                 "timestamptz": "timestamp with time zone"}
        base = names.get(self.name, self.name)
        if self.name in ("varchar", "bpchar"):
            return f"{base}({self.precision or 256})"
        if self.name == "numeric":
            return f"numeric({self.precision or 18},{self.scale})"
        return base


def pg_type(duck_type) -> PgType:
    """DuckDB type (object or text) -> the Redshift/PostgreSQL type a client sees."""
    text = str(duck_type).upper()
    m = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", text)
    if m:
        return PgType("numeric", int(m.group(1)), int(m.group(2)))
    m = re.match(r"VARCHAR\((\d+)\)", text)
    if m:
        return PgType("varchar", int(m.group(1)))
    simple = {"BOOLEAN": "bool", "TINYINT": "int2", "SMALLINT": "int2", "INTEGER": "int4", "BIGINT": "int8",
              "UTINYINT": "int2", "USMALLINT": "int4", "UINTEGER": "int8", "UBIGINT": "numeric",
              "HUGEINT": "numeric", "UHUGEINT": "numeric", "FLOAT": "float4", "DOUBLE": "float8",
              "DATE": "date", "TIME": "time", "TIMESTAMP": "timestamp", "TIMESTAMP_NS": "timestamp",
              "TIMESTAMP_MS": "timestamp", "TIMESTAMP_S": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz",
              "INTERVAL": "interval", "BLOB": "bytea", "VARCHAR": "varchar", "JSON": "super", "UUID": "varchar"}
    if text in simple:
        name = simple[text]
        return PgType(name, 65535 if name == "varchar" else (38 if name == "numeric" else 0))
    if text.endswith("[]") or text.startswith(("STRUCT", "MAP", "LIST", "UNION")):
        return PgType("super")
    return PgType("varchar", 65535)


def text_value(value) -> str | None:
    """A value as PostgreSQL's text output prints it (wire protocol text format, CSV results)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
        if value.tzinfo is not None:
            text = value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ") + "+00"
        return text
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, default=str)
    return str(value)


def data_api_cell(value, t: PgType) -> dict:
    """One Data API ``Field``: longValue for integers, doubleValue for floats, stringValue for the rest
    (NUMERIC too, as the Data API does), isNull for NULL."""
    if value is None:
        return {"isNull": True}
    if t.name == "bool":
        return {"booleanValue": bool(value)}
    if t.name in ("int2", "int4", "int8"):
        return {"longValue": int(value)}
    if t.name in ("float4", "float8"):
        return {"doubleValue": float(value)}
    if t.name == "bytea":
        return {"blobValue": bytes(value)}
    return {"stringValue": text_value(value)}


def column_metadata(name: str, t: PgType, schema: str = "", table: str = "") -> dict:
    """The Data API's ``ColumnMetadata`` of one result column."""
    length = t.precision if t.name in ("varchar", "bpchar") else 0
    precision = {"int2": 5, "int4": 10, "int8": 19, "float4": 8, "float8": 17, "bool": 1, "date": 13,
                 "timestamp": 29, "timestamptz": 35}.get(t.name, t.precision)
    return {"isCaseSensitive": t.name in ("varchar", "bpchar", "text"), "isCurrency": False,
            "isSigned": t.name in ("int2", "int4", "int8", "float4", "float8", "numeric"),
            "label": name, "length": length, "name": name, "nullable": 1, "precision": precision,
            "scale": t.scale if t.name == "numeric" else (8 if t.name == "float4" else 17 if t.name == "float8" else 0),
            "schemaName": schema, "tableName": table, "typeName": t.name}
