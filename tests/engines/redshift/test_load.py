"""COPY and UNLOAD through boto3, as the statement's IAM role: formats, options, load errors, S3 layout."""
import gzip
import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import NAMESPACE

ROLE_ARN = "arn:aws:iam::123456789012:role/LoadRole"
BUCKET = "load-bucket"
AUTH = f"IAM_ROLE '{ROLE_ARN}'"

ROWS = pd.DataFrame({"id": [1, 2, 3], "name": ["ada", "bo", "cy"], "joined": ["2020-08-17", "2020-09-01", None],
                     "score": [90.5, 71.25, 88.0]})


@pytest.fixture
def bucket(client, workgroup, rs):
    client("s3").create_bucket(Bucket=BUCKET)
    client("iam").create_role(RoleName="LoadRole", AssumeRolePolicyDocument="{}")
    rs.update_namespace(namespaceName=NAMESPACE, iamRoles=[ROLE_ARN])
    return client("s3")


def _table(api):
    api.run("CREATE TABLE people (id int, name varchar(20), joined date, score float8)")


def _keys(s3, prefix):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def test_copy_csv_with_header_and_gzip(api, bucket):
    _table(api)
    body = ROWS.to_csv(index=False).encode()
    bucket.put_object(Bucket=BUCKET, Key="in/csv/part1.csv", Body=body)
    bucket.put_object(Bucket=BUCKET, Key="in/gz/part1.csv.gz", Body=gzip.compress(body))
    d = api.run(f"COPY people FROM 's3://{BUCKET}/in/csv/' {AUTH} FORMAT AS CSV IGNOREHEADER 1")
    assert d["ResultRows"] == 3
    api.run(f"COPY people FROM 's3://{BUCKET}/in/gz/' {AUTH} CSV GZIP IGNOREHEADER 1 DELIMITER ','")
    got = api.frame("SELECT id, name, joined, score FROM people ORDER BY id, name")
    want = pd.concat([ROWS, ROWS]).sort_values(["id", "name"]).reset_index(drop=True)
    assert got.id.tolist() == want.id.tolist() and got.score.tolist() == want.score.tolist()
    assert got.joined.tolist() == [j for j in want.joined.tolist()]


def test_copy_pipe_delimited_text_with_dateformat(api, bucket):
    _table(api)
    bucket.put_object(Bucket=BUCKET, Key="in/txt/a.txt", Body=b"1|ada|17/08/2020|1.5\n2|bo|\\N|2\n")
    api.run(f"COPY people FROM 's3://{BUCKET}/in/txt/a.txt' {AUTH} DATEFORMAT 'DD/MM/YYYY'")
    assert api.rows("SELECT id, joined FROM people ORDER BY id")[1] == [(1, "2020-08-17"), (2, None)]


def test_copy_load_errors_are_recorded_and_maxerror_applies(api, bucket):
    _table(api)
    bucket.put_object(Bucket=BUCKET, Key="in/bad/a.csv", Body=b"id,name,joined,score\n1,ada,2020-08-17,1\nx,bo,2020-01-01,2\n3,cy,nope,3\n")
    error = api.fail(f"COPY people FROM 's3://{BUCKET}/in/bad/' {AUTH} CSV IGNOREHEADER 1")
    assert error.startswith("ERROR: Load into table 'people' failed. Check 'sys_load_error_detail' system table")
    assert api.rows("SELECT count(*) FROM people")[1] == [(0,)]
    _, errors = api.rows("SELECT line_number, colname, raw_field_value, err_code, trim(err_reason) "
                         "FROM stl_load_errors ORDER BY line_number")
    assert errors == [(3, "id", "x", 1207, "Invalid digit, Value 'x', Pos 0, Type: Integer"),
                      (4, "joined", "nope", 1205, "Invalid Date Format - length must be 10 or more")]
    _, detail = api.rows("SELECT file_name, column_name, error_code FROM sys_load_error_detail ORDER BY line_number")
    assert detail[0] == (f"s3://{BUCKET}/in/bad/a.csv", "id", 1207)
    d = api.run(f"COPY people FROM 's3://{BUCKET}/in/bad/' {AUTH} CSV IGNOREHEADER 1 MAXERROR 5")
    assert d["ResultRows"] == 1


