"""outputs: a recipe job's result written to S3 (and registered in the Glue Data Catalog).

File names follow DataBrew: without Overwrite a run writes into a new folder
``<job>_<ddMonYYYY>_<epoch ms>/`` holding ``<job>_<ddMonYYYY>_<epoch ms>_part00000.<ext>``; with
Overwrite the location is emptied first and files are ``<job>_part00000.<ext>``. PartitionColumns
become Hive folders (``col=value/``) and leave the files, as Spark writes them. Writes go through
the job's ObjectStore, so the bucket's default encryption and iam_lite apply to every object.
"""
from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..ports import CatalogError, ObjectStore
from .types import glue_type

TEXT_CODECS = {"GZIP": ("gzip", ".gz"), "BZIP2": ("bz2", ".bz2"), "LZ4": ("lz4", ".lz4"), "ZSTD": ("zstd", ".zst"),
               "BROTLI": ("brotli", ".br"), "DEFLATE": ("deflate", ".deflate"), "ZLIB": ("zlib", ".zlib")}
PARQUET_CODECS = {"SNAPPY": "snappy", "GZIP": "gzip", "LZ4": "lz4", "ZSTD": "zstd", "BROTLI": "brotli"}
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


class OutputError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Written:
    keys: list[str] = field(default_factory=list)
    bytes: int = 0
    partitions: list[tuple[str, ...]] = field(default_factory=list)


def stamp(when: datetime) -> str:
    return f"{when.strftime('%d%b%Y')}_{int(when.timestamp() * 1000)}"


def _escape(value) -> str:
    if value is None:
        return NULL_PARTITION
    if isinstance(value, (datetime, date)):
        value = value.isoformat()
    return "".join(f"%{ord(c):02X}" if c in '"#%\'*/:=?\\\x7f{[]^' or ord(c) < 32 else c for c in str(value))


def _encode(table: pa.Table, fmt: str, compression: str | None, delimiter: str) -> tuple[bytes, str]:
    """(bytes, extension) of one file."""
    fmt = fmt.upper()
    if fmt in ("PARQUET", "GLUEPARQUET"):
        codec = PARQUET_CODECS.get((compression or "SNAPPY").upper())
        if codec is None:
            raise OutputError("ValidationException", f"CompressionFormat {compression} is not available for Parquet "
                                                     f"output ({', '.join(PARQUET_CODECS)} are)")
        sink = io.BytesIO()
        pq.write_table(table, sink, compression=codec)
        return sink.getvalue(), ".parquet"
    if fmt == "ORC":
        from pyarrow import orc

        sink = io.BytesIO()
        orc.write_table(table, sink)
        return sink.getvalue(), ".orc"
    if fmt == "CSV":
        sink = io.BytesIO()
        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=True, delimiter=delimiter or ","))
        data, ext = sink.getvalue(), ".csv"
    elif fmt == "JSON":
        lines = [json.dumps(row, default=_json_default) for row in table.to_pylist()]
        data, ext = ("\n".join(lines) + ("\n" if lines else "")).encode(), ".json"
    else:
        raise OutputError("ValidationException", f"Output format {fmt} is not emulated locally (CSV, JSON, PARQUET, "
                                                 "GLUEPARQUET and ORC are)")
    if not compression:
        return data, ext
    codec = TEXT_CODECS.get(compression.upper())
    if codec is None:
        raise OutputError("ValidationException", f"CompressionFormat {compression} is not available for {fmt} output "
                                                 f"({', '.join(TEXT_CODECS)} are)")
    name, suffix = codec
    if name in ("deflate", "zlib"):
        return zlib.compress(data), ext + suffix
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, name) as stream:
        stream.write(data)
    return sink.getvalue().to_pybytes(), ext + suffix


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "as_tuple"):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _groups(table: pa.Table, partition_columns: list[str], con) -> list[tuple[tuple, pa.Table]]:
    """The table split by the partition columns' values (in first-seen order), without those columns:
    one sort in DuckDB, then zero-copy slices of the sorted rows."""
    if not partition_columns:
        return [((), table)]
    import numpy as np

    from .sandbox import quote
    from .steps import ORDER, with_order

    keys = ", ".join(quote(c) for c in partition_columns)
    light = with_order(table.select(partition_columns))   # sort only the keys, then take the rows once
    cur = con.cursor()
    try:
        cur.register("t", light)
        order = cur.sql(f"""SELECT {quote(ORDER)}, min({quote(ORDER)}) OVER (PARTITION BY {keys}) AS __labkit_first
            FROM t ORDER BY __labkit_first, {quote(ORDER)}""").to_arrow_table()
    finally:
        cur.close()
    first = order.column("__labkit_first").to_numpy()
    starts = np.flatnonzero(np.r_[True, first[1:] != first[:-1]]) if len(first) else np.array([], dtype=int)
    ends = np.r_[starts[1:], len(first)]
    rows = order.column(ORDER)
    keys_sorted = table.select(partition_columns).take(rows)
    # one contiguous buffer per column first: a take across hundreds of chunks is ten times slower
    data = table.select([c for c in table.column_names if c not in partition_columns]).combine_chunks().take(rows)
    out = []
    for lo, hi in zip(starts.tolist(), ends.tolist()):
        values = tuple(keys_sorted.column(c)[lo].as_py() for c in partition_columns)
        out.append((values, data.slice(lo, hi - lo)))
    return out


