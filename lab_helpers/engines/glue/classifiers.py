"""Glue's built-in classifiers (Parquet, JSON, CSV) and type inference, over bounded reads.

Each object is classified from a bounded sample, as the crawler does: the Parquet footer only;
for text, the first MiB (CSV: at most the first 1,000 records of it; JSON: up to 10 MiB when
the first MiB holds no complete record). ``classify(read, size)`` takes ``read(start, end)``
returning bytes [start, end) so callers choose how objects are fetched.

Sources: built-in classifier order and CSV header rules
(https://docs.aws.amazon.com/glue/latest/dg/add-classifier.html); sample sizes
(https://repost.aws/knowledge-center/glue-crawler-detect-schema); JSON integers as ``int``
(example in https://docs.aws.amazon.com/glue/latest/dg/crawler-grouping-policy.html); CSV
integers as ``bigint`` and timestamps as ``string`` (the workshop's crawled ``requests``).
"""
from __future__ import annotations

import bz2
import csv
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .types import arrow_to_glue, json_type, merge_columns

Reader = Callable[[int, int], bytes]

SAMPLE_BYTES = 1 << 20            # "the first megabyte"
JSON_MAX_BYTES = 10 << 20         # JSON: "up to 10 MB ... in increments of 1 MB"
MAX_RECORDS = 1000                # CSV: "the first 1000 records or the first 1 MB"
PARQUET_TAIL = 64 << 10           # one ranged read usually holds the whole footer
CSV_DELIMITERS = (",", "|", "\t", ";", "\x01")   # the order Glue's docs list them in
HEADER_CELL_MAX = 150

# --- the result -------------------------------------------------------------------------------

@dataclass
class FileSchema:
    """What a classifier found in one object (or, merged, in a group of objects)."""
    classification: str                       # csv | json | parquet | UNKNOWN
    columns: list = field(default_factory=list)   # [(name, type)] in file order
    record_count: int = 0                     # exact for Parquet, else estimated from the sample
    sample_bytes: int = 0                     # bytes of records the estimate is based on
    sample_records: int = 0
    compression: str = "none"
    delimiter: str = ""
    header: bool = False
    quoted: bool = False
    header_bytes: int = 0                     # a CSV header line, not a record
    reason: str = ""                          # why UNKNOWN

    def compatibility_key(self) -> tuple:
        """Glue's "data compatibility": same format, compression and CSV shape."""
        return (self.classification, self.compression, self.delimiter, self.header, self.quoted)

    def names(self) -> list[str]:
        return [n for n, _ in self.columns]


def unknown(reason: str) -> FileSchema:
    return FileSchema("UNKNOWN", reason=reason)


def classify(read: Reader, size: int) -> FileSchema:
    """Run the built-in classifiers in Glue's order; the first that recognises the data wins."""
    if size <= 0:
        return unknown("empty object")
    magic = read(0, min(size, 4))
    if magic == b"PAR1":
        return classify_parquet(read, size)
    if magic[:4] == b"Obj\x01":
        return unknown("Avro is not emulated by the local crawler")
    if magic[:3] == b"ORC":
        return unknown("ORC is not emulated by the local crawler")
    raw = read(0, min(size, SAMPLE_BYTES))
    compression, text, truncated, ratio = _decode_sample(raw, size)
    if text is None:
        return unknown("binary content that no built-in classifier recognises")
    result = classify_json(text, truncated)
    if result is None and truncated and compression == "none" and size > SAMPLE_BYTES \
            and text.lstrip()[:1] in ("{", "["):
        # No complete JSON record in the first MiB: read on, as the crawler does (up to 10 MB).
        _, text2, truncated, ratio = _decode_sample(read(0, min(size, JSON_MAX_BYTES)), size,
                                                    JSON_MAX_BYTES)
        result = classify_json(text2, truncated) if text2 is not None else None
    if result is None:
        result = classify_csv(text, truncated)
    if result is None:
        return unknown("no built-in classifier (Parquet, JSON, CSV) recognised the content")
    result.compression = compression
    if truncated or result.sample_records >= MAX_RECORDS:
        result.record_count = estimate_records(result, size * ratio)
    else:
        result.record_count = result.sample_records
    return result