def test_copy_parquet_and_json(api, bucket):
    _table(api)
    buf = io.BytesIO()
    frame = ROWS.assign(joined=pd.to_datetime(ROWS.joined).dt.date)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buf)
    bucket.put_object(Bucket=BUCKET, Key="in/pq/LOAD00000001.parquet", Body=buf.getvalue())
    api.run(f"COPY people FROM 's3://{BUCKET}/in/pq/' {AUTH} FORMAT AS PARQUET")
    lines = "\n".join(json.dumps({"ID": 7, "name": "json", "joined": "2021-01-18", "score": 5}) for _ in range(2))
    bucket.put_object(Bucket=BUCKET, Key="in/json/a.json", Body=lines.encode())
    api.run(f"COPY people FROM 's3://{BUCKET}/in/json/' {AUTH} FORMAT AS JSON 'auto ignorecase'")
    _, rows = api.rows("SELECT id, name, score FROM people ORDER BY id")
    assert rows == [(1, "ada", 90.5), (2, "bo", 71.25), (3, "cy", 88.0), (7, "json", 5.0), (7, "json", 5.0)]


def test_copy_errors(api, bucket):
    _table(api)
    assert "The specified S3 prefix 'nothing/' does not exist" in api.fail(
        f"COPY people FROM 's3://{BUCKET}/nothing/' {AUTH} CSV")
    assert api.fail(f"COPY nope FROM 's3://{BUCKET}/x' {AUTH} CSV") == 'ERROR: relation "nope" does not exist'
    assert "not authorized to assume IAM Role" in api.fail(
        f"COPY people FROM 's3://{BUCKET}/x' IAM_ROLE 'arn:aws:iam::123456789012:role/Other' CSV")


def test_unload_parquet_partitioned_with_manifest(api, bucket):
    _table(api)
    api.run("INSERT INTO people VALUES (1, 'ada', '2020-08-17', 1.5), (2, 'bo', '2020-08-17', 2.5), "
            "(3, 'cy', NULL, 3.5)")
    d = api.run(f"UNLOAD ('SELECT * FROM people WHERE id > 0') TO 's3://{BUCKET}/out/people/' {AUTH} "
                "FORMAT AS PARQUET PARTITION BY (joined) MANIFEST VERBOSE")
    assert d["ResultRows"] == 3 and not d["HasResultSet"]
    keys = _keys(bucket, "out/people/")
    assert keys == ["out/people/joined=2020-08-17/0000_part_00.parquet",
                    "out/people/joined=__HIVE_DEFAULT_PARTITION__/0000_part_00.parquet", "out/people/manifest"]
    part = pq.read_table(io.BytesIO(bucket.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()))
    assert part.column_names == ["id", "name", "score"] and part.num_rows == 2
    manifest = json.loads(bucket.get_object(Bucket=BUCKET, Key="out/people/manifest")["Body"].read())
    assert len(manifest["entries"]) == 2 and manifest["meta"]["record_count"] == 3
    error = api.fail(f"UNLOAD ('SELECT 1') TO 's3://{BUCKET}/out/people/' {AUTH} FORMAT PARQUET")
    assert "Specified unload destination on S3 is not empty" in error


def test_unload_cleanpath_replaces_earlier_files(api, bucket):
    api.run(f"UNLOAD ('SELECT 1 AS one, 2 AS two') TO 's3://{BUCKET}/out/x/' {AUTH} FORMAT PARQUET PARTITION BY (two)")
    api.run(f"UNLOAD ('SELECT 1 AS one') TO 's3://{BUCKET}/out/x/' {AUTH} FORMAT PARQUET CLEANPATH")
    assert _keys(bucket, "out/x/") == ["out/x/0000_part_00.parquet"]


def test_unload_csv_with_header_and_quotes_in_query(api, bucket):
    _table(api)
    api.run("INSERT INTO people VALUES (1, 'a,b', '2020-08-17', 1.5)")
    api.run(f"UNLOAD ('SELECT id, name FROM people WHERE name = ''a,b''') TO 's3://{BUCKET}/csv/p_' {AUTH} "
            "FORMAT CSV HEADER PARALLEL OFF")
    body = bucket.get_object(Bucket=BUCKET, Key="csv/p_000")["Body"].read().decode()
    assert body == 'id,name\n1,"a,b"\n'
