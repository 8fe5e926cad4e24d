"""reader: a DataBrew dataset (S3 files or a Glue Data Catalog table) loaded as one Arrow table.

Bytes come through the ObjectStore the job acts with (so iam_lite's KMS checks apply to every
object read); parsing is pyarrow's, in memory. DuckDB never opens a file.
"""
from __future__ import annotations

import io
import json
import posixpath
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from ..ports import (
    NoSuchBucket,
    NoSuchKey,
    ObjectStore,
    StoreAccessDenied,
    StoreError,
    split_s3_uri,
)
from .types import arrow_from_hive

FORMATS = ("CSV", "JSON", "PARQUET", "EXCEL", "ORC")
_EXTENSIONS = {".csv": "CSV", ".tsv": "CSV", ".txt": "CSV", ".json": "JSON", ".jsonl": "JSON",
               ".parquet": "PARQUET", ".orc": "ORC", ".xlsx": "EXCEL", ".xls": "EXCEL"}
_COMPRESSION = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".snappy": None, ".zst": "zstd", ".lz4": "lz4"}


class DatasetError(Exception):
    """The dataset could not be read; ``code`` is AWS's (AccessDenied, NoSuchKey, EntityNotFoundException...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Source:
    """Where the rows came from (for logs and the profile's ``location``)."""
    uris: list[str]
    size: int = 0


def _store_error(err: StoreError, uri: str) -> DatasetError:
    if isinstance(err, StoreAccessDenied) or err.code == "AccessDenied":
        return DatasetError("AccessDenied", f"Access Denied reading {uri} (Service: Amazon S3; Status Code: 403; "
                                            f"Error Code: AccessDenied): {err.message}")
    if isinstance(err, NoSuchBucket):
        return DatasetError("NoSuchBucket", f"The specified bucket does not exist: {uri}")
    if isinstance(err, NoSuchKey):
        return DatasetError("NoSuchKey", f"The specified key does not exist: {uri}")
    return DatasetError(err.code, f"{err.code} reading {uri}: {err.message}")


def _hidden(relative: str) -> bool:
    return any(p.startswith(("_", ".")) for p in relative.split("/") if p) or relative.endswith("_$folder$")


def list_keys(store: ObjectStore, bucket: str, key: str) -> list[tuple[str, int]]:
    """The objects a dataset's S3 key names: the object itself, or every data object under the folder."""
    uri = f"s3://{bucket}/{key}"
    try:
        found = store.list_objects(bucket, key)
    except StoreError as err:
        raise _store_error(err, uri) from None
    exact = [o for o in found if o.key == key and o.size > 0]
    if exact:
        return [(key, exact[0].size)]
    prefix = key if not key or key.endswith("/") else key + "/"
    out = [(o.key, o.size) for o in found
           if o.key.startswith(prefix) and o.size > 0 and not o.key.endswith("/") and not _hidden(o.key[len(prefix):])]
    if not out:
        raise DatasetError("NoSuchKey", f"No data files found at {uri}")
    return out


def _format_of(key: str, declared: str | None) -> str:
    if declared:
        return declared.upper()
    base, ext = posixpath.splitext(key.lower())
    if ext in _COMPRESSION:
        ext = posixpath.splitext(base)[1]
    return _EXTENSIONS.get(ext, "CSV")


def _decompressed(key: str, data: bytes) -> bytes:
    ext = posixpath.splitext(key.lower())[1]
    codec = _COMPRESSION.get(ext)
    if not codec:
        return data
    with pa.CompressedInputStream(pa.BufferReader(data), codec) as stream:
        return stream.read()


def parse(data: bytes, key: str, fmt: str, options: dict | None = None, *, all_strings: bool = False,
          column_names: list[str] | None = None, skip_rows: int = 0) -> pa.Table:
    """One object's bytes as an Arrow table. ``options`` is the dataset's FormatOptions."""
    options = options or {}
    fmt = fmt.upper()
    if fmt == "PARQUET":
        return pq.read_table(pa.BufferReader(data))
    if fmt == "ORC":
        from pyarrow import orc

        return orc.ORCFile(pa.BufferReader(data)).read()
    if fmt == "EXCEL":
        raise DatasetError("UnsupportedFormat", "EXCEL datasets are not emulated locally (no spreadsheet reader "
                                                "is installed); save the sheet as CSV and point the dataset at it.")
    data = _decompressed(key, data)
    if fmt == "JSON":
        if (options.get("Json") or {}).get("MultiLine"):
            doc = json.loads(data)
            return pa.Table.from_pylist(doc if isinstance(doc, list) else [doc])
        return pajson.read_json(pa.BufferReader(data))
    csv_opts = options.get("Csv") or {}
    header = csv_opts.get("HeaderRow", True) if column_names is None else False
    read = pacsv.ReadOptions(autogenerate_column_names=not header and column_names is None,
                             column_names=column_names, skip_rows=skip_rows)
    parse_opts = pacsv.ParseOptions(delimiter=csv_opts.get("Delimiter") or ",", newlines_in_values=True)
    convert = pacsv.ConvertOptions(strings_can_be_null=False,
                                   column_types=None if not all_strings else _all_strings(data, read, parse_opts))
    try:
        table = pacsv.read_csv(io.BytesIO(data), read_options=read, parse_options=parse_opts, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise DatasetError("InvalidInput", f"Could not parse {key} as CSV: {exc}") from None
    if not header and column_names is None:   # DataBrew names header-less columns Column_1, Column_2, ...
        table = table.rename_columns([f"Column_{i + 1}" for i in range(table.num_columns)])
    return table


def _all_strings(data: bytes, read: pacsv.ReadOptions, parse_opts: pacsv.ParseOptions) -> dict:
    if read.column_names:
        return {c: pa.string() for c in read.column_names}
    head = pacsv.read_csv(io.BytesIO(data[:65536].rsplit(b"\n", 1)[0] or data), read_options=read,
                          parse_options=parse_opts)
    return {c: pa.string() for c in head.column_names}


def concat(tables: list[pa.Table]) -> pa.Table:
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


def read_s3(store: ObjectStore, bucket: str, key: str, fmt: str | None = None, options: dict | None = None,
            files_limit: int | None = None) -> tuple[pa.Table, Source]:
    keys = list_keys(store, bucket, key)
    if files_limit:
        keys = keys[-files_limit:]
    tables, source = [], Source([])
    for k, size in keys:
        uri = f"s3://{bucket}/{k}"
        try:
            data = store.get_object(bucket, k)
        except StoreError as err:
            raise _store_error(err, uri) from None
        tables.append(parse(data, k, _format_of(k, fmt), options))
        source.uris.append(uri)
        source.size += size
    return concat(tables), source


# --- the Glue Data Catalog -------------------------------------------------------------------

def _storage_format(sd: dict) -> str:
    serde = ((sd.get("SerdeInfo") or {}).get("SerializationLibrary") or "").lower()
    informat = (sd.get("InputFormat") or "").lower()
    for kind in ("parquet", "orc"):
        if kind in serde or kind in informat:
            return kind.upper()
    if "json" in serde:
        return "JSON"
    return "CSV"


def _csv_options(table: dict, sd: dict) -> tuple[dict, int]:
    params = (sd.get("SerdeInfo") or {}).get("Parameters") or {}
    delim = params.get("field.delim") or params.get("separatorChar") or ","
    skip = int((table.get("Parameters") or {}).get("skip.header.line.count", "0") or 0)
    return {"Csv": {"Delimiter": delim, "HeaderRow": False}}, skip


def read_catalog(store: ObjectStore, catalog, database: str, name: str, con) -> tuple[pa.Table, Source]:
    """A catalog table's rows with the catalog's column names and types, partition columns last."""
    table = catalog.get_table(database, name)
    if table is None:
        raise DatasetError("EntityNotFoundException", f"Table {name} not found in database {database} of the "
                                                       "Glue Data Catalog")
    sd = table.get("StorageDescriptor") or {}
    columns = [(c["Name"], c.get("Type", "string")) for c in sd.get("Columns") or []]
    keys = [(k["Name"], k.get("Type", "string")) for k in table.get("PartitionKeys") or []]
    fmt = _storage_format(sd)
    options, skip = _csv_options(table, sd) if fmt == "CSV" else ({}, 0)
    if keys:
        places = [((p.get("StorageDescriptor") or {}).get("Location") or "", p.get("Values") or [])
                  for p in catalog.get_partitions(database, name)]
    else:
        places = [(sd.get("Location") or "", [])]
    pieces, source = [], Source([])
    for location, values in places:
        try:
            bucket, prefix = split_s3_uri(location)
        except ValueError:
            raise DatasetError("InvalidInput", f"Table {database}.{name} has no S3 location ({location!r})") from None
        try:
            keys_here = list_keys(store, bucket, prefix.rstrip("/") + "/" if prefix else "")
        except DatasetError as err:
            if err.code == "NoSuchKey":   # an empty partition
                continue
            raise
        for k, size in keys_here:
            uri = f"s3://{bucket}/{k}"
            try:
                data = store.get_object(bucket, k)
            except StoreError as err:
                raise _store_error(err, uri) from None
            if fmt == "CSV":
                part = parse(data, k, "CSV", options, all_strings=True, column_names=[c for c, _ in columns],
                             skip_rows=skip)
            else:
                part = parse(data, k, fmt)
            for (key_name, _), value in zip(keys, values):
                part = part.append_column(key_name, pa.array([value] * part.num_rows, pa.string()))
            pieces.append(part)
            source.uris.append(uri)
            source.size += size
    wanted = columns + keys
    if not pieces:
        return pa.table({c: pa.array([], arrow_from_hive(t) or pa.string()) for c, t in wanted}), source
    return _typed(concat(pieces), wanted, con), source


def _typed(table: pa.Table, wanted: list[tuple[str, str]], con) -> pa.Table:
    """Select the catalog's columns in order and give them the catalog's types (TRY_CAST, as Hive
    reads a value that does not parse as NULL). Columns whose type already matches are kept as they
    are (no copy); only the others go through DuckDB."""
    from .sandbox import quote

    present = set(table.column_names)
    casts = {name: hive for name, hive in wanted if name in present and arrow_from_hive(hive) is not None
             and table.schema.field(name).type != arrow_from_hive(hive)}
    converted = {}
    if casts:
        cur = con.cursor()
        try:
            cur.register("__catalog_rows", table.select(list(casts)))
            exprs = [f"TRY_CAST({quote(n)} AS {_duck(h)}) AS {quote(n)}" for n, h in casts.items()]
            result = cur.sql(f"SELECT {', '.join(exprs)} FROM __catalog_rows").to_arrow_table().combine_chunks()
            converted = {n: result.column(n) for n in casts}
        finally:
            cur.close()
    columns = []
    for name, hive in wanted:
        if name in converted:
            columns.append(converted[name])
        elif name in present:
            columns.append(table.column(name))
        else:
            columns.append(pa.nulls(table.num_rows, arrow_from_hive(hive) or pa.string()))
    return pa.Table.from_arrays(columns, names=[n for n, _ in wanted])


def _duck(hive: str) -> str:
    text = hive.strip().lower()
    return {"string": "VARCHAR", "int": "INTEGER", "tinyint": "TINYINT", "smallint": "SMALLINT", "bigint": "BIGINT",
            "float": "FLOAT", "double": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
            "timestamp": "TIMESTAMP", "binary": "BLOB"}.get(text, text.upper())


def read_dataset(dataset: dict, store: ObjectStore, catalog, con) -> tuple[pa.Table, Source]:
    """A DescribeDataset answer's rows (S3 or Data Catalog input)."""
    inp = dataset.get("Input") or {}
    if inp.get("S3InputDefinition"):
        s3 = inp["S3InputDefinition"]
        limit = ((dataset.get("PathOptions") or {}).get("FilesLimit") or {}).get("MaxFiles")
        return read_s3(store, s3["Bucket"], s3.get("Key", ""), dataset.get("Format"), dataset.get("FormatOptions"),
                       files_limit=limit)
    if inp.get("DataCatalogInputDefinition"):
        cat = inp["DataCatalogInputDefinition"]
        return read_catalog(store, catalog, cat["DatabaseName"], cat["TableName"], con)
    if inp.get("DatabaseInputDefinition"):
        raise DatasetError("UnsupportedInput", "Datasets on a JDBC database connection are not emulated locally; "
                                               "use an S3 or Glue Data Catalog dataset.")
    raise DatasetError("InvalidInput", f"Dataset {dataset.get('Name')} has no input definition")
