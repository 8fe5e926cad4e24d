"""glue_classifiers: Glue's built-in CSV / JSON / Parquet classifiers on bounded samples."""
import datetime as dt
import decimal
import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lab_helpers.engines.glue.classifiers import SAMPLE_BYTES, classify
from lab_helpers.engines.glue.types import render_type


def reader(data: bytes, calls: list | None = None):
    def read(start, end):
        if calls is not None:
            calls.append((start, end))
        return data[start:end]
    return read


def run(data: bytes, calls=None):
    return classify(reader(data, calls), len(data))


def typed(schema):
    return [(n, render_type(t)) for n, t in schema.columns]


# --- CSV ----------------------------------------------------------------------------------------

def test_csv_header_is_detected_when_data_rows_have_typed_columns():
    s = run(b"id,name,score,active\n1,ann,2.5,true\n2,bob,3,false\n")
    assert s.classification == "csv" and s.header and s.delimiter == ","
    assert typed(s) == [("id", "bigint"), ("name", "string"), ("score", "double"), ("active", "boolean")]
    assert s.record_count == 2


def test_csv_all_string_columns_get_col0_names_and_no_header():
    s = run(b"name,city\nann,paris\nbob,rome\n")
    assert s.classification == "csv" and not s.header
    assert typed(s) == [("col0", "string"), ("col1", "string")]
    assert s.record_count == 3   # the first row is data


def test_csv_header_names_are_lower_cased_and_de_duplicated():
    s = run(b"Id,Name,NAME\n1,a,b\n2,c,d\n")
    assert s.names() == ["id", "name", "name_1"]


def test_csv_numeric_first_row_is_data_not_header():
    s = run(b"1,2\n3,4\n5,6\n")
    assert not s.header and typed(s) == [("col0", "bigint"), ("col1", "bigint")]


@pytest.mark.parametrize("delim", ["|", "\t", ";", "\x01", ","])
def test_csv_delimiter_detection(delim):
    rows = [["id", "label", "value"], ["1", "a,b", "0.5"], ["2", "c", "1.5"]] if delim != "," else \
        [["id", "label", "value"], ["1", "a;b", "0.5"], ["2", "c|d", "1.5"]]
    data = "".join(delim.join(r) + "\n" for r in rows).encode()
    s = run(data)
    assert s.classification == "csv" and s.delimiter == delim
    assert typed(s) == [("id", "bigint"), ("label", "string"), ("value", "double")]


def test_csv_quoted_values_keep_embedded_delimiters_and_are_flagged():
    s = run(b'id,comment,amount\n1,"hello, world",10\n2,"a ""quoted"" word",20\n')
    assert s.quoted and s.header
    assert typed(s) == [("id", "bigint"), ("comment", "string"), ("amount", "bigint")]


def test_csv_type_inference_and_widening_within_a_column():
    data = (b"a,b,c,d,e,f\n"
            b"1,1,true,x,,2020-08-17 10:00:00\n"
            b"2,2.5,FALSE,1,,2020-08-18 11:00:00\n"
            b"3,+4e3,true,2,,2020-08-19 12:00:00\n"
            b"99999999999999999999,-7,false,y,,2020-08-20 13:00:00\n")
    s = run(data)
    assert typed(s) == [("a", "double"), ("b", "double"), ("c", "boolean"), ("d", "string"),
                        ("e", "string"), ("f", "string")]   # timestamps stay string, as Glue's CSV does


def test_csv_malformed_row_is_tolerated():
    rows = [b"%d,n%d,%d.5\n" % (i, i, i) for i in range(8)]
    rows.insert(4, b"this row, has, far, too, many\n")
    data = b"id,name,score\n" + b"".join(rows)
    s = run(data)
    assert s.classification == "csv" and s.header
    assert typed(s) == [("id", "bigint"), ("name", "string"), ("score", "double")]


def test_csv_needs_two_columns_and_two_rows():
    assert run(b"just one column\nsecond line\nthird\n").classification == "UNKNOWN"
    assert run(b"a,b,c\n").classification == "UNKNOWN"


