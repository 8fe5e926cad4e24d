"""CTAS and INSERT INTO: run the SELECT in DuckDB, write Parquet/JSON/text objects to S3, register in Glue."""
from __future__ import annotations

import datetime as _dt
import os
import re
import uuid

from sqlglot import exp

from .errors import error, node_position
from .partitions import add_partitions, default_location, partition_input
from .query import QueryResult
from .resolve import DEFAULT_CATALOG, Resolver, is_view
from .scan import HIVE_NULL_PARTITION, partition_path, quote_ident, quote_str, s3_error, storage_format
from .types import hive_type, parse_hive, trino_type
from ..ports import CatalogError, StoreError, split_s3_uri

MAX_WRITERS = 100   # Athena: a CTAS/INSERT may write at most 100 partitions (or buckets)
TEXT_IN = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
FORMATS = {
    "parquet": ("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"),
    "textfile": (TEXT_IN, TEXT_OUT, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"),
    "json": (TEXT_IN, TEXT_OUT, "org.apache.hive.hcatalog.data.JsonSerDe"),
}
CODECS = {"SNAPPY": "snappy", "GZIP": "gzip", "ZSTD": "zstd", "LZ4": "lz4_raw", "NONE": "uncompressed",
          "UNCOMPRESSED": "uncompressed"}


class Writer:
    """Writes the rows of a DuckDB temp table as objects under S3 locations, undoably."""

    def __init__(self, ex, source: str, kind: str, codec: str, delim: str = "\x01", quoted: bool = False,
                 nullstr: str = "\\N", header: bool = False):
        self.ex, self.source, self.kind, self.codec = ex, source, kind, codec
        self.delim, self.quoted, self.nullstr, self.header = delim, quoted, nullstr, header
        self.written: list[tuple[str, str]] = []
        self._stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d_%H%M%S")
        self._dir = os.path.join(ex.engine.work_dir, f"w-{uuid.uuid4().hex}")

    def write(self, data_cols: list[tuple[str, object]], part_cols: list[str], buckets: tuple[list[str], int] | None,
              location_for) -> list[tuple[list[str | None], int]]:
        """Write one file per partition (x bucket); returns [(partition values, rows)]."""
        pcols = ", ".join(quote_ident(c) for c in part_cols)
        rank = f"dense_rank() OVER (ORDER BY {pcols})" if part_cols else "1"
        bucket = (f"CAST(hash({', '.join(quote_ident(c) for c in buckets[0])}) % {buckets[1]} AS INTEGER)"
                  if buckets else "0")
        staged = f"{self.source}_w"
        self.ex.run_duck(f"CREATE OR REPLACE TEMP TABLE {staged} AS SELECT *, {rank} AS __part, {bucket} AS __bucket "
                         f"FROM {self.source}")
        texts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR)" for c in part_cols)
        groups = self.ex.run_duck(f"SELECT __part, __bucket, count(*) {', ' + texts if texts else ''} FROM {staged} "
                                  f"GROUP BY ALL ORDER BY 1, 2").fetchall()
        if len(groups) > MAX_WRITERS:
            raise error("HIVE_TOO_MANY_OPEN_PARTITIONS", f"Exceeded limit of {MAX_WRITERS} open writers for "
                                                         "partitions/buckets")
        os.makedirs(self._dir, exist_ok=True)
        result: dict[int, list] = {}
        for part, bucket_no, count, *values in groups:
            self.ex.check()
            location = location_for(list(values)).rstrip("/")
            name = (f"{bucket_no:06d}_0_{self._stamp}_{uuid.uuid4()}" if buckets
                    else f"{self._stamp}_{len(self.written):05d}_{uuid.uuid4().hex[:5]}_{uuid.uuid4()}")
            if self.kind != "parquet" and self.codec == "gzip":
                name += ".gz"
            elif self.kind != "parquet" and self.codec == "zstd":
                name += ".zst"
            self._copy(data_cols, f"__part = {part} AND __bucket = {bucket_no}", staged, name, location)
            entry = result.setdefault(part, [list(values), 0])
            entry[1] += count
        return [(v, n) for v, n in result.values()]

    def _copy(self, data_cols, where, staged, name, location) -> None:
        local = os.path.join(self._dir, name)
        cols = []
        for col, dtype in data_cols:
            ref = quote_ident(col)
            if self.kind == "text" and getattr(dtype, "id", "") in ("list", "array"):
                ref = f"array_to_string({ref}, '\x02')"
            cols.append(f"{ref} AS {quote_ident(col)}")
        select = f"SELECT {', '.join(cols)} FROM {staged} WHERE {where}"
        if self.kind == "parquet":
            opts = f"FORMAT parquet, COMPRESSION {self.codec}"
        elif self.kind == "json":
            opts = f"FORMAT json, COMPRESSION {'none' if self.codec == 'uncompressed' else self.codec}"
        else:
            quote = "QUOTE '\"', FORCE_QUOTE *" if self.quoted else "QUOTE '', ESCAPE ''"
            codec = "none" if self.codec == "uncompressed" else self.codec
            opts = (f"FORMAT csv, DELIMITER {quote_str(self.delim)}, {quote}, HEADER {str(self.header).lower()}, "
                    f"NULLSTR {quote_str(self.nullstr)}, COMPRESSION {codec}")
        self.ex.run_duck(f"COPY ({select}) TO {quote_str(local)} ({opts})")
        with open(local, "rb") as fh:
            data = fh.read()
        os.remove(local)
        bucket, prefix = split_s3_uri(location)
        key = f"{prefix.rstrip('/')}/{name}" if prefix else name
        try:
            self.ex.store.put_object(bucket, key, data)
        except StoreError as e:
            raise s3_error(e, f"s3://{bucket}/{key}") from None
        self.written.append((bucket, key))

    def undo(self) -> None:
        for bucket, key in self.written:
            try:
                self.ex.store.delete_object(bucket, key)
            except StoreError:
                pass
        self.written.clear()


