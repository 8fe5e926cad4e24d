"""Byte encodings of the data set: fixed-option Parquet, unquoted CSV, vectorised text columns.

Every encoder is deterministic: the same table gives the same bytes (no write times, no
random file ids), which is what makes `generate()` reproducible byte for byte.
"""

import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .schemas import LMS_COLUMNS

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_PAIRS = np.stack([_HEX[np.arange(256) >> 4], _HEX[np.arange(256) & 15]], axis=1)


def parquet_bytes(table: pa.Table) -> bytes:
    """Snappy Parquet with fixed writer options, as DMS full-load files are."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy", version="2.6",
                   data_page_version="1.0", write_statistics=True, use_dictionary=True)
    return sink.getvalue()


def csv_bytes(table_name: str, columns: dict[str, pa.Array | np.ndarray]) -> bytes:
    """Header + rows, comma-delimited, never quoted (Glue LazySimpleSerDe reads it as is).

    Columns are checked against LMS_COLUMNS: same names, same order. pyarrow quotes the
    header even with quoting_style="none", so the header line is written here by hand;
    pyarrow raises if a value holds a comma, quote or newline.
    """
    spec = LMS_COLUMNS[table_name]
    names = [name for name, _ in spec]
    if list(columns) != names:
        raise ValueError(f"{table_name}: columns {list(columns)} != contract {names}")
    arrays = []
    for name, glue in spec:
        values = columns[name]
        if glue == "bigint":
            arrays.append(pa.array(np.asarray(values, dtype=np.int64)))
        elif glue == "double":
            arrays.append(double_text(values))
        else:
            arrays.append(values if isinstance(values, pa.Array) else pa.array(values, pa.string()))
    sink = io.BytesIO()
    sink.write((",".join(names) + "\n").encode())
    table = pa.Table.from_arrays(arrays, names=names)
    if table.num_rows:
        pacsv.write_csv(table, sink, pacsv.WriteOptions(
            include_header=False, delimiter=",", quoting_style="none"))
    return sink.getvalue()


def double_text(values) -> pa.Array:
    """Shortest round-trip text of floats, always with a decimal point (20 -> "20.0")."""
    text = pc.cast(pa.array(np.asarray(values, dtype=np.float64)), pa.string())
    return pc.if_else(pc.match_substring(text, "."), text,
                      pc.binary_join_element_wise(text, ".0", ""))


def int_text(values) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def timestamp_text(epoch_seconds) -> pa.Array:
    """Epoch seconds -> 'YYYY-MM-DD HH:MM:SS' (what Canvas exports and Glue keeps as string)."""
    ts = pa.array(np.asarray(epoch_seconds, dtype=np.int64), pa.timestamp("s"))
    return pc.cast(ts, pa.string())


def date_text(epoch_days) -> pa.Array:
    return pc.cast(pa.array(np.asarray(epoch_days, dtype=np.int32), pa.date32()), pa.string())


def choice_text(options: list[str], idx) -> pa.Array:
    """Dictionary-encoded strings options[idx]: cheap to build, written as plain text."""
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(idx, dtype=np.int32)),
                                          pa.array(options, pa.string()))


def const_text(value: str, n: int) -> pa.Array:
    return choice_text([value], np.zeros(n, dtype=np.int32))


def concat(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and scalar strings."""
    return pc.binary_join_element_wise(*parts, "")


def _fixed_width(chars: np.ndarray) -> pa.Array:
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(np.ascontiguousarray(chars))])


def hex_text(raw: np.ndarray) -> pa.Array:
    """(n, k) uint8 -> n lowercase hex strings of 2k characters."""
    return _fixed_width(_HEX_PAIRS[raw].reshape(len(raw), -1))


def uuid_text(rng: np.random.Generator, n: int) -> pa.Array:
    """n random version-4 UUID strings (8-4-4-4-12), without Python-level loops."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = _HEX_PAIRS[raw].reshape(n, 32)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for src, dst, width in ((0, 0, 8), (8, 9, 4), (12, 14, 4), (16, 19, 4), (20, 24, 12)):
        out[:, dst:dst + width] = hexed[:, src:src + width]
    return _fixed_width(out)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fast, well-spread hash of uint64 keys."""
    z = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