def _folder(key: str) -> str:
    key = key or ""
    return key if not key or key.endswith("/") else key + "/"


def _clear(store: ObjectStore, bucket: str, prefix: str) -> None:
    for obj in store.list_objects(bucket, prefix):
        store.delete_object(bucket, obj.key)


def write_files(table: pa.Table, store: ObjectStore, bucket: str, prefix: str, base: str, *, fmt: str,
                compression: str | None, delimiter: str, partition_columns: list[str], max_files: int | None,
                con, check_cancel=lambda: None) -> Written:
    """Write ``table`` under s3://bucket/prefix as ``<base>_partNNNNN.<ext>`` files per partition."""
    for col in partition_columns:
        if col not in table.column_names:
            raise OutputError("ValidationException", f"Partition column {col} is not in the job's output "
                                                     f"(columns: {', '.join(table.column_names)})")
    written = Written()
    for values, part in _groups(table, partition_columns, con):
        check_cancel()
        folder = prefix + "".join(f"{c}={_escape(v)}/" for c, v in zip(partition_columns, values))
        files = max(1, min(max_files or 1, part.num_rows or 1))
        size = -(-part.num_rows // files) if part.num_rows else 0
        for i in range(files):
            chunk = part.slice(i * size, size) if size else part
            data, ext = _encode(chunk, fmt, compression, delimiter)
            key = f"{folder}{base}_part{i:05d}{ext}"
            store.put_object(bucket, key, data)
            written.keys.append(key)
            written.bytes += len(data)
        written.partitions.append(tuple(None if v is None else str(v) for v in values))
    return written


def write_output(table: pa.Table, output: dict, store: ObjectStore, *, job_name: str, started: datetime, con,
                 check_cancel=lambda: None) -> Written:
    """One entry of a recipe job's ``Outputs``."""
    location = output.get("Location") or {}
    bucket, prefix = location.get("Bucket", ""), _folder(location.get("Key", ""))
    fmt = (output.get("Format") or "CSV").upper()
    delimiter = ((output.get("FormatOptions") or {}).get("Csv") or {}).get("Delimiter") or ","
    if output.get("Overwrite"):
        _clear(store, bucket, prefix)
        base = job_name
    else:
        base = f"{job_name}_{stamp(started)}"
        prefix = f"{prefix}{base}/"
    return write_files(table, store, bucket, prefix, base, fmt=fmt, compression=output.get("CompressionFormat"),
                       delimiter=delimiter, partition_columns=list(output.get("PartitionColumns") or []),
                       max_files=output.get("MaxOutputFiles"), con=con, check_cancel=check_cancel)


# --- the Glue Data Catalog ------------------------------------------------------------------------

_PARQUET_SD = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                  "Parameters": {"serialization.format": "1"}},
}