def _props(tree: exp.Create) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in (tree.args.get("properties") or exp.Properties(expressions=[])).expressions:
        if isinstance(p, exp.FileFormatProperty):
            out["format"] = p.this.name if isinstance(p.this, (exp.Literal, exp.Var)) else p.this.sql()
        elif isinstance(p, exp.PartitionedByProperty):
            out["partitioned_by"] = _names(p.this)
        elif isinstance(p, exp.WithDataProperty):
            out["no_data"] = bool(p.args.get("no"))
        elif isinstance(p, exp.LocationProperty):
            out["location"] = p.this.name
        elif isinstance(p, exp.Property):
            key = p.name.lower() if not isinstance(p.this, exp.Literal) else p.this.name.lower()
            value = p.args.get("value")
            out[key] = _names(value) if isinstance(value, (exp.Array, exp.Tuple, exp.Schema)) else \
                (value.name if isinstance(value, (exp.Literal, exp.Var, exp.Identifier)) else value.sql())
    return out


def _names(node) -> list[str]:
    items = node.expressions if hasattr(node, "expressions") else [node]
    return [(i.name if isinstance(i, (exp.Literal, exp.Identifier, exp.Column, exp.ColumnDef)) else i.sql()).lower()
            for i in items]


def ctas(ex, tree: exp.Create):
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    db, name = (target.db or ex.database).lower(), target.name.lower()
    where = f"{DEFAULT_CATALOG}.{db}.{name}"
    if ex.catalog.get_database(db) is None:
        raise error("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", node_position(ex.sql, target))
    if ex.catalog.get_table(db, name) is not None:
        if tree.args.get("exists"):
            return QueryResult("DML", [], [], 0, update_count=0)
        raise error("TABLE_ALREADY_EXISTS", f"Destination table '{where}' already exists", (1, 1))
    props = _props(tree)
    fmt = str(props.get("format", "PARQUET")).upper()
    if str(props.get("table_type", "HIVE")).upper() == "ICEBERG":
        raise error("NOT_SUPPORTED", "Iceberg tables are not supported by the local Athena engine; omit table_type")
    kind = {"PARQUET": "parquet", "TEXTFILE": "textfile", "JSON": "json"}.get(fmt)
    if kind is None:
        raise error("NOT_SUPPORTED" if fmt in ("ORC", "AVRO", "ION") else "INVALID_TABLE_PROPERTY",
                    f"The local Athena engine cannot write format '{fmt}' (use 'PARQUET', 'JSON' or 'TEXTFILE')")
    codec_name = str(props.get("write_compression") or props.get("parquet_compression") or "GZIP").upper()
    codec = CODECS.get(codec_name)
    if codec is None or (kind != "parquet" and codec not in ("gzip", "zstd", "uncompressed")):
        raise error("INVALID_TABLE_PROPERTY", f"Unsupported compression '{codec_name}' for format {fmt}")
    location = str(props.get("external_location") or ex.default_ctas_location or "")
    if not location.startswith("s3://"):
        raise error("INVALID_TABLE_PROPERTY", "CTAS needs external_location='s3://...' or a query result location")
    _check_empty(ex, location, f"{db}.{name}")
    rel = ex.bind(tree.expression, ex.sql)
    names = [n.lower() for n in rel.names]
    _check_columns(names, rel.types)
    parts = list(props.get("partitioned_by") or [])
    bucketed = list(props.get("bucketed_by") or [])
    count = int(props.get("bucket_count") or 0)
    _check_layout(names, parts, bucketed, count)
    source = "__athena_ctas"
    body = f"SELECT {', '.join(f'#{i + 1} AS {quote_ident(n)}' for i, n in enumerate(names))} FROM ({rel.sql}) AS __q"
    if props.get("no_data"):
        body += " LIMIT 0"
    ex.run_duck(f"CREATE OR REPLACE TEMP TABLE {source} AS {body}", rel)
    types = dict(zip(names, rel.types))
    data_cols = [(n, types[n]) for n in names if n not in parts]
    delim = str(props.get("field_delimiter") or "\x01")
    writer = Writer(ex, source, "text" if kind == "textfile" else kind, codec, delim)
    try:
        written = writer.write(data_cols, parts, (bucketed, count) if bucketed else None,
                               lambda values: f"{location.rstrip('/')}/{partition_path(parts, values)}" if parts
                               else location)
        table = _ctas_table(name, kind, codec_name, delim, location, data_cols, [(p, types[p]) for p in parts],
                            bucketed, count)
        ex.catalog.create_table(db, table)
        if parts:
            add_partitions(ex.catalog, db, name, [partition_input(table, _folder_values(v),
                                                                  default_location(table, parts, _folder_values(v)))
                                                  for v, _ in written])
    except CatalogError as e:
        writer.undo()
        _drop_quietly(ex, db, name)
        raise error("HIVE_METASTORE_ERROR", e.message) from None
    except BaseException:
        writer.undo()
        raise
    return QueryResult("DML", [], [], rel.resolver.scanned_bytes, update_count=sum(n for _, n in written),
                       written=[f"s3://{b}/{k}" for b, k in writer.written])


