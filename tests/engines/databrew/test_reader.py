"""Datasets of every input kind read through boto3 (a project preview shows all rows), compared
with pandas reading the same bytes."""
import gzip
import io
import json

import pandas as pd
import pytest
from botocore.exceptions import ClientError

from .support import BUCKET, ROLE_ARN, open_project, parquet_bytes, people, preview

CSV = b"id;name;score\n1;Ann;3.5\n2;Bob;\n3;;0\n"


def rows_of(brew, name, **dataset):
    brew("databrew").create_dataset(Name=name, **dataset)
    open_project(brew, dataset=name, name=f"p-{name}", recipe=f"r-{name}")
    return preview(brew, [], name=f"p-{name}")


def test_csv_with_delimiter_header_and_gzip(brew):
    s3 = brew("s3")
    s3.put_object(Bucket=BUCKET, Key="csv/a.csv.gz", Body=gzip.compress(CSV))
    got = rows_of(brew, "csv", Format="CSV", FormatOptions={"Csv": {"Delimiter": ";"}},
                  Input={"S3InputDefinition": {"Bucket": BUCKET, "Key": "csv/a.csv.gz"}})
    want = pd.read_csv(io.BytesIO(CSV), sep=";", keep_default_na=False)
    assert list(got.columns) == list(want.columns) and got["id"].tolist() == want["id"].tolist()
    assert got["name"].tolist() == ["Ann", "Bob", ""]
    s3.put_object(Bucket=BUCKET, Key="noheader/a.csv", Body=b"1,x\n2,y\n")
    got = rows_of(brew, "noheader", Format="CSV", FormatOptions={"Csv": {"HeaderRow": False}},
                  Input={"S3InputDefinition": {"Bucket": BUCKET, "Key": "noheader/"}})
    assert list(got.columns) == ["Column_1", "Column_2"] and got.values.tolist() == [[1, "x"], [2, "y"]]


def test_json_lines_and_multiline_json(brew):
    s3 = brew("s3")
    records = [{"id": 1, "tags": "a"}, {"id": 2, "tags": None}]
    s3.put_object(Bucket=BUCKET, Key="jl/a.json", Body="\n".join(json.dumps(r) for r in records).encode())
    s3.put_object(Bucket=BUCKET, Key="ml/a.json", Body=json.dumps(records, indent=2).encode())
    lines = rows_of(brew, "jl", Format="JSON", Input={"S3InputDefinition": {"Bucket": BUCKET, "Key": "jl/a.json"}})
    multi = rows_of(brew, "ml", Format="JSON", FormatOptions={"Json": {"MultiLine": True}},
                    Input={"S3InputDefinition": {"Bucket": BUCKET, "Key": "ml/a.json"}})
    assert lines.values.tolist() == multi.values.tolist() == pd.DataFrame(records).values.tolist()


def test_a_folder_of_parquet_files_is_one_dataset_and_hidden_files_are_skipped(brew):
    s3 = brew("s3")
    table = people()
    s3.put_object(Bucket=BUCKET, Key="pq/part-0.parquet", Body=parquet_bytes(table.slice(0, 5)))
    s3.put_object(Bucket=BUCKET, Key="pq/part-1.parquet", Body=parquet_bytes(table.slice(5)))
    s3.put_object(Bucket=BUCKET, Key="pq/_SUCCESS", Body=b"x")
    got = rows_of(brew, "pq", Input={"S3InputDefinition": {"Bucket": BUCKET, "Key": "pq/"}})
    assert got["id"].tolist() == table.column("id").to_pylist()


def test_a_catalog_table_with_partitions_and_a_header_line(brew):
    s3, glue = brew("s3"), brew("glue")
    for date, body in (("2020-08-17", b"id,amount\n1,2.5\n2,x\n"), ("2020-08-24", b"id,amount\n3,4\n")):
        s3.put_object(Bucket=BUCKET, Key=f"lms/t/process_date={date}/a.csv", Body=body)
    glue.create_database(DatabaseInput={"Name": "lms"})
    serde = {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
             "Parameters": {"field.delim": ","}}
    glue.create_table(DatabaseName="lms", TableInput={
        "Name": "t", "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
        "PartitionKeys": [{"Name": "process_date", "Type": "string"}],
        "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "amount", "Type": "double"}],
                              "Location": f"s3://{BUCKET}/lms/t/", "SerdeInfo": serde}})
    glue.batch_create_partition(DatabaseName="lms", TableName="t", PartitionInputList=[
        {"Values": [d], "StorageDescriptor": {"Location": f"s3://{BUCKET}/lms/t/process_date={d}/", "SerdeInfo": serde}}
        for d in ("2020-08-17", "2020-08-24")])
    got = rows_of(brew, "lmst", Input={"DataCatalogInputDefinition": {"DatabaseName": "lms", "TableName": "t"}})
    assert list(got.columns) == ["id", "amount", "process_date"]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        [1, 2.5, "2020-08-17"], [2, None, "2020-08-17"], [3, 4.0, "2020-08-24"]]
    doc = brew("databrew").send_project_session_action(Name="p-lmst", Preview=True, ViewFrame={"StartColumnIndex": 0})
    assert [c["type"] for c in json.loads(doc["Result"])["columns"]] == ["bigint", "double", "string"]


def test_missing_data_and_excel_fail_with_a_clear_message(brew):
    db = brew("databrew")
    db.create_dataset(Name="nothing", Input={"S3InputDefinition": {"Bucket": BUCKET, "Key": "nope/"}})
    db.create_project(Name="p", DatasetName="nothing", RecipeName="r", RoleArn=ROLE_ARN)
    with pytest.raises(ClientError) as err:
        db.start_project_session(Name="p")
    assert "No data files found at s3://brew-lake/nope/" in err.value.response["Error"]["Message"]
    brew("s3").put_object(Bucket=BUCKET, Key="x/book.xlsx", Body=b"PK")
    db.create_dataset(Name="book", Format="EXCEL", Input={"S3InputDefinition": {"Bucket": BUCKET, "Key": "x/book.xlsx"}})
    db.create_project(Name="q", DatasetName="book", RecipeName="r2", RoleArn=ROLE_ARN)
    with pytest.raises(ClientError) as err:
        db.start_project_session(Name="q")
    assert "EXCEL datasets are not emulated" in err.value.response["Error"]["Message"]
