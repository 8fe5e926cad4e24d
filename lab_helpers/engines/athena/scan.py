"""Reading a Glue table's S3 objects in DuckDB with the catalog's types, SerDe and partitions."""
from __future__ import annotations

import functools
import json
import posixpath
import threading
import urllib.parse
from dataclasses import dataclass, field

import pyarrow.parquet as pq

from .errors import error
from .types import HType, parse_hive
from ..ports import NoSuchBucket, ObjectStore, StoreAccessDenied, StoreError, split_s3_uri

HIVE_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


@dataclass
class Scan:
    """A SELECT over one table's files (catalog column names and types, partition keys last)."""
    sql: str
    scanned_bytes: int = 0
    paths: dict[str, str] = field(default_factory=dict)   # local cache file -> s3 URI


@dataclass
class DataFile:
    bucket: str
    key: str
    size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def storage_format(sd: dict) -> str:
    """'parquet' | 'json' | 'csv' (OpenCSVSerde) | 'text' (LazySimpleSerDe) | 'orc' | 'avro' | ..."""
    serde = ((sd.get("SerdeInfo") or {}).get("SerializationLibrary") or "").lower()
    informat = (sd.get("InputFormat") or "").lower()
    for kind in ("parquet", "orc", "avro", "ion"):
        if kind in serde or kind in informat:
            return kind
    if "json" in serde:
        return "json"
    if "opencsv" in serde:
        return "csv"
    if "regex" in serde or "grok" in serde or "cloudtrail" in serde:
        return serde.rsplit(".", 1)[-1]
    return "text"


def is_hidden(relative: str) -> bool:
    """Hive/Athena skip objects whose name (or a folder on the way) starts with ``_`` or ``.``."""
    return any(part.startswith(("_", ".")) for part in relative.split("/") if part) or relative.endswith("_$folder$")


def list_files(store: ObjectStore, location: str) -> list[DataFile]:
    """The data objects under a location, recursively, as Athena reads them."""
    try:
        bucket, prefix = split_s3_uri(location)
    except ValueError:
        raise error("HIVE_METASTORE_ERROR", f"Table location is not an S3 URI: {location!r}") from None
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    try:
        objects = store.list_objects(bucket, prefix)
    except StoreError as e:
        raise s3_error(e, location) from None
    return [DataFile(bucket, o.key, o.size) for o in objects
            if o.size > 0 and not o.key.endswith("/") and not is_hidden(o.key[len(prefix):])]


def s3_error(e: StoreError, where: str):
    if isinstance(e, NoSuchBucket) or e.code == "NoSuchBucket":
        return error("S3_BUCKET_NOT_FOUND", f"HIVE_FILESYSTEM_ERROR: The specified bucket does not exist "
                                            f"(Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket): {where}")
    if isinstance(e, StoreAccessDenied) or e.code == "AccessDenied":
        return error("S3_ACCESS_DENIED", f"Permission denied on S3 path: {where}. {e.message}")
    return error("GENERIC_INTERNAL_ERROR", f"S3 error {e.code} on {where}: {e.message}")


def local_paths(store: ObjectStore, files: list[DataFile], scan: Scan) -> list[str]:
    out = []
    for f in files:
        try:
            path = store.local_path(f.bucket, f.key)
        except StoreError as e:
            raise s3_error(e, f.uri) from None
        scan.paths[path] = f.uri
        out.append(path)
    return out


def escape_partition_value(value: str) -> str:
    """Hive's path escaping of a partition value (``a/b`` -> ``a%2Fb``)."""
    return "".join(f"%{ord(c):02X}" if c in '"#%\'*/:=?\\\x7f{[]^' or ord(c) < 32 else c for c in value)


def partition_path(keys: list[str], values: list[str | None]) -> str:
    return "/".join(f"{k}={escape_partition_value(HIVE_NULL_PARTITION if v is None else v)}"
                    for k, v in zip(keys, values))


def unescape_partition_value(text: str) -> str:
    return urllib.parse.unquote(text)