def _folder_values(values: list) -> list[str]:
    return [HIVE_NULL_PARTITION if v is None else str(v) for v in values]


def _drop_quietly(ex, db, name) -> None:
    try:
        if ex.catalog.get_table(db, name) is not None:
            ex.catalog.delete_table(db, name)
    except CatalogError:
        pass


def _check_empty(ex, location: str, table: str) -> None:
    """Athena refuses to CTAS into a prefix that already holds objects."""
    bucket, prefix = split_s3_uri(location)
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    try:
        objects = [o for o in ex.store.list_objects(bucket, prefix) if o.key != prefix]
    except StoreError as e:
        raise s3_error(e, location) from None
    if objects:
        clean = (ex.default_ctas_location or location).rstrip("/")
        raise error("HIVE_PATH_ALREADY_EXISTS", f"Target directory for table '{table}' already exists: "
                                                f"{location.rstrip('/')}. You may need to manually clean the data at "
                                                f"location '{clean}' before retrying. Athena will not delete data in "
                                                "your account.")


def _check_columns(names: list[str], types: list) -> None:
    seen = set()
    for i, (n, t) in enumerate(zip(names, types), 1):
        if re.fullmatch(r"_col\d+", n):
            raise error("MISSING_COLUMN_NAME", f"Column name not specified at position {i}", (1, 1))
        if n in seen:
            raise error("DUPLICATE_COLUMN_NAME", f"Column name '{n}' specified more than once", (1, 1))
        if t.id == "null":
            raise error("NOT_SUPPORTED", f"Unsupported Hive type: unknown (column '{n}'); CAST the NULL to a type")
        seen.add(n)


