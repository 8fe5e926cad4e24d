"""unload: UNLOAD (query -> S3), acting as the statement's IAM role.

Writes PARQUET (SNAPPY), CSV, JSON or delimited text, with HEADER, PARTITION BY (… [INCLUDE]),
MANIFEST [VERBOSE], ALLOWOVERWRITE, CLEANPATH, PARALLEL OFF, GZIP and EXTENSION.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq

from ..ports import StoreError, split_s3_uri
from .dialect import parse
from .errors import RedshiftError
from .load import HIVE_NULL, _auth, _s3_error, _store
from .result import duck_type_of
from .sqltext import Options, tokens
from .types import pg_type, text_value

# --- UNLOAD --------------------------------------------------------------------------------------------

def parse_unload(text: str) -> dict:
    m = re.match(r"\s*UNLOAD\s*\(\s*('(?:[^']|'')*')\s*\)\s*TO\s+(.*)$", text, re.I | re.S)
    if not m:
        raise RedshiftError('syntax error at or near "UNLOAD"', "42601",
                            "Write UNLOAD ('select ...') TO 's3://bucket/prefix' IAM_ROLE '...'")
    query = m.group(1)[1:-1].replace("''", "'")
    opts = Options(tokens(m.group(2)))
    spec = {"query": query, "target": opts.string(), "format": "text", "delimiter": None, "header": False,
            "partition": None, "include": False, "manifest": False, "verbose": False, "overwrite": False,
            "cleanpath": False, "parallel": True, "compression": None, "extension": None, "null": "",
            "addquotes": False, "region": None}
    while not opts.done:
        if _auth(opts, None, spec):
            continue
        if opts.accept("FORMAT"):
            opts.accept("AS")
            continue
        if opts.accept("PARQUET"):
            spec["format"] = "parquet"
        elif opts.accept("CSV"):
            spec["format"] = "csv"
        elif opts.accept("JSON"):
            spec["format"] = "json"
        elif opts.accept("PARTITION", "BY"):
            spec["partition"] = opts.ident_list()
            spec["include"] = opts.accept("INCLUDE")
        elif opts.accept("MANIFEST"):
            spec["manifest"] = True
            spec["verbose"] = opts.accept("VERBOSE")
        elif opts.accept("HEADER"):
            spec["header"] = True
        elif opts.accept("DELIMITER"):
            opts.accept("AS")
            spec["delimiter"] = opts.string()
        elif opts.accept("ALLOWOVERWRITE"):
            spec["overwrite"] = True
        elif opts.accept("CLEANPATH"):
            spec["cleanpath"] = True
        elif opts.accept("PARALLEL"):
            spec["parallel"] = not (opts.accept("OFF") or opts.accept("FALSE"))
            opts.accept("ON") or opts.accept("TRUE")
        elif opts.accept("GZIP"):
            spec["compression"] = "gzip"
        elif opts.accept("EXTENSION"):
            spec["extension"] = opts.string().lstrip(".")
        elif opts.accept("NULL"):
            opts.accept("AS")
            spec["null"] = opts.string()
        elif opts.accept("ADDQUOTES"):
            spec["addquotes"] = True
        elif opts.accept("REGION"):
            opts.accept("AS")
            spec["region"] = opts.string()
        elif opts.accept("MAXFILESIZE"):
            opts.accept("AS")
            opts.number()
            opts.accept("MB") or opts.accept("GB")
        elif opts.accept("ROWGROUPSIZE"):
            opts.accept("AS")
            opts.number()
            opts.accept("MB") or opts.accept("GB")
        elif opts.accept("ENCRYPTED") or opts.accept("KMS_KEY_ID"):
            opts.maybe_string()
        elif opts.accept("BZIP2") or opts.accept("ZSTD") or opts.accept("FIXEDWIDTH"):
            raise RedshiftError(f"UNLOAD option {opts.toks[opts.i - 1][1].upper()} is not supported by the local "
                                "Redshift engine", "0A000")
        else:
            raise opts.fail()
    if spec["format"] == "parquet" and (spec["header"] or spec["delimiter"] or spec["compression"]):
        raise RedshiftError("HEADER, DELIMITER and GZIP are not allowed with FORMAT PARQUET", "42601")
    return spec


def unload(session, text: str, query_id: int):
    spec = parse_unload(text)
    try:
        bucket, prefix = split_s3_uri(spec["target"])
    except ValueError:
        raise RedshiftError(f"Invalid S3 URL: {spec['target']}", "22023") from None
    store = _store(session, spec, "UNLOAD", spec["region"])
    tree = session.binder().prepare(parse(spec["query"]))
    result = session.query(session.binder().select_sql(tree))
    table = result.table
    try:
        existing = [o.key for o in store.list_objects(bucket, prefix)]
    except StoreError as e:
        raise _s3_error(e, spec["target"]) from None
    if existing and spec["cleanpath"]:
        for key in existing:
            store.delete_object(bucket, key)
    elif existing and not spec["overwrite"]:
        raise RedshiftError("Specified unload destination on S3 is not empty. Consider using a different bucket / "
                            "prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option.",
                            "XX000")
    groups = _partitions(table, spec["partition"], spec["include"]) if spec["partition"] else [("", table)]
    written = []
    for folder, part in groups:
        base = (prefix.rstrip("/") + "/" + folder) if spec["partition"] else prefix
        key = base + ("0000_part_00" if spec["parallel"] else "000") + _suffix(spec)
        data = _encode(part, spec)
        try:
            store.put_object(bucket, key, data)
        except StoreError as e:
            raise _s3_error(e, f"s3://{bucket}/{key}") from None
        written.append((f"s3://{bucket}/{key}", len(data), part.num_rows))
    if spec["manifest"]:
        _write_manifest(store, bucket, prefix, written, table, spec)
    return session.tagged("UNLOAD", table.num_rows)


def _suffix(spec: dict) -> str:
    ext = {"parquet": ".parquet", "json": "", "csv": "", "text": ""}[spec["format"]]
    if spec["extension"]:
        ext = "." + spec["extension"]
    if spec["compression"] == "gzip":
        ext += ".gz"
    return ext


def _partitions(table: pa.Table, keys: list[str], include: bool) -> list[tuple[str, pa.Table]]:
    missing = [k for k in keys if k not in table.column_names]
    if missing:
        raise RedshiftError(f'column "{missing[0]}" does not exist in the UNLOAD query', "42703")
    values = [table.column(k).to_pylist() for k in keys]
    groups: dict[tuple, list[int]] = {}
    for i, combo in enumerate(zip(*values)):
        groups.setdefault(combo, []).append(i)
    out = []
    keep = [c for c in table.column_names if include or c not in keys]
    for combo in sorted(groups, key=lambda c: tuple((v is None, str(v)) for v in c)):
        folder = "".join(f"{k}={HIVE_NULL if v is None else text_value(v)}/" for k, v in zip(keys, combo))
        out.append((folder, table.take(pa.array(groups[combo])).select(keep)))
    return out


def _encode(table: pa.Table, spec: dict) -> bytes:
    if spec["format"] == "parquet":
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="snappy")
        return buf.getvalue()
    rows = table.to_pylist()
    buf = io.StringIO()
    if spec["format"] == "json":
        for row in rows:
            buf.write(json.dumps({k: v if isinstance(v, (int, float, bool)) or v is None else text_value(v)
                                  for k, v in row.items()}) + "\n")
    else:
        delim = spec["delimiter"] or ("," if spec["format"] == "csv" else "|")
        if spec["format"] == "csv":
            writer = csv.writer(buf, delimiter=delim, lineterminator="\n")
            if spec["header"]:
                writer.writerow(table.column_names)
            for row in rows:
                writer.writerow(["" if v is None else text_value(v) for v in row.values()])
        else:
            if spec["header"]:
                buf.write(delim.join(table.column_names) + "\n")
            for row in rows:
                cells = [spec["null"] if v is None else text_value(v) for v in row.values()]
                if spec["addquotes"]:
                    cells = ['"' + c.replace('"', '""') + '"' for c in cells]
                buf.write(delim.join(cells) + "\n")
    data = buf.getvalue().encode()
    return gzip.compress(data) if spec["compression"] == "gzip" else data


def _write_manifest(store, bucket: str, prefix: str, written, table: pa.Table, spec: dict) -> None:
    entries = [{"url": url, "meta": {"content_length": size, **({"record_count": rows} if spec["verbose"] else {})}}
               for url, size, rows in written]
    doc: dict = {"entries": entries}
    if spec["verbose"]:
        doc["schema"] = {"elements": [{"name": f.name, "type": {"base": pg_type(duck_type_of(f.type)).sql}}
                                      for f in table.schema]}
        doc["meta"] = {"content_length": sum(s for _, s, _ in written), "record_count": table.num_rows}
        doc["author"] = {"name": "Amazon Redshift", "version": "1.0.0"}
    key = prefix + "manifest"
    try:
        store.put_object(bucket, key, json.dumps(doc, indent=1).encode())
    except StoreError as e:
        raise _s3_error(e, f"s3://{bucket}/{key}") from None