class TableScanner:
    """Builds the DuckDB SELECT for one table (all files, or the given partitions)."""

    def __init__(self, store: ObjectStore, con):
        self.store, self.con = store, con

    def scan(self, table: dict, partitions: list[dict] | None, needed: set[str] | None) -> Scan:
        sd = table.get("StorageDescriptor") or {}
        columns = [(c["Name"].lower(), c.get("Type") or "string") for c in sd.get("Columns") or []]
        keys = [(k["Name"].lower(), k.get("Type") or "string") for k in table.get("PartitionKeys") or []]
        typed = [(n, _htype(t, n)) for n, t in columns]
        ktyped = [(n, _htype(t, n)) for n, t in keys]
        scan = Scan("")
        parts: list[str] = []
        groups = [(sd, sd.get("Location") or "", [])] if not keys else [
            ({**sd, **{k: v for k, v in (p.get("StorageDescriptor") or {}).items()
                       if k in ("InputFormat", "SerdeInfo", "Location") and v}},
             (p.get("StorageDescriptor") or {}).get("Location") or "", p.get("Values") or [])
            for p in partitions or []]
        tparams = table.get("Parameters") or {}
        pending = []
        for gsd, location, values in groups:
            files = list_files(self.store, location) if location else []
            if files:
                pending.append((gsd, files, values))
        merged = self._merged_text(pending, typed, ktyped, scan, tparams) if len(pending) > 1 else None
        if merged:
            parts.append(merged)
        else:
            for gsd, files, values in pending:
                pexprs = [_partition_expr(name, t, v) for (name, t), v in zip(ktyped, values)]
                parts.append(self._group(gsd, files, typed, pexprs, needed, scan, tparams))
        if not parts:
            cols = [f"CAST(NULL AS {t.duckdb()}) AS {quote_ident(n)}" for n, t in typed + ktyped]
            parts.append(f"SELECT {', '.join(cols) or 'NULL AS _empty'} WHERE false")
        scan.sql = "\nUNION ALL\n".join(parts)
        return scan

    def _group(self, sd, files, typed, pexprs, needed, scan: Scan, tparams: dict) -> str:
        kind = storage_format(sd)
        params = (sd.get("SerdeInfo") or {}).get("Parameters") or {}
        paths = local_paths(self.store, files, scan)
        if kind == "parquet":
            return self._parquet(files, paths, typed, pexprs, needed, scan)
        scan.scanned_bytes += sum(f.size for f in files)
        if kind == "json":
            return self._json(paths, typed, pexprs, params)
        if kind in ("text", "csv"):
            return self._text(kind, paths, typed, pexprs, params, {**(sd.get("Parameters") or {}), **tparams})
        raise error("NOT_SUPPORTED", f"The local Athena engine cannot read {kind.upper()} data "
                                     f"({(sd.get('SerdeInfo') or {}).get('SerializationLibrary')}); "
                                     "use Parquet, JSON or CSV/text tables")

    def _merged_text(self, pending, typed, ktyped, scan: Scan, tparams: dict) -> str | None:
        """One reader over every partition of a text table whose partitions share one SerDe.

        DuckDB then reads all files in parallel (a UNION ALL of one reader per partition runs the
        readers one after another); each row gets its partition values by joining on its file name.
        """
        first = pending[0][0]
        kind = storage_format(first)
        if kind not in ("text", "csv") or any(
                storage_format(g) != kind or (g.get("SerdeInfo") or {}) != (first.get("SerdeInfo") or {})
                for g, _, _ in pending):
            return None
        rows, all_paths = [], []
        for _, files, values in pending:
            exprs = [_partition_value(name, t, v) for (name, t), v in zip(ktyped, values)]
            for path in local_paths(self.store, files, scan):
                rows.append(f"({quote_str(path)}, {', '.join(exprs)})")
                all_paths.append(path)
            scan.scanned_bytes += sum(f.size for f in files)
        names = ", ".join(["_file"] + [quote_ident(name) for name, _ in ktyped])
        params = (first.get("SerdeInfo") or {}).get("Parameters") or {}
        select = self._text(kind, list(dict.fromkeys(all_paths)), typed, [f"_p.{quote_ident(name)}" for name, _ in ktyped], params,
                            {**(first.get("Parameters") or {}), **tparams}, filename=True)
        return f"{select} JOIN (VALUES {', '.join(rows)}) AS _p({names}) ON _r.filename = _p._file"

    def _text(self, kind, paths, typed, pexprs, params, tparams, filename: bool = False) -> str:
        skip = int(params.get("skip.header.line.count") or tparams.get("skip.header.line.count") or 0)
        if kind == "csv":
            delim = params.get("separatorChar", ",")
            quote = params.get("quoteChar", '"')
            escape = params.get("escapeChar", "\\")
            nullstr = "\x00never\x00"
        else:
            fmt = params.get("serialization.format")
            delim = params.get("field.delim") or (fmt if fmt and fmt != "1" else "\x01")
            quote, escape = "", params.get("escape.delim", "")
            nullstr = params.get("serialization.null.format", "\\N")
        cols = "{" + ", ".join(f"{quote_str(f'c{i}')}: 'VARCHAR'" for i in range(len(typed))) + "}"
        reader = (f"read_csv([{', '.join(map(quote_str, paths))}], columns={cols}, header=false, "
                  f"skip={skip}, delim={quote_str(delim)}, quote={quote_str(quote)}, escape={quote_str(escape)}, "
                  f"nullstr={quote_str(nullstr)}, auto_detect=false, strict_mode=false, null_padding=true, "
                  f"parallel=true{', filename=true' if filename else ''})" + (" AS _r" if filename else ""))
        exprs = []
        for i, (name, t) in enumerate(typed):
            src = f"_r.c{i}" if filename else f"c{i}"
            if t.is_string:
                exprs.append(f"{src} AS {quote_ident(name)}")
            elif t.name == "array" and not t.fields[0][1].is_complex:
                sep = params.get("collection.delim") or params.get("colelction.delim", "\x02")  # Hive's legacy typo
                exprs.append(f"list_transform(string_split({src}, {quote_str(sep)}), lambda x: TRY_CAST(x AS "
                             f"{t.fields[0][1].duckdb()})) AS {quote_ident(name)}")
            elif t.is_complex:
                exprs.append(f"TRY_CAST({src} AS {t.duckdb()}) AS {quote_ident(name)}")
            else:
                exprs.append(f"TRY_CAST({src} AS {t.duckdb()}) AS {quote_ident(name)}")
        return f"SELECT {', '.join(exprs + pexprs)} FROM {reader}"

    def _json(self, paths, typed, pexprs, params) -> str:
        ignore = params.get("ignore.malformed.json", "").lower() == "true"
        keys = self._json_keys(tuple(paths), ignore)
        exprs = []
        for name, t in typed:
            mapped = params.get(f"mapping.{name}", name).lower()
            sources = [k for k in keys if k.lower() == mapped]
            if not sources:
                exprs.append(f"CAST(NULL AS {t.duckdb()}) AS {quote_ident(name)}")
                continue
            fn = "json_extract" if t.is_complex else "json_extract_string"
            values = [f"{fn}(json, {quote_str('$.' + json.dumps(k))})" for k in sources]
            src = values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"
            cast = src if t.is_string else f"TRY_CAST({src} AS {t.duckdb()})"
            exprs.append(f"{cast} AS {quote_ident(name)}")
        reader = (f"read_json_objects([{', '.join(map(quote_str, paths))}], format='newline_delimited', "
                  f"ignore_errors={'true' if ignore else 'false'})")
        return f"SELECT {', '.join(exprs + pexprs)} FROM {reader}"

    def _json_keys(self, paths: tuple[str, ...], ignore: bool) -> list[str]:
        """Top-level keys in the files: Hive's JSON SerDes match keys case-insensitively."""
        sql = (f"SELECT DISTINCT unnest(json_keys(json)) FROM read_json_objects([{', '.join(map(quote_str, paths))}], "
               f"format='newline_delimited', ignore_errors={'true' if ignore else 'false'}) "
               f"WHERE json_type(json) = 'OBJECT'")
        return [r[0] for r in self.con.sql(sql).fetchall()]

    def _parquet(self, files, paths, typed, pexprs, needed, scan: Scan) -> str:
        found: dict[str, str] = {}
        for f, path in zip(files, paths):
            meta = parquet_meta(path)
            for name, t in typed:
                field_ = meta.fields.get(name)
                if field_ is None:
                    continue
                found.setdefault(name, field_[0])
                _check_parquet_type(name, t, field_[1], f.uri)
            wanted = [n for n, _ in typed] if needed is None else [n for n, _ in typed if n in needed]
            scan.scanned_bytes += meta.footer + sum(meta.chunk_bytes.get(n, 0) for n in wanted)
        exprs = [(f"CAST({quote_ident(found[name])} AS {t.duckdb()})" if name in found
                  else f"CAST(NULL AS {t.duckdb()})") + f" AS {quote_ident(name)}" for name, t in typed]
        reader = f"read_parquet([{', '.join(map(quote_str, paths))}], union_by_name=true)"
        return f"SELECT {', '.join(exprs + pexprs)} FROM {reader}"