def _decode_sample(raw: bytes, size: int, limit: int = SAMPLE_BYTES):
    """(compression, text, truncated, bytes of text per object byte); text None if binary."""
    compression, data, consumed = "none", raw, len(raw)
    try:
        if raw[:2] == b"\x1f\x8b":
            compression = "gzip"
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = d.decompress(raw, limit)
            consumed = len(raw) - len(d.unconsumed_tail)
        elif raw[:3] == b"BZh":
            compression = "bzip2"
            data = bz2.BZ2Decompressor().decompress(raw, limit)
    except (zlib.error, OSError, EOFError, ValueError):
        return compression, None, False, 1.0
    truncated = consumed < size or (compression != "none" and len(data) >= limit)
    ratio = len(data) / consumed if consumed else 1.0
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", errors="replace")
    if truncated:  # drop the partial last record (a multi-byte char may be cut too)
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut >= 0 else text
    sample = text[:4096]
    if not text or "\x00" in sample or sample.count("\ufffd") > len(sample) // 100 + 1:
        return compression, None, truncated, ratio
    return compression, text, truncated, ratio


def estimate_records(schema: FileSchema, text_bytes: float) -> int:
    """The crawler's estimate: (uncompressed) object size / the sample's average record size."""
    if not schema.sample_records or not schema.sample_bytes:
        return schema.sample_records
    avg = schema.sample_bytes / schema.sample_records
    records = round(max(0.0, text_bytes - schema.header_bytes) / avg)
    return max(schema.sample_records, records) if text_bytes >= schema.sample_bytes else records


# --- Parquet ----------------------------------------------------------------------------------

def classify_parquet(read: Reader, size: int) -> FileSchema:
    """Schema and exact row count from the footer alone ("reads the schema at the end")."""
    if size < 12:
        return unknown("too small to be Parquet")
    tail = read(max(0, size - PARQUET_TAIL), size)
    if tail[-4:] != b"PAR1":
        return unknown("Parquet header without a Parquet footer (truncated file?)")
    meta_len = int.from_bytes(tail[-8:-4], "little")
    if meta_len + 12 > size:
        return unknown("corrupt Parquet footer length")
    if meta_len + 8 > len(tail):
        tail = read(size - meta_len - 8, size)
    try:
        meta = pq.read_metadata(pa.BufferReader(b"PAR1" + tail[-(meta_len + 8):]))
        schema = meta.schema.to_arrow_schema()
    except (pa.ArrowException, OSError, ValueError) as exc:
        return unknown(f"unreadable Parquet footer: {exc}")
    columns = [(f.name.lower(), arrow_to_glue(f.type)) for f in schema]
    rows = meta.num_rows
    return FileSchema("parquet", columns, record_count=rows, sample_bytes=size, sample_records=rows)


# --- JSON -------------------------------------------------------------------------------------