def _check_layout(names, parts, bucketed, count) -> None:
    missing = [p for p in parts if p not in names]
    if missing:
        raise error("INVALID_TABLE_PROPERTY", f"Partition columns {missing} not present in schema")
    if parts and names[-len(parts):] != parts:
        raise error("HIVE_COLUMN_ORDER_MISMATCH", "Partition keys must be the last columns in the table and in the "
                                                  f"same order as the table properties: {parts}")
    if parts and len(parts) == len(names):
        raise error("INVALID_TABLE_PROPERTY", "Table contains only partition columns")
    if [b for b in bucketed if b not in names]:
        raise error("INVALID_TABLE_PROPERTY", f"Bucketing columns {[b for b in bucketed if b not in names]} "
                                              "not present in schema")
    if bool(bucketed) != bool(count):
        raise error("INVALID_TABLE_PROPERTY", "bucketed_by and bucket_count must be specified together")


def _ctas_table(name, kind, codec_name, delim, location, data_cols, part_cols, bucketed, count) -> dict:
    in_fmt, out_fmt, serde = FORMATS[kind]
    serde_params = {"field.delim": delim, "serialization.format": delim} if kind == "textfile" else \
        {"serialization.format": "1"}
    params = {"EXTERNAL": "TRUE", "has_encrypted_data": "false",
              "classification": {"textfile": "csv"}.get(kind, kind)}
    params["parquet.compression" if kind == "parquet" else "write.compression"] = \
        "UNCOMPRESSED" if codec_name == "NONE" else codec_name
    return {
        "Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": params,
        "PartitionKeys": [{"Name": n, "Type": hive_type(t)} for n, t in part_cols],
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": hive_type(t)} for n, t in data_cols],
            "Location": location, "InputFormat": in_fmt, "OutputFormat": out_fmt, "Compressed": False,
            "NumberOfBuckets": count if bucketed else -1,
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params},
            "BucketColumns": list(bucketed), "SortColumns": [], "Parameters": {}, "StoredAsSubDirectories": False,
        },
    }


# --- INSERT INTO ---------------------------------------------------------------------------------

_CATEGORY = {"tinyint": "n", "smallint": "n", "int": "n", "bigint": "n", "float": "n", "double": "n",
             "decimal": "n", "string": "s", "varchar": "s", "char": "s", "boolean": "b", "date": "d",
             "timestamp": "t", "binary": "x"}


