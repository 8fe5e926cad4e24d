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

Reader = Callable[[int, int], bytes]

SAMPLE_BYTES = 1 << 20            # "the first megabyte"
JSON_MAX_BYTES = 10 << 20         # JSON: "up to 10 MB ... in increments of 1 MB"
MAX_RECORDS = 1000                # CSV: "the first 1000 records or the first 1 MB"
PARQUET_TAIL = 64 << 10           # one ranged read usually holds the whole footer
CSV_DELIMITERS = (",", "|", "\t", ";", "\x01")   # the order Glue's docs list them in
HEADER_CELL_MAX = 150

# --- the type lattice -------------------------------------------------------------------------
# A type is a Glue scalar name ("bigint", "decimal(10,2)"), ("array", elem),
# ("struct", ((name, type), ...)), ("map", key, value), or None for "only nulls seen".

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
    return max(schema.sample_records, round(text_bytes / avg)) if text_bytes >= schema.sample_bytes \
        else round(text_bytes / avg)


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


# --- JSON -------------------------------------------------------------------------------------

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
        return ("array", elem if elem is not None else "string")
    return None


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
                      sample_records=len(data_rows), delimiter=delim, header=header, quoted=quoted)


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