def classify_json(text: str, truncated: bool) -> FileSchema | None:
    """JSON lines (one object per line) or a single JSON document; None if not JSON."""
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "{[":
        return None
    records, sampled, bad = [], 0, 0
    for line in text.splitlines(keepends=True):
        if not line.strip():
            continue
        if len(records) >= MAX_RECORDS:
            break
        try:
            value = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if not isinstance(value, dict):
            bad += 1
            continue
        records.append(value)
        sampled += len(line.encode())
    if records and bad <= max(1, len(records) // 10):
        cols = merge_columns([[(k.lower(), json_type(v)) for k, v in r.items()] for r in records])
        return FileSchema("json", cols, sample_bytes=sampled, sample_records=len(records))
    if truncated:
        return None
    try:  # one (pretty-printed) document
        doc = json.loads(text)
    except ValueError:
        return None
    if isinstance(doc, dict):
        cols = [(k.lower(), json_type(v)) for k, v in doc.items()]
    elif isinstance(doc, list):
        # Glue's known quirk: a top-level array becomes one column named "array".
        cols = [("array", json_type(doc))]
    else:
        return None
    return FileSchema("json", cols, sample_bytes=len(text.encode()), sample_records=1)


# --- CSV --------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def csv_value_type(value: str):
    """Glue's CSV checks, in order: boolean, bigint, double, else string; blanks are null."""
    v = value.strip()
    if not v:
        return None
    if v.lower() in ("true", "false"):
        return "boolean"
    if _INT_RE.fullmatch(v):
        return "bigint" if -(2 ** 63) <= int(v) < 2 ** 63 else "double"
    if _FLOAT_RE.fullmatch(v):
        return "double"
    return "string"


def _column_types(rows: list[list[str]], width: int) -> list:
    """Per column, the type every non-blank value parses as (vectorised: 1,000 rows x N columns)."""
    types: list = []
    for i in range(width):
        values = pc.utf8_trim_whitespace(pa.array([row[i] for row in rows], pa.string()))
        values = values.filter(pc.not_equal(values, ""))
        if len(values) == 0:
            types.append(None)
        elif pc.all(pc.match_substring_regex(values, r"^(?i:true|false)$")).as_py():
            types.append("boolean")
        elif pc.all(pc.match_substring_regex(values, r"^[+-]?\d+$")).as_py():
            longest = pc.max(pc.utf8_length(values)).as_py()
            fits = longest < 19 or all(-(2 ** 63) <= int(v) < 2 ** 63 for v in values.to_pylist())
            types.append("bigint" if fits else "double")
        elif pc.all(pc.match_substring_regex(values, _FLOAT_RE.pattern.join("^$"))).as_py():
            types.append("double")
        else:
            types.append("string")
    return types


def _parse(lines: list[str], delimiter: str) -> list[list[str]]:
    rows = []
    try:
        for row in csv.reader(lines, delimiter=delimiter, quotechar='"'):
            if row:
                rows.append(row)
    except csv.Error:
        pass
    return rows


def _best_delimiter(lines: list[str]):
    best = None
    for delim in CSV_DELIMITERS:
        if not any(delim in line for line in lines[:20]):
            continue
        rows = _parse(lines, delim)
        if len(rows) < 2:
            continue
        width, count = Counter(len(r) for r in rows).most_common(1)[0]
        consistency = count / len(rows)
        if width < 2 or consistency < 0.8:  # tolerate a few malformed rows, not a wrong delimiter
            continue
        score = (consistency, width)
        if best is None or score > best[0]:
            best = (score, delim, rows, width)
    return best


def _is_header(first: list[str], data_types: list) -> bool:
    """Glue's rules: every cell a string (not numeric/boolean), < 150 chars except the last
    (which may be empty for a trailing delimiter), and some data column typed non-string."""
    last = len(first) - 1
    for i, cell in enumerate(first):
        cell = cell.strip()
        if not cell:
            if i == last:
                continue
            return False
        if csv_value_type(cell) != "string" or (i < last and len(cell) >= HEADER_CELL_MAX):
            return False
        if "\n" in cell or "\r" in cell:
            return False
    return any(t not in (None, "string") for t in data_types)


def classify_csv(text: str, truncated: bool) -> FileSchema | None:
    """Delimited text with >= 2 columns and >= 2 rows; None if it is not."""
    lines = text.splitlines(keepends=True)[: MAX_RECORDS + 1]
    found = _best_delimiter(lines)
    if found is None:
        return None
    _, delim, rows, width = found
    rows = [r for r in rows if len(r) == width]  # a malformed row is tolerated, not typed
    if len(rows) < 2:
        return None
    data_types = _column_types(rows[1:], width)
    header = _is_header(rows[0], data_types)
    if header:
        names, types, data_rows = _header_names(rows[0]), data_types, rows[1:]
    else:
        names, types, data_rows = [f"col{i}" for i in range(width)], _column_types(rows, width), rows
    quote_re = re.compile(r'(?m)(^|' + re.escape(delim) + r')[ \t]*"')
    body = "".join(lines[1 if header else 0:])
    quoted = '"' in body and quote_re.search(body) is not None
    used_lines = lines[1:] if header else lines
    sampled = sum(len(line.encode()) for line in used_lines[: len(data_rows)])
    return FileSchema("csv", list(zip(names, types)), sample_bytes=sampled,
                      sample_records=len(data_rows), delimiter=delim, header=header, quoted=quoted,
                      header_bytes=len(lines[0].encode()) if header else 0)


def _header_names(cells: list[str]) -> list[str]:
    names, seen = [], Counter()
    for i, cell in enumerate(cells):
        name = cell.strip().lower() or f"col{i}"
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name] - 1}")
    return names


def with_estimate(schema: FileSchema, size: int) -> FileSchema:
    """The schema of a sibling object not read (S3Target.SampleSize), records scaled by size."""
    return replace(schema, record_count=estimate_records(schema, size))