def insert(ex, tree: exp.Insert):
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    listed = [i.name.lower() for i in tree.this.expressions] if isinstance(tree.this, exp.Schema) else None
    db, name, table = ex_resolver(ex).table(target, ex.sql, ex.database)
    if is_view(table):
        raise error("NOT_SUPPORTED", "Inserting into views is not supported", node_position(ex.sql, target))
    sd = table.get("StorageDescriptor") or {}
    cols = [(c["Name"].lower(), c.get("Type") or "string") for c in sd.get("Columns") or []]
    keys = [(k["Name"].lower(), k.get("Type") or "string") for k in table.get("PartitionKeys") or []]
    everything = cols + keys
    listed = listed or [n for n, _ in everything]
    for n in listed:
        if n not in dict(everything):
            raise error("COLUMN_NOT_FOUND", f"Insert column name does not exist in target table: {n}", (1, 1))
    rel = ex.bind(tree.expression, ex.sql)
    wanted = [dict(everything)[n] for n in listed]
    if len(rel.types) != len(listed) or any(
            _CATEGORY.get(parse_hive(w).name, "c") != _query_category(t) and _query_category(t) != "u"
            for w, t in zip(wanted, rel.types)):
        raise error("TYPE_MISMATCH", "Insert query has mismatched column types: Table: "
                                     f"[{', '.join(_trino(w) for w in wanted)}], Query: "
                                     f"[{', '.join(trino_type(t) for t in rel.types)}]", (1, 1))
    pos = {n: i for i, n in enumerate(listed)}
    exprs = [f"CAST(#{pos[n] + 1} AS {parse_hive(t).duckdb()}) AS {quote_ident(n)}" if n in pos
             else f"CAST(NULL AS {parse_hive(t).duckdb()}) AS {quote_ident(n)}" for n, t in everything]
    source = "__athena_insert"
    ex.run_duck(f"CREATE OR REPLACE TEMP TABLE {source} AS SELECT {', '.join(exprs)} FROM ({rel.sql}) AS __q", rel)
    fmt = storage_format(sd)
    params = (sd.get("SerdeInfo") or {}).get("Parameters") or {}
    tparams = table.get("Parameters") or {}
    if fmt not in ("parquet", "json", "text", "csv"):
        raise error("NOT_SUPPORTED", f"The local Athena engine cannot write {fmt.upper()} data")
    codec = CODECS.get(str(tparams.get("parquet.compression") or tparams.get("write.compression") or "GZIP").upper(),
                       "gzip")
    delim = params.get("field.delim") or params.get("separatorChar") or (
        params.get("serialization.format") if params.get("serialization.format") not in (None, "1") else "\x01")
    # Trino (Athena v3) writes the header line itself when the table skips one, and refuses more.
    skip = int(tparams.get("skip.header.line.count") or params.get("skip.header.line.count") or 0) \
        if fmt in ("text", "csv") else 0
    if skip > 1:
        raise error("NOT_SUPPORTED", f"INSERT into {db}.{name} Hive table with value of skip.header.line.count "
                                     "property greater than 1 is not supported")
    writer = Writer(ex, source, "text" if fmt in ("text", "csv") else fmt, codec, delim, quoted=fmt == "csv",
                    nullstr=params.get("serialization.null.format", "\\N" if fmt == "text" else ""), header=skip == 1)
    key_names = [k for k, _ in keys]
    existing = {tuple(p.get("Values") or []): p for p in ex.catalog.get_partitions(db, name)} if keys else {}

    def location_for(values):
        if not keys:
            return sd.get("Location") or ""
        found = existing.get(tuple(_folder_values(values)))
        return (found.get("StorageDescriptor") or {}).get("Location") if found else \
            default_location(table, key_names, _folder_values(values))

    try:
        written = writer.write([(n, None) for n, _ in cols], key_names, None, location_for)
        new = [_folder_values(v) for v, _ in written if tuple(_folder_values(v)) not in existing]
        if keys and new:
            add_partitions(ex.catalog, db, name, [partition_input(table, v, default_location(table, key_names, v))
                                                  for v in new])
    except BaseException:
        writer.undo()
        raise
    return QueryResult("DML", [], [], rel.resolver.scanned_bytes, update_count=sum(n for _, n in written),
                       written=[f"s3://{b}/{k}" for b, k in writer.written])


def ex_resolver(ex):
    return Resolver(ex.catalog, ex.store, ex.con, ex.catalog_name)


def _query_category(t) -> str:
    tid = t.id
    if tid in ("tinyint", "smallint", "integer", "bigint", "hugeint", "float", "double", "decimal", "ubigint",
               "uinteger", "usmallint", "utinyint"):
        return "n"
    if tid == "varchar":
        return "s"
    return {"boolean": "b", "date": "d", "timestamp": "t", "timestamp with time zone": "t", "blob": "x",
            "null": "u"}.get(tid, "c")


def _trino(hive: str) -> str:
    t = parse_hive(hive)
    return {"string": "varchar", "int": "integer", "float": "real"}.get(t.name, t.hive())
