"""Hive/Glue type parsing, DuckDB mapping, Athena result type names and value text."""
import datetime as dt
import decimal

import duckdb
import pyarrow as pa
import pytest

from lab_helpers.engines.athena.types import (athena_type, canonical_hive, format_value, hive_to_duckdb, hive_type,
                                              java_double, parse_hive, python_rows, text_column, trino_type)


@pytest.mark.parametrize("hive, duck", [
    ("string", "VARCHAR"), ("varchar(20)", "VARCHAR"), ("char(3)", "VARCHAR"), ("int", "INTEGER"),
    ("integer", "INTEGER"), ("bigint", "BIGINT"), ("smallint", "SMALLINT"), ("tinyint", "TINYINT"),
    ("double", "DOUBLE"), ("float", "FLOAT"), ("boolean", "BOOLEAN"), ("date", "DATE"),
    ("timestamp", "TIMESTAMP"), ("binary", "BLOB"), ("decimal(10,2)", "DECIMAL(10,2)"), ("decimal", "DECIMAL(10,0)"),
    ("array<string>", "VARCHAR[]"), ("map<string,int>", "MAP(VARCHAR, INTEGER)"),
    ("struct<a:int,b:array<string>>", 'STRUCT("a" INTEGER, "b" VARCHAR[])'),
])
def test_hive_types_map_to_duckdb_types(hive, duck):
    assert hive_to_duckdb(hive) == duck
    duckdb.sql(f"SELECT CAST(NULL AS {duck})")   # DuckDB accepts the spelling


def test_ddl_type_text_is_canonicalised_like_glue():
    assert canonical_hive("STRUCT<x: INT, y: STRING>") == "struct<x:int,y:string>"
    assert canonical_hive("ARRAY<STRING>") == "array<string>"
    assert canonical_hive("DECIMAL(10, 2)") == "decimal(10,2)"
    assert canonical_hive("INTEGER") == "int"


def test_unknown_hive_type_is_rejected():
    with pytest.raises(ValueError):
        parse_hive("geometry")
    with pytest.raises(ValueError):
        parse_hive("array<nope>")


def test_parsed_type_knows_strings_and_complex_types():
    assert parse_hive("varchar(10)").is_string and parse_hive("string").is_string
    assert not parse_hive("bigint").is_string
    assert parse_hive("map<string,int>").is_complex


def _types(sql):
    rel = duckdb.sql(sql)
    return list(rel.types)


def test_result_column_types_use_athena_names():
    types = _types("SELECT 'a', 1::BIGINT, 1::INT, 1::SMALLINT, 1::TINYINT, 1.5::DOUBLE, 1.5::FLOAT, true, "
                   "DATE '2020-01-01', TIMESTAMP '2020-01-01', 1.5::DECIMAL(4,1), [1], MAP(['a'], [1]), "
                   "{'x': 1}, 'a'::BLOB, '{}'::JSON, 1::HUGEINT, now()")
    assert [athena_type(t) for t in types] == [
        "varchar", "bigint", "integer", "smallint", "tinyint", "double", "real", "boolean", "date", "timestamp",
        "decimal", "array", "map", "row", "varbinary", "json", "bigint", "timestamp with time zone"]


def test_view_and_glue_column_types_spell_nested_types():
    t = _types("SELECT {'x': 1, 'y': ['a']}")[0]
    assert trino_type(t) == 'row("x" integer, "y" array(varchar))'
    assert hive_type(t) == "struct<x:int,y:array<string>>"
    assert hive_type(_types("SELECT 1.5::DECIMAL(4,1)")[0]) == "decimal(4,1)"
    assert trino_type(_types("SELECT TIMESTAMP '2020-01-01'")[0]) == "timestamp(3)"


@pytest.mark.parametrize("value, text", [
    (0.5, "0.5"), (100.0, "100.0"), (1e7, "1.0E7"), (12345678.9, "1.23456789E7"), (1.5e-4, "1.5E-4"),
    (0.001, "0.001"), (-3.25, "-3.25"), (0.0, "0.0"), (float("nan"), "NaN"), (float("inf"), "Infinity"),
])
def test_doubles_print_like_java(value, text):
    assert java_double(value) == text


def test_reals_print_their_shortest_float32_text():
    assert java_double(0.10000000149011612, single=True) == "0.1"


def test_values_print_like_athena_results():
    assert format_value(None, "varchar") is None
    assert format_value(True, "boolean") == "true"
    assert format_value(dt.datetime(2020, 8, 17, 10, 1, 2, 345678), "timestamp") == "2020-08-17 10:01:02.345"
    assert format_value(dt.datetime(2020, 8, 17, tzinfo=dt.timezone.utc), "timestamp with time zone") == \
        "2020-08-17 00:00:00.000 UTC"
    assert format_value(dt.date(2020, 8, 17), "date") == "2020-08-17"
    assert format_value(decimal.Decimal("1.50"), "decimal") == "1.50"
    assert format_value([1, None, 3], "array") == "[1, null, 3]"
    assert format_value({"a": 1}, "map") == "{a=1}"
    assert format_value({"x": 1, "y": "b"}, "row") == "{x=1, y=b}"
    assert format_value(b"ab", "varbinary") == "61 62"


def test_text_columns_are_vectorised_for_plain_types():
    ts = pa.chunked_array([pa.array([dt.datetime(2020, 1, 1, 1, 2, 3, 456789), None], pa.timestamp("us"))])
    assert text_column(ts, "timestamp").to_pylist() == ["2020-01-01 01:02:03.456", None]
    assert text_column(pa.chunked_array([pa.array([1, None])]), "bigint").to_pylist() == ["1", None]
    assert text_column(pa.chunked_array([pa.array([1.0e7])]), "double").to_pylist() == ["1.0E7"]


def test_python_rows_turn_maps_into_dicts():
    table = duckdb.sql("SELECT MAP(['a'], [1]) AS m, 2 AS n").to_arrow_table()
    assert python_rows(table) == [({"a": 1}, 2)]