def _s3_uri(location: dict) -> str:
    return f"s3://{location.get('Bucket', '')}/{_folder(location.get('Key', ''))}"


def _split(uri: str) -> tuple[str, str]:
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, _folder(key)


def write_catalog_output(table: pa.Table, out: dict, store: ObjectStore, catalog, *, job_name: str,
                         started: datetime, con, check_cancel=lambda: None) -> tuple[Written, str]:
    """One entry of ``DataCatalogOutputs``: write the files where the table lives and register them.
    A table that does not exist yet is created (Parquet, SNAPPY) at S3Options.Location."""
    database, name = out.get("DatabaseName", ""), out.get("TableName", "")
    if out.get("DatabaseOptions"):
        raise OutputError("ValidationException", "DataCatalogOutputs with DatabaseOptions (JDBC tables) are not "
                                                 "emulated locally; use S3Options.")
    if catalog.get_database(database) is None:
        raise OutputError("EntityNotFoundException", f"Database {database} not found in the Glue Data Catalog")
    existing = catalog.get_table(database, name)
    s3 = (out.get("S3Options") or {}).get("Location")
    if existing is None and not s3:
        raise OutputError("ValidationException", f"Table {database}.{name} does not exist; give S3Options.Location "
                                                 "so the job can create it")
    sd = (existing or {}).get("StorageDescriptor") or {}
    uri = _s3_uri(s3) if s3 else sd.get("Location", "")
    bucket, prefix = _split(uri)
    keys = [k["Name"] for k in (existing or {}).get("PartitionKeys") or []]
    serde = ((sd.get("SerdeInfo") or {}).get("SerializationLibrary") or "parquet").lower()
    fmt = "PARQUET" if "parquet" in serde else "JSON" if "json" in serde else "CSV"
    if out.get("Overwrite"):
        _clear(store, bucket, prefix)
        for part in catalog.get_partitions(database, name) if existing and keys else []:
            catalog.delete_partition(database, name, part["Values"])
    written = write_files(table, store, bucket, prefix, f"{job_name}_{stamp(started)}", fmt=fmt,
                          compression="SNAPPY" if fmt == "PARQUET" else None, delimiter=",", partition_columns=keys,
                          max_files=None, con=con, check_cancel=check_cancel)
    data_cols = [f for f in table.schema if f.name not in keys]
    columns = [{"Name": f.name, "Type": glue_type(f.type)} for f in data_cols]
    try:
        if existing is None:
            catalog.create_table(database, {
                "Name": name, "TableType": "EXTERNAL_TABLE",
                "Parameters": {"classification": "parquet", "compressionType": "snappy", "EXTERNAL": "TRUE",
                               "CreatedByJob": job_name},
                "StorageDescriptor": {"Columns": columns, "Location": uri, **_PARQUET_SD},
                "PartitionKeys": []})
        else:
            updated = dict(existing)
            updated["StorageDescriptor"] = {**sd, "Columns": columns, "Location": uri}
            catalog.update_table(database, updated)
            if keys:
                present = {tuple(p["Values"]) for p in catalog.get_partitions(database, name)}
                new = [vals for vals in written.partitions if tuple(v or NULL_PARTITION for v in vals) not in present]
                catalog.create_partitions(database, name, [{
                    "Values": [v if v is not None else NULL_PARTITION for v in vals],
                    "StorageDescriptor": {**updated["StorageDescriptor"], "Location": uri + "".join(
                        f"{k}={_escape(v)}/" for k, v in zip(keys, vals))}} for vals in new])
    except CatalogError as err:
        raise OutputError(err.code, f"Could not register {database}.{name}: {err.message}") from None
    return written, uri