def _htype(text: str, column: str) -> HType:
    try:
        return parse_hive(text)
    except ValueError:
        raise error("HIVE_METASTORE_ERROR", f"Unknown type '{text}' for column '{column}' in the Glue table") from None


def _partition_expr(name: str, t: HType, value: str | None) -> str:
    return f"{_partition_value(name, t, value)} AS {quote_ident(name)}"


def _partition_value(name: str, t: HType, value: str | None) -> str:
    if value is None or value == HIVE_NULL_PARTITION:
        return f"CAST(NULL AS {t.duckdb()})"
    if not t.is_string and not _castable(value, t):
        raise error("HIVE_INVALID_PARTITION_VALUE", f"Invalid partition value '{value}' for "
                                                    f"{t.duckdb()} partition key: {name}={value}")
    return f"CAST({quote_str(value)} AS {t.duckdb()})"


def _castable(value: str, t: HType) -> bool:
    """Whether a partition folder value parses as the partition key's type."""
    import datetime as dt
    import decimal
    parsers = {"tinyint": int, "smallint": int, "int": int, "bigint": int, "float": float, "double": float,
               "decimal": decimal.Decimal, "date": dt.date.fromisoformat, "timestamp": dt.datetime.fromisoformat,
               "boolean": lambda v: {"true": 1, "false": 0}[v.lower()]}
    try:
        parsers.get(t.name, str)(value.strip())
        return True
    except (ValueError, KeyError, ArithmeticError):
        return False


