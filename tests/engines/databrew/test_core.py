"""The execution core without the endpoint: recipe steps, the profile and file writing on Arrow
tables with a sandboxed DuckDB and in-memory ports (the boto3 tests cover the same through the API)."""
import io
import json
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lab_helpers.engines.databrew import outputs, profile, recipe, sandbox
from lab_helpers.engines.databrew.reader import DatasetError, read_dataset
from lab_helpers.engines.ports import MemoryCatalog, MemoryStore


@pytest.fixture
def con():
    c = sandbox.connect()
    yield c
    c.close()


def runner(con, datasets=None):
    return recipe.Runner(con, lambda spec: (datasets or {})[spec["DatasetName"]])


def test_steps_run_in_order_and_a_bad_one_names_its_number(con):
    table = pa.table({"a": [1, 2, 2, None], "b": ["x", "y", "y", "z"]})
    steps = [{"Action": {"Operation": "REMOVE_DUPLICATES", "Parameters": {}}},
             {"Action": {"Operation": "FILL_WITH_CUSTOM", "Parameters": {"sourceColumn": "a", "value": "0",
                                                                         "columnDataType": "int"}}},
             {"Action": {"Operation": "RENAME", "Parameters": {"sourceColumn": "b", "targetColumn": "c"}}}]
    out = recipe.run(table, steps, runner(con))
    assert out.to_pydict() == {"a": [1, 2, 0], "c": ["x", "y", "z"]}
    with pytest.raises(recipe.RecipeStepError) as err:
        recipe.run(table, steps + [{"Action": {"Operation": "DELETE", "Parameters": {}}}], runner(con))
    assert str(err.value) == "Recipe step 4 (DELETE) failed: the parameter sourceColumn is required"


def test_join_keeps_left_order_and_suffixes_a_name_both_sides_keep(con):
    left = pa.table({"k": [3, 1, 2], "v": ["c", "a", "b"]})
    right = pa.table({"k": [1, 2, 3], "v": ["one", "two", "three"]})
    step = {"Action": {"Operation": "JOIN", "Parameters": {
        "joinKeys": json.dumps([{"key": "k", "value": "k"}]), "joinType": "INNER_JOIN",
        "secondaryDatasetName": "right"}}}
    out = recipe.run(left, [step], runner(con, {"right": right}))
    assert out.column_names == ["k", "v", "k_1", "v_1"]
    assert out.column("v_1").to_pylist() == ["three", "one", "two"]


def test_profile_counts_missing_values_and_duplicates(con):
    table = pa.table({"x": [1.0, None, 1.0, 4.0], "s": ["a", "", "a", "bb"]})
    doc = profile.profile(table, con, job_name="j", run_id="db_1", location="s3://b/k",
                          started_on=datetime.now(UTC))
    cols = {c["name"]: c for c in doc["columns"]}
    assert doc["sampleSize"] == 4 and doc["duplicateRowsCount"] == 1
    assert cols["x"]["missingValuesCount"] == 1 and cols["s"]["missingValuesCount"] == 1
    assert cols["x"]["mean"] == pytest.approx(2.0) and cols["s"]["max"] == 2   # string lengths
    assert cols["x"]["correlations"]["s"] == pytest.approx(pd.Series([1, 1, 4.0]).corr(pd.Series([1, 1, 2.0])))


def test_write_output_names_files_like_databrew_and_partitions_them(con):
    store = MemoryStore()
    store.create_bucket("b")
    table = pa.table({"y": ["2020", "2021", "2020"], "v": [1, 2, 3]})
    when = datetime(2021, 3, 15, 12, 0, tzinfo=UTC)
    written = outputs.write_output(table, {"Location": {"Bucket": "b", "Key": "out"}, "Format": "PARQUET",
                                           "PartitionColumns": ["y"]}, store, job_name="job", started=when, con=con)
    stamp = f"15Mar2021_{int(when.timestamp() * 1000)}"
    assert written.keys == [f"out/job_{stamp}/y=2020/job_{stamp}_part00000.parquet",
                            f"out/job_{stamp}/y=2021/job_{stamp}_part00000.parquet"]
    first = pq.read_table(io.BytesIO(store.get_object("b", written.keys[0])))
    assert first.to_pydict() == {"v": [1, 3]}


def test_a_catalog_dataset_gets_the_catalogs_types_and_a_missing_table_is_an_error(con):
    store, catalog = MemoryStore(), MemoryCatalog()
    store.create_bucket("b")
    store.put_object("b", "t/a.csv", b"id,when\n1,2020-01-02\n2,not a date\n")
    catalog.create_database("db")
    catalog.create_table("db", {"Name": "t", "Parameters": {"skip.header.line.count": "1"}, "StorageDescriptor": {
        "Columns": [{"Name": "id", "Type": "int"}, {"Name": "when", "Type": "date"}], "Location": "s3://b/t/",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"}}})
    table, source = read_dataset({"Input": {"DataCatalogInputDefinition": {"DatabaseName": "db", "TableName": "t"}}},
                                 store, catalog, con)
    assert table.schema.types == [pa.int32(), pa.date32()] and table.column("when").null_count == 1
    assert source.uris == ["s3://b/t/a.csv"]
    with pytest.raises(DatasetError) as err:
        read_dataset({"Input": {"DataCatalogInputDefinition": {"DatabaseName": "db", "TableName": "nope"}}},
                     store, catalog, con)
    assert err.value.code == "EntityNotFoundException"


def test_a_lookup_join_and_a_join_on_repeated_keys_give_what_pandas_gives(con):
    left = pa.table({"k": pa.array([2, None, 1, 3, 2], pa.int64()), "v": list("abcde")})
    unique = pa.table({"k": pa.array([1, 2], pa.int32()), "w": ["one", "two"]})
    repeated = pa.table({"k": pa.array([2, 2, 1], pa.int64()), "w": ["two", "deux", "one"]})
    for right in (unique, repeated):
        for kind, how in (("INNER_JOIN", "inner"), ("LEFT_JOIN", "left")):
            step = {"Action": {"Operation": "JOIN", "Parameters": {
                "joinKeys": json.dumps([{"key": "k", "value": "k"}]), "joinType": kind, "leftColumns": '["v", "k"]',
                "rightColumns": '["w"]', "secondaryDatasetName": "right"}}}
            got = recipe.run(left, [step], runner(con, {"right": right})).to_pandas()
            want = left.to_pandas().merge(right.to_pandas().astype({"k": "float64"}), on="k", how=how)[["v", "k", "w"]]
            assert got["v"].tolist() == want["v"].tolist(), (kind, right)
            assert got["w"].fillna("-").tolist() == want["w"].fillna("-").tolist(), (kind, right)