def test_large_csv_is_classified_from_a_bounded_sample_with_an_estimated_record_count():
    row = b"12345,some text value,3.25,2020-08-17 10:00:00\n"
    data = b"id,text,value,ts\n" + row * (50_000_000 // len(row))
    calls = []
    s = run(data, calls)
    assert s.classification == "csv" and s.header
    assert max(end - start for start, end in calls) <= SAMPLE_BYTES
    actual = data.count(b"\n") - 1
    assert abs(s.record_count - actual) / actual < 0.01
    assert s.sample_records == 1000


def test_gzip_csv_is_decompressed_and_marked():
    s = run(gzip.compress(b"id,name\n1,a\n2,b\n"))
    assert s.classification == "csv" and s.compression == "gzip"
    assert typed(s) == [("id", "bigint"), ("name", "string")]


# --- JSON ---------------------------------------------------------------------------------------

def test_json_lines_with_nested_structs_and_arrays():
    lines = [
        {"id": 1, "user": {"name": "ann", "age": 30}, "tags": ["a", "b"], "score": 1.5, "ok": True},
        {"id": 2, "user": {"name": "bob", "email": "b@x"}, "tags": [], "score": 2, "ok": False,
         "big": 2 ** 40},
        {"id": 3, "user": None, "tags": ["c"], "score": 3, "ok": True, "big": None, "nothing": None},
    ]
    s = run("\n".join(json.dumps(x) for x in lines).encode())
    assert s.classification == "json" and s.record_count == 3
    assert typed(s) == [
        ("id", "int"), ("user", "struct<name:string,age:int,email:string>"), ("tags", "array<string>"),
        ("score", "double"), ("ok", "boolean"), ("big", "bigint"), ("nothing", "string")]


def test_json_single_document_and_top_level_array():
    doc = run(json.dumps({"A": 1, "B": [1, 2]}, indent=2).encode())
    assert doc.classification == "json" and typed(doc) == [("a", "int"), ("b", "array<int>")]
    arr = run(json.dumps([{"a": 1}, {"a": 2, "b": "x"}]).encode())
    assert typed(arr) == [("array", "array<struct<a:int,b:string>>")]   # Glue's known quirk


def test_json_type_conflicts_become_string():
    s = run(b'{"a": 1, "b": {"x": 1}}\n{"a": "one", "b": 5}\n')
    assert typed(s) == [("a", "string"), ("b", "string")]


# --- Parquet ------------------------------------------------------------------------------------

def parquet_bytes(table: pa.Table, **kw) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **kw)
    return sink.getvalue()


def test_parquet_types_map_to_glue_types():
    t = pa.table({
        "i8": pa.array([1], pa.int8()), "i16": pa.array([1], pa.int16()), "i32": pa.array([1], pa.int32()),
        "i64": pa.array([1], pa.int64()), "f": pa.array([1.0], pa.float32()), "d": pa.array([1.0]),
        "b": pa.array([True]), "s": pa.array(["x"]), "dt": pa.array([dt.date(2020, 1, 1)]),
        "ts": pa.array([dt.datetime(2020, 1, 1)], pa.timestamp("us")),
        "dec": pa.array([decimal.Decimal("1.25")], pa.decimal128(10, 2)), "bin": pa.array([b"x"]),
        "lst": pa.array([[1, 2]], pa.list_(pa.int64())),
        "st": pa.array([{"x": 1, "y": "a"}], pa.struct([("x", pa.int32()), ("y", pa.string())])),
        "mp": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64())),
        "Upper": pa.array([1], pa.int16()),
    })
    s = run(parquet_bytes(t))
    assert s.classification == "parquet" and s.record_count == 1
    assert typed(s) == [
        ("i8", "tinyint"), ("i16", "smallint"), ("i32", "int"), ("i64", "bigint"), ("f", "float"),
        ("d", "double"), ("b", "boolean"), ("s", "string"), ("dt", "date"), ("ts", "timestamp"),
        ("dec", "decimal(10,2)"), ("bin", "binary"), ("lst", "array<bigint>"),
        ("st", "struct<x:int,y:string>"), ("mp", "map<string,bigint>"), ("upper", "smallint")]


def test_parquet_is_read_from_its_footer_only():
    t = pa.table({"x": pa.array(range(300_000), pa.int64()), "y": pa.array([str(i) for i in range(300_000)])})
    data = parquet_bytes(t, compression="none")
    assert len(data) > 2 * SAMPLE_BYTES
    calls = []
    s = run(data, calls)
    assert s.record_count == 300_000 and typed(s) == [("x", "bigint"), ("y", "string")]
    assert sum(end - start for start, end in calls) < 100_000
    assert all(start == 0 and end <= 4 or start >= len(data) - 70_000 for start, end in calls)


def test_truncated_parquet_and_garbage_are_unknown():
    data = parquet_bytes(pa.table({"x": [1, 2]}))
    assert run(data[:-10]).classification == "UNKNOWN"
    assert run(bytes(range(256)) * 100).classification == "UNKNOWN"
    assert run(b"\x00\x01\x02binary\xff\xfe" * 50).classification == "UNKNOWN"