@dataclass
class ParquetMeta:
    fields: dict[str, tuple[str, str]]   # lower name -> (name in file, physical type)
    chunk_bytes: dict[str, int]          # lower name -> compressed bytes over all row groups
    footer: int


_meta_lock = threading.Lock()


@functools.lru_cache(maxsize=8192)
def _parquet_meta_cached(path: str) -> ParquetMeta:
    try:
        md = pq.ParquetFile(path).metadata
    except Exception as e:   # noqa: BLE001 - pyarrow raises several types for a bad file
        raise error("HIVE_CANNOT_OPEN_SPLIT", f"Error opening Hive split: not a valid Parquet file ({e})") from None
    fields: dict[str, tuple[str, str]] = {}
    sizes: dict[str, int] = {}
    schema = md.schema
    for i in range(md.num_columns):
        col = schema.column(i)
        top = col.path.split(".")[0]
        fields.setdefault(top.lower(), (top, col.physical_type))
        for rg in range(md.num_row_groups):
            sizes[top.lower()] = sizes.get(top.lower(), 0) + md.row_group(rg).column(i).total_compressed_size
    return ParquetMeta(fields, sizes, md.serialized_size + 8)


def parquet_meta(path: str) -> ParquetMeta:
    """Footer facts of a cached Parquet file (cache files are immutable: named by etag)."""
    with _meta_lock:
        return _parquet_meta_cached(path)


_COMPATIBLE = {
    "string": ("BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"), "varchar": ("BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"),
    "char": ("BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"), "tinyint": ("INT32",), "smallint": ("INT32",),
    "int": ("INT32",), "bigint": ("INT32", "INT64"), "float": ("FLOAT",), "double": ("FLOAT", "DOUBLE"),
    "boolean": ("BOOLEAN",), "date": ("INT32",), "timestamp": ("INT64", "INT96"),
    "binary": ("BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"),
    "decimal": ("INT32", "INT64", "FIXED_LEN_BYTE_ARRAY", "BYTE_ARRAY"),
}


def _check_parquet_type(name: str, t: HType, physical: str, uri: str) -> None:
    """Athena refuses a Parquet column whose stored type does not fit the Glue column type."""
    allowed = _COMPATIBLE.get(t.name)
    if allowed and physical not in allowed:
        raise error("HIVE_BAD_DATA", f"Field {name}'s type {physical} in parquet file {uri} is incompatible "
                                     f"with type {t.hive()} defined in table schema")


def relative_key(location: str, key: str) -> str:
    _, prefix = split_s3_uri(location)
    prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    return posixpath.relpath(key, prefix) if prefix else key
