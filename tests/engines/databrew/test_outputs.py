"""Recipe job outputs through boto3: formats, compression, partitions, file counts, overwrite, and
the Glue Data Catalog outputs, each read back and compared with the data written in pandas."""
import gzip
import io
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from .support import (
    BUCKET,
    ROLE_ARN,
    keys,
    people,
    put_dataset,
    read_parquet_objects,
    run_job,
    step,
)


def job(brew, outputs=None, catalog=None, steps=None, name="out-job"):
    db = brew("databrew")
    put_dataset(brew, "people", people())
    db.create_recipe(Name="r", Steps=steps or [step("DELETE", sourceColumn="joined")])
    db.publish_recipe(Name="r")
    extra = {"Outputs": outputs} if outputs else {}
    if catalog:
        extra["DataCatalogOutputs"] = catalog
    db.create_recipe_job(Name=name, DatasetName="people", RoleArn=ROLE_ARN, RecipeReference={"Name": "r",
                                                                                             "RecipeVersion": "1.0"},
                         **extra)
    run = run_job(db, name)
    assert run["State"] == "SUCCEEDED", run.get("ErrorMessage")
    return run


def expected() -> pd.DataFrame:
    return people().to_pandas().drop(columns=["joined"])


def test_csv_with_a_delimiter_and_gzip(brew):
    job(brew, [{"Location": {"Bucket": BUCKET, "Key": "csv"}, "Format": "CSV", "CompressionFormat": "GZIP",
                "FormatOptions": {"Csv": {"Delimiter": "|"}}}])
    [key] = keys(brew("s3"), "csv/")
    assert key.endswith("_part00000.csv.gz")
    data = gzip.decompress(brew("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read())
    got = pd.read_csv(io.BytesIO(data), sep="|", keep_default_na=False, na_values=[""])
    want = expected()
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    assert got["id"].tolist() == want["id"].tolist()
    assert got["score"].fillna(-1).tolist() == want["score"].fillna(-1).tolist()


def test_json_lines(brew):
    job(brew, [{"Location": {"Bucket": BUCKET, "Key": "json/"}, "Format": "JSON"}])
    [key] = keys(brew("s3"), "json/")
    rows = [json.loads(line) for line in brew("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().splitlines()]
    assert [r["id"] for r in rows] == expected()["id"].tolist() and rows[2]["name"] is None


@pytest.mark.parametrize("codec", ["SNAPPY", "GZIP", "ZSTD"])
def test_parquet_compression_codecs(brew, codec):
    job(brew, [{"Location": {"Bucket": BUCKET, "Key": "pq/"}, "Format": "PARQUET", "CompressionFormat": codec}])
    [key] = keys(brew("s3"), "pq/")
    meta = pq.ParquetFile(io.BytesIO(brew("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read())).metadata
    assert meta.row_group(0).column(0).compression == codec
    got = read_parquet_objects(brew("s3"), "pq/")
    pd.testing.assert_frame_equal(got, expected(), check_dtype=False)


def test_partition_columns_and_max_output_files(brew):
    job(brew, [{"Location": {"Bucket": BUCKET, "Key": "parts/"}, "Format": "GLUEPARQUET",
                "PartitionColumns": ["city"], "MaxOutputFiles": 2}])
    found = keys(brew("s3"), "parts/")
    cities = people().to_pandas()["city"]
    folders = {k.split("/")[2] for k in found}
    assert folders == {f"city={c}" for c in cities.dropna().unique()} | {"city=__HIVE_DEFAULT_PARTITION__"}
    boston = [k for k in found if "/city=Boston-MA/" in k]
    assert len(boston) == 2 and boston[1].endswith("_part00001.parquet")   # four rows split into two files
    got = read_parquet_objects(brew("s3"), "parts/")
    assert "city" not in got.columns and sorted(got["id"]) == sorted(expected()["id"])


def test_overwrite_replaces_the_files_and_new_runs_otherwise_get_their_own_folder(brew):
    out = [{"Location": {"Bucket": BUCKET, "Key": "keep/"}, "Format": "CSV"},
           {"Location": {"Bucket": BUCKET, "Key": "replace/"}, "Format": "CSV", "Overwrite": True}]
    job(brew, out)
    brew("s3").put_object(Bucket=BUCKET, Key="replace/stale.csv", Body=b"old")
    assert run_job(brew("databrew"), "out-job")["State"] == "SUCCEEDED"
    assert keys(brew("s3"), "replace/") == ["replace/out-job_part00000.csv"]
    kept = keys(brew("s3"), "keep/")
    assert len(kept) == 2 and len({k.split("/")[1] for k in kept}) == 2
    assert all(k.split("/")[1].startswith("out-job_") and k.split("/")[2].startswith(k.split("/")[1] + "_part")
               for k in kept)


def test_data_catalog_output_creates_the_table_then_adds_to_an_existing_partitioned_one(brew):
    glue = brew("glue")
    glue.create_database(DatabaseInput={"Name": "cur"})
    job(brew, catalog=[{"DatabaseName": "cur", "TableName": "people_clean",
                        "S3Options": {"Location": {"Bucket": BUCKET, "Key": "cur/people_clean/"}}}])
    table = glue.get_table(DatabaseName="cur", Name="people_clean")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"s3://{BUCKET}/cur/people_clean/"
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == list(expected().columns)
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    pd.testing.assert_frame_equal(read_parquet_objects(brew("s3"), "cur/people_clean/"), expected(), check_dtype=False)

    glue.create_table(DatabaseName="cur", TableInput={
        "Name": "by_city", "PartitionKeys": [{"Name": "city", "Type": "string"}],
        "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": f"s3://{BUCKET}/cur/by_city/",
                              "SerdeInfo": {"SerializationLibrary":
                                            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})
    brew("databrew").create_recipe_job(
        Name="to-by-city", DatasetName="people", RoleArn=ROLE_ARN, RecipeReference={"Name": "r", "RecipeVersion": "1.0"},
        DataCatalogOutputs=[{"DatabaseName": "cur", "TableName": "by_city", "Overwrite": True}])
    assert run_job(brew("databrew"), "to-by-city")["State"] == "SUCCEEDED"
    parts = glue.get_partitions(DatabaseName="cur", TableName="by_city")["Partitions"]
    cities = set(people().to_pandas()["city"].dropna())
    assert {p["Values"][0] for p in parts} == cities | {"__HIVE_DEFAULT_PARTITION__"}
    cols = glue.get_table(DatabaseName="cur", Name="by_city")["Table"]["StorageDescriptor"]["Columns"]
    assert "city" not in [c["Name"] for c in cols] and len(cols) == len(expected().columns) - 1


def test_a_catalog_output_to_a_missing_database_fails_the_run(brew):
    db = brew("databrew")
    put_dataset(brew, "people", people())
    db.create_recipe(Name="r", Steps=[step("DELETE", sourceColumn="joined")])
    db.publish_recipe(Name="r")
    db.create_recipe_job(Name="j", DatasetName="people", RoleArn=ROLE_ARN,
                         RecipeReference={"Name": "r", "RecipeVersion": "1.0"},
                         DataCatalogOutputs=[{"DatabaseName": "nope", "TableName": "t",
                                              "S3Options": {"Location": {"Bucket": BUCKET, "Key": "t/"}}}])
    run = run_job(db, "j")
    assert run["State"] == "FAILED" and "Database nope not found" in run["ErrorMessage"]
