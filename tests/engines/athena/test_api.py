"""Athena through boto3 against the local endpoint: every statement kind, paging, types, statistics,
cancellation, concurrency and the error shapes, checked against S3 and the Glue catalog."""
import base64
import concurrent.futures
import csv
import datetime as dt
import io
import json
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from lab_helpers.endpoint.server import start_in_thread

LAKE, RESULTS = "lake", "athena-results"
OUTPUT = f"s3://{RESULTS}/queries/"
PARQUET = ("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
           "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
           "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
TEXT_IN = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"

CUSTOMERS = b"id,name,country\n1,Ada,NZ\n2,Bo,US\n3,Cy,NZ\n4,Di,FR\n"
ORDERS = [  # order_id, customer_id, amount, order_date, items
    (10, 1, 25.5, dt.date(2024, 1, 3), ["pen", "ink"]), (11, 1, 4.5, dt.date(2024, 1, 9), ["pad"]),
    (12, 2, 100.0, dt.date(2024, 2, 1), ["desk"]), (13, 3, 12.25, dt.date(2024, 2, 2), []),
    (14, 3, 7.75, dt.date(2024, 2, 5), ["pen"]), (15, 2, 60.0, dt.date(2024, 3, 1), ["lamp", "bulb", "pen"]),
]
EVENTS = [
    {"id": 1, "tags": ["a", "b"], "attrs": {"clicks": 3, "views": 10}, "device": {"os": "ios", "version": 17}},
    {"id": 2, "tags": ["c"], "attrs": {"clicks": 1}, "device": {"os": "android", "version": 14}},
    {"id": 3, "tags": [], "attrs": {}, "device": {"os": "ios", "version": 16}},
]
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]


# --- helpers ---------------------------------------------------------------------------------

def start(athena, sql, db="shop", output=OUTPUT, **kw):
    if output is not None:
        kw.setdefault("ResultConfiguration", {"OutputLocation": output})
    return athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": db},
                                        **kw)["QueryExecutionId"]


def wait(athena, qid, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            return execution
        time.sleep(0.02)
    raise AssertionError(f"query {qid} did not finish")


def run(athena, sql, db="shop", **kw):
    """Run to completion; a failure shows Athena's reason in the assertion message."""
    execution = wait(athena, start(athena, sql, db, **kw))
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"].get("StateChangeReason")
    return execution


def fail(athena, sql, db="shop", **kw):
    execution = wait(athena, start(athena, sql, db, **kw))
    assert execution["Status"]["State"] == "FAILED", sql
    return execution


def texts(page):
    return [[d.get("VarCharValue") for d in row["Data"]] for row in page["ResultSet"]["Rows"]]


def result_rows(athena, qid):
    """Every row over all pages, header included (as the boto3 paginator yields them)."""
    out = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
        out += texts(page)
    return out


def select(athena, sql, db="shop"):
    """Data rows of a SELECT (the header row dropped after checking it is the header)."""
    execution = run(athena, sql, db)
    rows = result_rows(athena, execution["QueryExecutionId"])
    page = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"], MaxResults=1)
    assert rows[0] == [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    return rows[1:]


def lines(athena, sql, db="shop"):
    """The one-column text output of SHOW / DESCRIBE (no header row)."""
    execution = run(athena, sql, db)
    return [r[0] for r in result_rows(athena, execution["QueryExecutionId"])]


def parquet_bytes(table: pa.Table, compression="snappy") -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=compression)
    return buf.getvalue()


def size_of(s3, bucket, prefix):
    return sum(o["Size"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def keys_of(s3, bucket, prefix):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def sd(location, columns, fmt="csv", serde_params=None, params=None):
    in_fmt, out_fmt, lib = {"csv": (TEXT_IN, TEXT_OUT, LAZY), "parquet": PARQUET,
                            "json": (TEXT_IN, TEXT_OUT, "org.openx.data.jsonserde.JsonSerDe")}[fmt]
    return {"Columns": [{"Name": n, "Type": t} for n, t in columns], "Location": location,
            "InputFormat": in_fmt, "OutputFormat": out_fmt,
            "SerdeInfo": {"SerializationLibrary": lib, "Parameters": serde_params or {}},
            "Parameters": params or {}}


@pytest.fixture
def lake(client):
    """A `shop` database with crawler-shaped tables over CSV, Parquet and JSON objects in S3."""
    s3, glue = client("s3"), client("glue")
    for bucket in (LAKE, RESULTS):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=LAKE, Key="shop/customers/customers.csv", Body=CUSTOMERS)
    orders = pa.table({"order_id": [o[0] for o in ORDERS], "customer_id": [o[1] for o in ORDERS],
                       "amount": [o[2] for o in ORDERS], "order_date": pa.array([o[3] for o in ORDERS], pa.date32()),
                       "items": pa.array([o[4] for o in ORDERS], pa.list_(pa.string()))})
    s3.put_object(Bucket=LAKE, Key="shop/orders/part-0.parquet", Body=parquet_bytes(orders))
    s3.put_object(Bucket=LAKE, Key="shop/events/e.json", Body="\n".join(json.dumps(e) for e in EVENTS).encode())
    glue.create_database(DatabaseInput={"Name": "shop"})
    glue.create_table(DatabaseName="shop", TableInput={
        "Name": "customers", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
        "StorageDescriptor": sd(f"s3://{LAKE}/shop/customers/", [("id", "bigint"), ("name", "string"),
                                                               ("country", "string")],
                                serde_params={"field.delim": ","})})
    glue.create_table(DatabaseName="shop", TableInput={
        "Name": "orders", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
        "StorageDescriptor": sd(f"s3://{LAKE}/shop/orders/", [
            ("order_id", "bigint"), ("customer_id", "bigint"), ("amount", "double"), ("order_date", "date"),
            ("items", "array<string>")], fmt="parquet", serde_params={"serialization.format": "1"})})
    glue.create_table(DatabaseName="shop", TableInput={
        "Name": "events", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "json"},
        "StorageDescriptor": sd(f"s3://{LAKE}/shop/events/", [
            ("id", "int"), ("tags", "array<string>"), ("attrs", "map<string,int>"),
            ("device", "struct<os:string,version:int>")], fmt="json")})
    return client


@pytest.fixture
def athena(lake):
    return lake("athena")


def upload_clicks(s3, prefix="clicks"):
    """Hive-partitioned CSV (dt=YYYY-MM-DD/) with a header line; 4 rows per day."""
    for i, day in enumerate(DAYS):
        body = "user,page,ms\n" + "".join(f"u{j},/p{i}{j},{100 * j + i}\n" for j in range(4))
        s3.put_object(Bucket=LAKE, Key=f"{prefix}/dt={day}/part-0.csv", Body=body.encode())


CLICKS_DDL = """CREATE EXTERNAL TABLE clicks (user string, page string, ms int)
PARTITIONED BY (dt string)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
LOCATION 's3://lake/clicks/'
TBLPROPERTIES ('skip.header.line.count'='1')"""


# --- SELECT ------------------------------------------------------------------------------------

def test_select_join_cte_and_window_function_over_csv_and_parquet(athena):
    rows = select(athena, """
        WITH spend AS (
            SELECT c.name, c.country, sum(o.amount) AS total, count(*) AS n
            FROM customers c JOIN orders o ON o.customer_id = c.id
            GROUP BY c.name, c.country)
        SELECT name, country, total, n, rank() OVER (PARTITION BY country ORDER BY total DESC) AS rnk
        FROM spend ORDER BY country, rnk""")
    assert rows == [["Ada", "NZ", "30.0", "2", "1"], ["Cy", "NZ", "20.0", "2", "2"],
                    ["Bo", "US", "160.0", "2", "1"]]


def test_select_left_join_keeps_customers_without_orders(athena):
    rows = select(athena, "SELECT c.name, count(o.order_id) AS n FROM customers c LEFT JOIN orders o "
                          "ON o.customer_id = c.id GROUP BY c.name ORDER BY c.name")
    assert rows == [["Ada", "2"], ["Bo", "2"], ["Cy", "2"], ["Di", "0"]]


def test_select_unnest_arrays_maps_and_struct_fields_from_json(athena):
    rows = select(athena, "SELECT e.id, t.tag, e.attrs['clicks'] AS clicks, e.device.os AS os "
                          "FROM events e CROSS JOIN UNNEST(e.tags) AS t(tag) ORDER BY e.id, t.tag")
    assert rows == [["1", "a", "3", "ios"], ["1", "b", "3", "ios"], ["2", "c", "1", "android"]]
    rows = select(athena, "SELECT o.order_id, i.item, i.pos FROM orders o "
                          "CROSS JOIN UNNEST(o.items) WITH ORDINALITY AS i(item, pos) WHERE o.order_id = 15 "
                          "ORDER BY i.pos")
    assert rows == [["15", "lamp", "1"], ["15", "bulb", "2"], ["15", "pen", "3"]]


def test_select_complex_values_print_like_athena(athena):
    execution = run(athena, "SELECT id, tags, attrs, device, cardinality(tags) AS n FROM events WHERE id = 1")
    page = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    assert texts(page)[1] == ["1", "[a, b]", "{clicks=3, views=10}", "{os=ios, version=17}", "2"]
    types = [c["Type"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    assert types == ["integer", "array", "map", "row", "bigint"]


def test_select_over_tables_the_glue_crawler_created(athena, lake):
    from tests.engines.glue.test_api import run_crawler

    s3 = lake("s3")
    upload_clicks(s3, "lms/clicks")
    lake("iam").create_role(RoleName="crawler-role", AssumeRolePolicyDocument="{}")
    crawler, _ = run_crawler(lake("glue"), "lms", f"s3://{LAKE}/lms/clicks/", "lms_raw")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    rows = select(athena, "SELECT dt, count(*) AS n, sum(ms) AS ms FROM clicks WHERE dt >= '2024-01-02' "
                          "GROUP BY dt ORDER BY dt", db="lms_raw")
    assert rows == [["2024-01-02", "4", str(600 + 4)], ["2024-01-03", "4", str(600 + 8)]]


# --- databases and external tables -------------------------------------------------------------

def test_create_and_drop_database_is_visible_in_glue(athena, lake):
    glue = lake("glue")
    execution = run(athena, "CREATE DATABASE IF NOT EXISTS analytics COMMENT 'curated data'")
    qid = execution["QueryExecutionId"]
    assert (execution["StatementType"], execution["SubstatementType"]) == ("DDL", "CREATE_DATABASE")
    assert glue.get_database(Name="analytics")["Database"]["Description"] == "curated data"
    # DDL leaves an empty <id>.txt and no .metadata; its results have no columns and no UpdateCount
    assert keys_of(lake("s3"), RESULTS, f"queries/{qid}") == [f"queries/{qid}.txt"]
    page = athena.get_query_results(QueryExecutionId=qid)
    assert page["ResultSet"]["Rows"] == [] and page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"] == []
    assert "UpdateCount" not in page
    assert "analytics" in lines(athena, "SHOW DATABASES")
    assert "analytics" in [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    again = fail(athena, "CREATE DATABASE analytics")
    assert again["Status"]["StateChangeReason"] == ("FAILED: Execution Error, return code 1 from "
                                                    "org.apache.hadoop.hive.ql.exec.DDLTask. Database analytics "
                                                    "already exists")
    run(athena, "CREATE EXTERNAL TABLE analytics.t (x int) LOCATION 's3://lake/t/'")
    not_empty = fail(athena, "DROP DATABASE analytics")
    assert "is not empty" in not_empty["Status"]["StateChangeReason"]
    run(athena, "DROP DATABASE analytics CASCADE")
    with pytest.raises(ClientError) as err:
        glue.get_database(Name="analytics")
    assert err.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_create_external_csv_table_skips_the_header_line(athena, lake):
    lake("s3").put_object(Bucket=LAKE, Key="raw/products/p.csv",
                          Body=b"sku,title,price,tags\nA1,Pen,1.5,office|cheap\nB2,Desk,120,office\n")
    run(athena, """CREATE EXTERNAL TABLE products (sku string, title string, price decimal(10,2), tags array<string>)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' COLLECTION ITEMS TERMINATED BY '|'
        LOCATION 's3://lake/raw/products/' TBLPROPERTIES ('skip.header.line.count'='1')""")
    table = lake("glue").get_table(DatabaseName="shop", Name="products")["Table"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["skip.header.line.count"] == "1"
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == LAZY
    assert table["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == ","
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("sku", "string"), ("title", "string"), ("price", "decimal(10,2)"), ("tags", "array<string>")]
    assert select(athena, "SELECT sku, title, price, tags FROM products ORDER BY sku") == [
        ["A1", "Pen", "1.50", "[office, cheap]"], ["B2", "Desk", "120.00", "[office]"]]


def test_create_external_parquet_and_json_tables(athena, lake):
    s3 = lake("s3")
    s3.put_object(Bucket=LAKE, Key="raw/scores/s.parquet",
                  Body=parquet_bytes(pa.table({"student": ["x", "y"], "score": [0.5, 0.75]})))
    s3.put_object(Bucket=LAKE, Key="raw/logs/l.json",
                  Body=b'{"level": "INFO", "msg": "up", "ctx": {"host": "a"}}\n{"level": "WARN", "msg": "slow"}\n')
    run(athena, "CREATE EXTERNAL TABLE scores (student string, score double) STORED AS PARQUET "
                "LOCATION 's3://lake/raw/scores/'")
    run(athena, "CREATE EXTERNAL TABLE logs (level string, msg string, ctx struct<host:string>) "
                "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://lake/raw/logs/'")
    glue = lake("glue")
    scores = glue.get_table(DatabaseName="shop", Name="scores")["Table"]["StorageDescriptor"]
    assert (scores["InputFormat"], scores["OutputFormat"], scores["SerdeInfo"]["SerializationLibrary"]) == PARQUET
    logs = glue.get_table(DatabaseName="shop", Name="logs")["Table"]["StorageDescriptor"]
    assert logs["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert select(athena, "SELECT student, score FROM scores ORDER BY student") == [["x", "0.5"], ["y", "0.75"]]
    assert select(athena, "SELECT level, msg, ctx.host FROM logs ORDER BY level") == [
        ["INFO", "up", "a"], ["WARN", "slow", None]]


def test_partitioned_table_msck_repair_and_alter_table_add_partition(athena, lake):
    s3, glue = lake("s3"), lake("glue")
    upload_clicks(s3)
    run(athena, CLICKS_DDL)
    assert select(athena, "SELECT count(*) FROM clicks") == [["0"]]   # no partitions registered yet
    execution = run(athena, "MSCK REPAIR TABLE clicks")
    assert execution["StatementType"] == "DDL"
    parts = glue.get_partitions(DatabaseName="shop", TableName="clicks")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == DAYS
    assert all(p["StorageDescriptor"]["Location"] == f"s3://lake/clicks/dt={p['Values'][0]}" for p in parts)
    assert select(athena, "SELECT dt, count(*) FROM clicks GROUP BY dt ORDER BY dt") == [[d, "4"] for d in DAYS]
    # data outside the Hive layout is registered by hand
    s3.put_object(Bucket=LAKE, Key="late-data/jan04.csv", Body=b"user,page,ms\nu9,/late,7\n")
    run(athena, "ALTER TABLE clicks ADD IF NOT EXISTS PARTITION (dt = '2024-01-04') LOCATION 's3://lake/late-data/'")
    assert lines(athena, "SHOW PARTITIONS clicks") == [f"dt={d}" for d in DAYS + ["2024-01-04"]]
    assert select(athena, "SELECT user, page, ms FROM clicks WHERE dt = '2024-01-04'") == [["u9", "/late", "7"]]
    duplicate = fail(athena, "ALTER TABLE clicks ADD PARTITION (dt = '2024-01-04')")
    assert "AlreadyExistsException" in duplicate["Status"]["StateChangeReason"]
    run(athena, "ALTER TABLE clicks DROP PARTITION (dt = '2024-01-01')")
    assert select(athena, "SELECT count(*) FROM clicks") == [["9"]]


# --- CTAS and INSERT INTO ---------------------------------------------------------------------

def test_ctas_writes_snappy_parquet_to_external_location_and_registers_the_table(athena, lake):
    s3, glue = lake("s3"), lake("glue")
    execution = run(athena, """CREATE TABLE order_facts WITH (format = 'PARQUET', parquet_compression = 'SNAPPY',
            external_location = 's3://lake/curated/order_facts/') AS
        SELECT o.order_id, c.name, o.amount, o.order_date FROM orders o JOIN customers c ON c.id = o.customer_id""")
    qid = execution["QueryExecutionId"]
    assert (execution["StatementType"], execution["SubstatementType"]) == ("DDL", "CREATE_TABLE_AS_SELECT")
    page = athena.get_query_results(QueryExecutionId=qid)
    assert page["UpdateCount"] == 6 and page["ResultSet"]["Rows"] == []
    assert [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]] == ["rows"]
    keys = keys_of(s3, LAKE, "curated/order_facts/")
    assert keys, "CTAS wrote no objects"
    # Athena's CTAS leaves tables/<id>.metadata and a manifest of the files written (awswrangler reads it)
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{OUTPUT}tables/{qid}"
    assert execution["Statistics"]["DataManifestLocation"] == f"{OUTPUT}tables/{qid}-manifest.csv"
    assert keys_of(s3, RESULTS, "queries/") == [f"queries/tables/{qid}-manifest.csv", f"queries/tables/{qid}.metadata"]
    manifest = s3.get_object(Bucket=RESULTS, Key=f"queries/tables/{qid}-manifest.csv")["Body"].read().decode()
    assert sorted(manifest.split()) == [f"s3://{LAKE}/{k}" for k in keys]
    for key in keys:
        body = s3.get_object(Bucket=LAKE, Key=key)["Body"].read()
        meta = pq.ParquetFile(io.BytesIO(body)).metadata
        assert meta.row_group(0).column(0).compression == "SNAPPY"
    table = glue.get_table(DatabaseName="shop", Name="order_facts")["Table"]
    storage = table["StorageDescriptor"]
    assert storage["Location"] == "s3://lake/curated/order_facts/"
    assert storage["SerdeInfo"]["SerializationLibrary"] == PARQUET[2]
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == [
        ("order_id", "bigint"), ("name", "string"), ("amount", "double"), ("order_date", "date")]
    assert table["Parameters"]["parquet.compression"] == "SNAPPY"
    assert select(athena, "SELECT name, sum(amount) FROM order_facts GROUP BY name ORDER BY name") == [
        ["Ada", "30.0"], ["Bo", "160.0"], ["Cy", "20.0"]]


def test_ctas_partitioned_and_bucketed_with_write_compression(athena, lake):
    s3, glue = lake("s3"), lake("glue")
    run(athena, """CREATE TABLE orders_by_month WITH (format = 'PARQUET', write_compression = 'GZIP',
            external_location = 's3://lake/curated/orders_by_month/',
            partitioned_by = ARRAY['month'], bucketed_by = ARRAY['customer_id'], bucket_count = 2) AS
        SELECT order_id, customer_id, amount, date_format(order_date, '%Y-%m') AS month FROM orders""")
    table = glue.get_table(DatabaseName="shop", Name="orders_by_month")["Table"]
    assert table["PartitionKeys"] == [{"Name": "month", "Type": "string"}]
    assert table["StorageDescriptor"]["BucketColumns"] == ["customer_id"]
    assert table["StorageDescriptor"]["NumberOfBuckets"] == 2
    parts = glue.get_partitions(DatabaseName="shop", TableName="orders_by_month")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == ["2024-01", "2024-02", "2024-03"]
    keys = keys_of(s3, LAKE, "curated/orders_by_month/")
    assert {k.split("/")[2] for k in keys} == {"month=2024-01", "month=2024-02", "month=2024-03"}
    body = s3.get_object(Bucket=LAKE, Key=keys[0])["Body"].read()
    assert pq.ParquetFile(io.BytesIO(body)).metadata.row_group(0).column(0).compression == "GZIP"
    assert select(athena, "SELECT month, count(*), sum(amount) FROM orders_by_month GROUP BY month ORDER BY month") \
        == [["2024-01", "2", "30.0"], ["2024-02", "3", "120.0"], ["2024-03", "1", "60.0"]]


def test_ctas_json_and_textfile_formats_read_back(athena, lake):
    s3, glue = lake("s3"), lake("glue")
    run(athena, "CREATE TABLE cust_json WITH (format = 'JSON', external_location = 's3://lake/curated/cj/') AS "
                "SELECT id, name FROM customers WHERE id <= 2")
    run(athena, "CREATE TABLE cust_text WITH (format = 'TEXTFILE', field_delimiter = '|', write_compression = 'NONE', "
                "external_location = 's3://lake/curated/ct/') AS SELECT id, name FROM customers WHERE id <= 2")
    (text_key,) = keys_of(s3, LAKE, "curated/ct/")
    assert sorted(s3.get_object(Bucket=LAKE, Key=text_key)["Body"].read().decode().splitlines()) == ["1|Ada", "2|Bo"]
    serde = glue.get_table(DatabaseName="shop", Name="cust_json")["Table"]["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"] == "org.apache.hive.hcatalog.data.JsonSerDe"
    for table in ("cust_json", "cust_text"):
        assert select(athena, f"SELECT id, name FROM {table} ORDER BY id") == [["1", "Ada"], ["2", "Bo"]]


def test_ctas_into_a_non_empty_location_fails_with_athenas_message(athena, lake):
    sql = ("CREATE TABLE nz WITH (format = 'PARQUET', external_location = 's3://lake/curated/nz/') AS "
           "SELECT * FROM customers WHERE country = 'NZ'")
    run(athena, sql)
    run(athena, "DROP TABLE nz")
    assert keys_of(lake("s3"), LAKE, "curated/nz/"), "DROP TABLE must leave the data in S3"
    execution = fail(athena, sql)
    reason = execution["Status"]["StateChangeReason"]
    assert reason.startswith("HIVE_PATH_ALREADY_EXISTS: Target directory for table 'shop.nz' already exists: "
                             "s3://lake/curated/nz. You may need to manually clean the data at location")
    assert execution["Status"]["AthenaError"]["ErrorCategory"] == 2
    # a CTAS over an existing table name is refused before anything is written
    run(athena, "CREATE TABLE nz2 WITH (external_location = 's3://lake/curated/nz2/') AS SELECT 1 AS x")
    again = fail(athena, "CREATE TABLE nz2 WITH (external_location = 's3://lake/curated/other/') AS SELECT 1 AS x")
    assert again["Status"]["StateChangeReason"] == \
        "TABLE_ALREADY_EXISTS: line 1:1: Destination table 'awsdatacatalog.shop.nz2' already exists"


def test_ctas_without_location_writes_under_the_query_result_location(athena, lake):
    execution = run(athena, "CREATE TABLE quick AS SELECT id, name FROM customers")
    location = lake("glue").get_table(DatabaseName="shop", Name="quick")["Table"]["StorageDescriptor"]["Location"]
    assert location.startswith(OUTPUT) and execution["QueryExecutionId"] in location
    assert select(athena, "SELECT count(*) FROM quick") == [["4"]]


def test_insert_into_appends_new_files(athena, lake):
    s3 = lake("s3")
    run(athena, "CREATE TABLE big_orders WITH (external_location = 's3://lake/curated/big/') AS "
                "SELECT order_id, amount FROM orders WHERE amount >= 50")
    before = keys_of(s3, LAKE, "curated/big/")
    execution = run(athena, "INSERT INTO big_orders SELECT order_id, amount FROM orders WHERE amount < 5")
    qid = execution["QueryExecutionId"]
    assert (execution["StatementType"], execution["SubstatementType"]) == ("DML", "INSERT")
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{OUTPUT}{qid}"
    assert athena.get_query_results(QueryExecutionId=qid)["UpdateCount"] == 1
    after = keys_of(s3, LAKE, "curated/big/")
    assert len(after) == len(before) + 1
    manifest = s3.get_object(Bucket=RESULTS, Key=f"queries/{qid}-manifest.csv")["Body"].read().decode()
    assert manifest.split() == [f"s3://{LAKE}/{k}" for k in after if k not in before]
    assert select(athena, "SELECT order_id FROM big_orders ORDER BY order_id") == [["11"], ["12"], ["15"]]
    mismatch = fail(athena, "INSERT INTO big_orders SELECT name, id FROM customers")
    assert mismatch["Status"]["StateChangeReason"].startswith("TYPE_MISMATCH: line 1:1: Insert query has mismatched "
                                                              "column types")


def test_insert_into_a_partitioned_table_adds_the_partition(athena, lake):
    upload_clicks(lake("s3"))
    run(athena, CLICKS_DDL)
    run(athena, "MSCK REPAIR TABLE clicks")
    run(athena, "INSERT INTO clicks VALUES ('u7', '/new', 1, '2024-02-01')")
    assert "dt=2024-02-01" in lines(athena, "SHOW PARTITIONS clicks")
    assert select(athena, "SELECT user, page, ms FROM clicks WHERE dt = '2024-02-01'") == [["u7", "/new", "1"]]


def test_alter_table_set_tblproperties_and_add_columns(athena, lake):
    run(athena, "ALTER TABLE customers SET TBLPROPERTIES ('owner_team' = 'data')")
    assert "owner_team\tdata" in lines(athena, "SHOW TBLPROPERTIES customers")
    run(athena, "ALTER TABLE customers ADD COLUMNS (vip boolean COMMENT 'added later')")
    columns = lake("glue").get_table(DatabaseName="shop", Name="customers")["Table"]["StorageDescriptor"]["Columns"]
    assert columns[-1] == {"Name": "vip", "Type": "boolean", "Comment": "added later"}
    assert select(athena, "SELECT id, vip FROM customers WHERE id = 1") == [["1", None]]


# --- views ------------------------------------------------------------------------------------

def test_create_or_replace_view_is_stored_in_glue_like_athena_and_queryable(athena, lake):
    glue = lake("glue")
    sql = "SELECT country, count(*) AS customers FROM customers GROUP BY country"
    run(athena, f"CREATE VIEW by_country AS {sql}")
    view = glue.get_table(DatabaseName="shop", Name="by_country")["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW"
    assert view["Parameters"]["presto_view"] == "true"
    assert view["ViewExpandedText"] == "/* Presto View */"
    original = view["ViewOriginalText"]
    assert original.startswith("/* Presto View: ") and original.endswith(" */")
    payload = json.loads(base64.b64decode(original[len("/* Presto View: "):-len(" */")]))
    assert payload["originalSql"] == sql and payload["catalog"] == "awsdatacatalog" and payload["schema"] == "shop"
    assert payload["columns"] == [{"name": "country", "type": "varchar"}, {"name": "customers", "type": "bigint"}]
    assert [(c["Name"], c["Type"]) for c in view["StorageDescriptor"]["Columns"]] == [
        ("country", "string"), ("customers", "bigint")]
    assert select(athena, "SELECT * FROM by_country ORDER BY country") == [["FR", "1"], ["NZ", "2"], ["US", "1"]]
    exists = fail(athena, f"CREATE VIEW by_country AS {sql}")
    assert "already exists" in exists["Status"]["StateChangeReason"]
    run(athena, "CREATE OR REPLACE VIEW by_country AS SELECT country FROM customers WHERE country <> 'NZ'")
    assert select(athena, "SELECT * FROM by_country ORDER BY 1") == [["FR"], ["US"]]
    assert "by_country" in lines(athena, "SHOW VIEWS")
    run(athena, "DROP VIEW by_country")
    assert "by_country" not in lines(athena, "SHOW TABLES")


# --- SHOW / DESCRIBE / DROP -----------------------------------------------------------------

def test_show_and_describe_statements_return_text_without_a_header(athena, lake):
    upload_clicks(lake("s3"))
    run(athena, CLICKS_DDL)
    run(athena, "MSCK REPAIR TABLE clicks")
    assert lines(athena, "SHOW TABLES") == ["clicks", "customers", "events", "orders"]
    assert lines(athena, "SHOW TABLES IN shop 'c*'") == ["clicks", "customers"]
    assert lines(athena, "SHOW COLUMNS IN clicks") == ["user", "page", "ms", "dt"]
    assert lines(athena, "SHOW PARTITIONS clicks") == [f"dt={d}" for d in DAYS]
    described = lines(athena, "DESCRIBE clicks")
    assert [d.split("\t")[0].strip() for d in described[:3]] == ["user", "page", "ms"]
    assert "# Partition Information" in described
    create = "\n".join(lines(athena, "SHOW CREATE TABLE clicks"))
    assert create.startswith("CREATE EXTERNAL TABLE `clicks`(")
    assert "PARTITIONED BY ( \n  `dt` string)" in create and "LOCATION\n  's3://lake/clicks/'" in create
    assert "'skip.header.line.count'='1'" in create
    execution = run(athena, "SHOW TABLES")
    qid = execution["QueryExecutionId"]
    assert (execution["StatementType"], execution["SubstatementType"]) == ("UTILITY", "SHOW_TABLES")
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{OUTPUT}{qid}.txt"
    body = lake("s3").get_object(Bucket=RESULTS, Key=f"queries/{qid}.txt")["Body"].read()
    assert body == b"clicks\ncustomers\nevents\norders"   # one line per row, no header, no final newline
    assert athena.get_query_results(QueryExecutionId=qid)["UpdateCount"] == 0
    explain = run(athena, "EXPLAIN SELECT name FROM customers WHERE id = 1")
    assert explain["ResultConfiguration"]["OutputLocation"].endswith(".txt")
    plan = result_rows(athena, explain["QueryExecutionId"])
    assert plan and plan[0] != ["Query Plan"] and "UpdateCount" not in athena.get_query_results(
        QueryExecutionId=explain["QueryExecutionId"])


def test_statement_type_is_known_even_when_the_statement_fails(athena):
    assert fail(athena, "DROP TABLE nothere")["StatementType"] == "DDL"
    assert fail(athena, "SHOW COLUMNS IN nothere")["StatementType"] == "UTILITY"
    assert fail(athena, "SELECT * FROM nothere")["StatementType"] == "DML"


def test_drop_table_removes_it_from_glue_and_keeps_the_data(athena, lake):
    glue = lake("glue")
    run(athena, "DROP TABLE customers")
    with pytest.raises(ClientError):
        glue.get_table(DatabaseName="shop", Name="customers")
    assert keys_of(lake("s3"), LAKE, "shop/customers/") == ["shop/customers/customers.csv"]
    run(athena, "DROP TABLE IF EXISTS customers")
    missing = fail(athena, "DROP TABLE customers")
    assert "Table not found" in missing["Status"]["StateChangeReason"]


# --- workgroups and result files ------------------------------------------------------------

def test_workgroup_output_location_is_used_and_enforced(athena, lake):
    athena.create_work_group(Name="analysts", Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/analysts/"},
        "EnforceWorkGroupConfiguration": False})
    athena.create_work_group(Name="locked", Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/locked/"},
        "EnforceWorkGroupConfiguration": True})
    qid = start(athena, "SELECT 1", output=None, WorkGroup="analysts")
    execution = wait(athena, qid)
    assert execution["WorkGroup"] == "analysts"
    assert execution["ResultConfiguration"]["OutputLocation"] == f"s3://{RESULTS}/analysts/{qid}.csv"
    qid = start(athena, "SELECT 1", output=f"s3://{RESULTS}/mine/", WorkGroup="analysts")
    assert wait(athena, qid)["ResultConfiguration"]["OutputLocation"] == f"s3://{RESULTS}/mine/{qid}.csv"
    qid = start(athena, "SELECT 1", output=f"s3://{RESULTS}/mine/", WorkGroup="locked")
    assert wait(athena, qid)["ResultConfiguration"]["OutputLocation"] == f"s3://{RESULTS}/locked/{qid}.csv"
    assert keys_of(lake("s3"), RESULTS, "locked/") == [f"locked/{qid}.csv", f"locked/{qid}.csv.metadata"]


def test_update_work_group_changes_enforcement_and_result_location(tmp_path, session):
    from lab_helpers.endpoint.registry import HANDLERS, Registry

    # Wired here explicitly so the test holds whether or not the default registry routes UpdateWorkGroup yet.
    registry = Registry({**HANDLERS, ("athena", "UpdateWorkGroup"): "lab_helpers.engines.athena.api:update_work_group"})
    ep = start_in_thread(tmp_path / "home", registry=registry)
    try:
        athena, s3 = session.client("athena", endpoint_url=ep.url), session.client("s3", endpoint_url=ep.url)
        s3.create_bucket(Bucket=RESULTS)
        athena.create_work_group(Name="team", Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/team/"}, "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": 10 ** 9})
        athena.update_work_group(WorkGroup="team", Description="analysts", ConfigurationUpdates={
            "EnforceWorkGroupConfiguration": False, "RemoveBytesScannedCutoffPerQuery": True,
            "ResultConfigurationUpdates": {"OutputLocation": f"s3://{RESULTS}/moved/"}})
        group = athena.get_work_group(WorkGroup="team")["WorkGroup"]
        assert group["Description"] == "analysts"
        assert group["Configuration"]["EnforceWorkGroupConfiguration"] is False
        assert "BytesScannedCutoffPerQuery" not in group["Configuration"]
        qid = athena.start_query_execution(QueryString="SELECT 1", WorkGroup="team")["QueryExecutionId"]
        assert wait(athena, qid)["ResultConfiguration"]["OutputLocation"] == f"s3://{RESULTS}/moved/{qid}.csv"
        athena.update_work_group(WorkGroup="team", State="DISABLED")
        with pytest.raises(ClientError) as err:
            athena.start_query_execution(QueryString="SELECT 1", WorkGroup="team")
        assert err.value.response["Error"]["Message"] == "WorkGroup team is disabled."
        with pytest.raises(ClientError) as err:
            athena.update_work_group(WorkGroup="nope", Description="x")
        assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    finally:
        ep.stop()


def test_query_without_any_output_location_is_an_invalid_request(athena):
    with pytest.raises(ClientError) as err:
        athena.start_query_execution(QueryString="SELECT 1")
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "No output location provided" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup="nope",
                                     ResultConfiguration={"OutputLocation": OUTPUT})
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    for location, message in [("s3://no-such-bucket/x/", "Unable to verify/create output bucket no-such-bucket"),
                              ("results/", "outputLocation is not a valid S3 path.")]:
        with pytest.raises(ClientError) as err:
            athena.start_query_execution(QueryString="SELECT 1", ResultConfiguration={"OutputLocation": location})
        assert err.value.response["Error"]["Message"] == message
    assert select(athena, "SELECT 2") == [["2"]]   # the endpoint still answers


def test_succeeded_query_writes_result_csv_and_metadata(athena, lake):
    s3 = lake("s3")
    execution = run(athena, "SELECT id, name, CAST(NULL AS varchar) AS nothing FROM customers WHERE id <= 2 "
                            "ORDER BY id")
    qid = execution["QueryExecutionId"]
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{OUTPUT}{qid}.csv"
    body = s3.get_object(Bucket=RESULTS, Key=f"queries/{qid}.csv")["Body"].read().decode()
    assert body == '"id","name","nothing"\n"1","Ada",\n"2","Bo",\n'
    assert list(csv.reader(io.StringIO(body)))[1] == ["1", "Ada", ""]
    meta = s3.head_object(Bucket=RESULTS, Key=f"queries/{qid}.csv.metadata")
    assert meta["ContentLength"] > 0


def test_failed_query_writes_no_result_file_and_has_no_results(athena, lake):
    qid = fail(athena, "SELECT nope FROM customers")["QueryExecutionId"]
    assert keys_of(lake("s3"), RESULTS, f"queries/{qid}") == []
    with pytest.raises(ClientError) as err:
        athena.get_query_results(QueryExecutionId=qid)
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    assert err.value.response["Error"]["Message"] == "Query did not finish successfully. Final query state: FAILED"
    assert err.value.response["AthenaErrorCode"] == "INVALID_QUERY_EXECUTION_STATE"


def test_failed_hive_ddl_leaves_its_reason_in_the_text_file(athena, lake):
    execution = fail(athena, "DROP TABLE nothere")
    qid, reason = execution["QueryExecutionId"], execution["Status"]["StateChangeReason"]
    assert reason == "FAILED: SemanticException [Error 10001]: Table not found shop.nothere"
    assert lake("s3").get_object(Bucket=RESULTS, Key=f"queries/{qid}.txt")["Body"].read() == reason.encode()
    assert athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"] == []


# --- results: paging and types ----------------------------------------------------------------

def test_get_query_results_pages_with_the_header_only_on_the_first_page(athena):
    qid = run(athena, "SELECT x FROM UNNEST(sequence(1, 2500)) AS t(x) ORDER BY x")["QueryExecutionId"]
    first = athena.get_query_results(QueryExecutionId=qid, MaxResults=1000)
    assert len(first["ResultSet"]["Rows"]) == 1000
    assert texts(first)[0] == ["x"] and texts(first)[1] == ["1"]
    second = athena.get_query_results(QueryExecutionId=qid, MaxResults=1000, NextToken=first["NextToken"])
    assert texts(second)[0] == ["1000"] and len(texts(second)) == 1000
    third = athena.get_query_results(QueryExecutionId=qid, MaxResults=1000, NextToken=second["NextToken"])
    assert texts(third)[-1] == ["2500"] and len(texts(third)) == 501
    assert "NextToken" not in third
    assert [int(r[0]) for r in result_rows(athena, qid)[1:]] == list(range(1, 2501))
    with pytest.raises(ClientError) as err:
        athena.get_query_results(QueryExecutionId=qid, MaxResults=1001)
    assert err.value.response["Error"]["Message"] == "MaxResults is more than maximum allowed length 1000"
    with pytest.raises(ClientError) as err:
        athena.get_query_results(QueryExecutionId=qid, NextToken="bogus")
    assert err.value.response["AthenaErrorCode"] == "INVALID_INPUT"


def test_column_info_carries_athena_types(athena):
    qid = run(athena, """SELECT 1 AS i, CAST(2 AS bigint) AS b, CAST(3 AS smallint) AS s, CAST(4 AS tinyint) AS t,
        1.5e0 AS d, CAST(2.5 AS real) AS r, CAST(3.25 AS decimal(10, 2)) AS m, 'x' AS v, true AS f,
        DATE '2024-01-02' AS day, TIMESTAMP '2024-01-02 03:04:05.678' AS ts, ARRAY[1, 2] AS a,
        MAP(ARRAY['k', 'j'], ARRAY[1, 2]) AS mp,
        CAST(ROW(1, 'z') AS ROW(n integer, s varchar)) AS rw""")["QueryExecutionId"]
    page = athena.get_query_results(QueryExecutionId=qid)
    info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in info] == [
        ("i", "integer"), ("b", "bigint"), ("s", "smallint"), ("t", "tinyint"), ("d", "double"), ("r", "real"),
        ("m", "decimal"), ("v", "varchar"), ("f", "boolean"), ("day", "date"), ("ts", "timestamp"),
        ("a", "array"), ("mp", "map"), ("rw", "row")]
    decimal = info[6]
    assert (decimal["Precision"], decimal["Scale"]) == (10, 2)
    assert all(c["Nullable"] == "UNKNOWN" and c["Label"] == c["Name"] for c in info)
    assert texts(page)[1] == ["1", "2", "3", "4", "1.5", "2.5", "3.25", "x", "true", "2024-01-02",
                              "2024-01-02 03:04:05.678", "[1, 2]", "{j=2, k=1}", "{n=1, s=z}"]   # map keys sorted


def test_decimal_literals_are_doubles_like_athena(athena):
    page = athena.get_query_results(QueryExecutionId=run(athena, "SELECT 0.1 + 0.2 AS x, 1.5 AS y")["QueryExecutionId"])
    assert [c["Type"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]] == ["double", "double"]
    assert texts(page)[1] == ["0.30000000000000004", "1.5"]


def test_null_values_have_no_varchar_value(athena):
    page = athena.get_query_results(QueryExecutionId=run(athena, "SELECT NULL AS a, 'b' AS b")["QueryExecutionId"])
    assert page["ResultSet"]["Rows"][1]["Data"] == [{}, {"VarCharValue": "b"}]


# --- statistics -------------------------------------------------------------------------------

def test_statistics_report_engine_time_and_bytes_of_the_objects_read(athena, lake):
    s3 = lake("s3")
    stats = run(athena, "SELECT * FROM customers")["Statistics"]
    assert stats["EngineExecutionTimeInMillis"] > 0
    assert stats["TotalExecutionTimeInMillis"] >= stats["EngineExecutionTimeInMillis"]
    assert stats["DataScannedInBytes"] == len(CUSTOMERS) == size_of(s3, LAKE, "shop/customers/")
    assert run(athena, "SELECT 1")["Statistics"]["DataScannedInBytes"] == 0


def test_parquet_scans_fewer_bytes_than_the_same_rows_as_csv(athena, lake):
    s3 = lake("s3")
    n = 2000
    rows = pa.table({"id": list(range(n)), "name": [f"name-{i:05d}" for i in range(n)],
                     "score": [i / 7 for i in range(n)]})
    s3.put_object(Bucket=LAKE, Key="bench/pq/data.parquet", Body=parquet_bytes(rows))
    text = "".join(f"{i},name-{i:05d},{i / 7}\n" for i in range(n)).encode()
    s3.put_object(Bucket=LAKE, Key="bench/csv/data.csv", Body=text)
    cols = "(id bigint, name string, score double)"
    run(athena, f"CREATE EXTERNAL TABLE bench_pq {cols} STORED AS PARQUET LOCATION 's3://lake/bench/pq/'")
    run(athena, f"CREATE EXTERNAL TABLE bench_csv {cols} ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
                "LOCATION 's3://lake/bench/csv/'")
    csv_stats = run(athena, "SELECT sum(score) FROM bench_csv")["Statistics"]
    pq_all = run(athena, "SELECT * FROM bench_pq")["Statistics"]
    pq_one = run(athena, "SELECT sum(score) FROM bench_pq")["Statistics"]
    assert csv_stats["DataScannedInBytes"] == len(text)
    assert pq_all["DataScannedInBytes"] <= size_of(s3, LAKE, "bench/pq/")
    assert 0 < pq_one["DataScannedInBytes"] < pq_all["DataScannedInBytes"] < csv_stats["DataScannedInBytes"]
    assert select(athena, "SELECT count(*), max(id) FROM bench_pq") == select(
        athena, "SELECT count(*), max(id) FROM bench_csv") == [[str(n), str(n - 1)]]


def test_partition_pruning_reduces_the_bytes_scanned(athena, lake):
    s3 = lake("s3")
    upload_clicks(s3)
    run(athena, CLICKS_DDL)
    run(athena, "MSCK REPAIR TABLE clicks")
    everything = run(athena, "SELECT count(*) FROM clicks")["Statistics"]["DataScannedInBytes"]
    one_day = run(athena, "SELECT count(*) FROM clicks WHERE dt = '2024-01-02'")["Statistics"]["DataScannedInBytes"]
    assert everything == size_of(s3, LAKE, "clicks/")
    assert one_day == size_of(s3, LAKE, "clicks/dt=2024-01-02/") < everything


# --- lifecycle: states, cancel, concurrency, batch and list ------------------------------------

SLOW = "SELECT count(*) FROM UNNEST(sequence(1, 200000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 200000)) AS b(y) " \
       "WHERE (a.x * b.y) % 7 = 3"


def test_states_move_to_running_and_stop_cancels_a_slow_query(athena):
    qid = start(athena, SLOW)
    seen = []
    deadline = time.time() + 10
    while time.time() < deadline:
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == "RUNNING":
            break
        time.sleep(0.01)
    assert seen[-1] == "RUNNING" and set(seen) <= {"QUEUED", "RUNNING"}
    athena.stop_query_execution(QueryExecutionId=qid)
    execution = wait(athena, qid, timeout=15)   # SLOW alone runs for minutes
    assert execution["Status"]["State"] == "CANCELLED"
    assert "CompletionDateTime" in execution["Status"]
    assert execution["Status"]["StateChangeReason"] == "Query cancelled by user"
    with pytest.raises(ClientError) as err:
        athena.get_query_results(QueryExecutionId=qid)
    assert (err.value.response["Error"]["Message"], err.value.response["AthenaErrorCode"]) == (
        "Could not find results", "RESULT_NOT_FOUND")
    assert select(athena, "SELECT 'still here'") == [["still here"]]


def test_stop_of_a_finished_query_leaves_it_succeeded(athena):
    qid = run(athena, "SELECT 1")["QueryExecutionId"]
    athena.stop_query_execution(QueryExecutionId=qid)
    assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "SUCCEEDED"


def test_six_concurrent_queries_all_succeed_with_their_own_results(athena):
    queries = {k: f"SELECT {k} AS k, count(*) AS n FROM orders o JOIN customers c ON c.id = o.customer_id "
                  f"WHERE o.order_id >= {10 + k}" for k in range(6)}
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        ids = dict(zip(queries, pool.map(lambda sql: start(athena, sql), queries.values())))
        executions = dict(zip(ids, pool.map(lambda qid: wait(athena, qid), ids.values())))
    assert {e["Status"]["State"] for e in executions.values()} == {"SUCCEEDED"}
    for k, qid in ids.items():
        assert result_rows(athena, qid)[1] == [str(k), str(6 - k)]


def test_batch_get_query_execution_reports_unknown_ids(athena):
    good = run(athena, "SELECT 1")["QueryExecutionId"]
    bad = fail(athena, "SELECT * FROM nowhere")["QueryExecutionId"]
    resp = athena.batch_get_query_execution(QueryExecutionIds=[good, bad, "00000000-0000-0000-0000-000000000000"])
    assert {e["QueryExecutionId"]: e["Status"]["State"] for e in resp["QueryExecutions"]} == {
        good: "SUCCEEDED", bad: "FAILED"}
    assert [u["QueryExecutionId"] for u in resp["UnprocessedQueryExecutionIds"]] == [
        "00000000-0000-0000-0000-000000000000"]
    assert resp["UnprocessedQueryExecutionIds"][0]["ErrorCode"]


def test_list_query_executions_is_newest_first_per_workgroup(athena):
    athena.create_work_group(Name="other", Configuration={"ResultConfiguration": {"OutputLocation": OUTPUT}})
    first = run(athena, "SELECT 1")["QueryExecutionId"]
    second = run(athena, "SELECT 2")["QueryExecutionId"]
    elsewhere = run(athena, "SELECT 3", WorkGroup="other")["QueryExecutionId"]
    assert athena.list_query_executions()["QueryExecutionIds"][:2] == [second, first]
    assert athena.list_query_executions(WorkGroup="other")["QueryExecutionIds"] == [elsewhere]
    paged = athena.list_query_executions(MaxResults=1)
    assert paged["QueryExecutionIds"] == [second] and paged["NextToken"]
    with pytest.raises(ClientError) as err:
        athena.get_query_execution(QueryExecutionId="no-such-query")
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    assert err.value.response["Error"]["Message"] == "QueryExecution no-such-query was not found"
    assert err.value.response["AthenaErrorCode"] == "QUERY_EXECUTION_NOT_FOUND"


# --- error shapes -----------------------------------------------------------------------------

@pytest.mark.parametrize("sql, reason, category, etype", [
    ("SELECT nope FROM customers",
     "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or requester is not authorized to access "
     "requested resources", 2, 1006),
    ("SELECT * FROM missing_table",
     "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.shop.missing_table' does not exist", 2, 1110),
    ("SELECT * FROM nodb.customers",
     "SCHEMA_NOT_FOUND: line 1:15: Schema 'nodb' does not exist", 2, 1301),
    ("SELECT order_id / 0 FROM orders", "DIVISION_BY_ZERO: Division by zero", 2, 1001),
    ("SELECT nosuchfn(name) FROM customers",
     "FUNCTION_NOT_FOUND: line 1:8: Function 'nosuchfn' not registered", 2, 1303),
])
def test_failed_queries_report_athena_errors(athena, sql, reason, category, etype):
    status = fail(athena, sql)["Status"]
    assert status["StateChangeReason"].startswith(reason)
    assert status["AthenaError"]["ErrorCategory"] == category
    assert status["AthenaError"]["ErrorType"] == etype
    assert status["AthenaError"]["ErrorMessage"] == status["StateChangeReason"]
    assert select(athena, "SELECT count(*) FROM customers") == [["4"]]   # the endpoint still answers


@pytest.mark.parametrize("sql, message", [
    ("SELECT * FORM customers", "line 1:10: mismatched input 'FORM'"),
    ("SELEC 1", "line 1:1: mismatched input 'SELEC'. Expecting: "),
    ("SELECT * FROM customers WHERE", "line 1:30: mismatched input '<EOF>'. Expecting: <expression>"),
])
def test_syntax_errors_are_rejected_at_submission_like_athena(athena, sql, message):
    with pytest.raises(ClientError) as err:
        start(athena, sql)
    response = err.value.response
    assert response["Error"]["Code"] == "InvalidRequestException"
    assert response["Error"]["Message"].startswith(message)
    assert response["AthenaErrorCode"] == "MALFORMED_QUERY"
    assert select(athena, "SELECT 1") == [["1"]]


def test_per_query_scan_limit_cancels_a_query_that_scans_more(athena, lake):
    lake("s3").put_object(Bucket=LAKE, Key="shop/big/big.csv", Body=b"1,a,b\n" * 1_800_000)  # 10.8 MB
    lake("glue").create_table(DatabaseName="shop", TableInput={
        "Name": "big", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "csv"},
        "StorageDescriptor": sd(f"s3://{LAKE}/shop/big/", [("id", "bigint"), ("x", "string"), ("y", "string")],
                                serde_params={"field.delim": ","})})
    athena.create_work_group(Name="capped", Configuration={   # 10 MB is the smallest limit AWS accepts
        "ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/capped/"}, "BytesScannedCutoffPerQuery": 10_000_000})
    qid = start(athena, "SELECT count(*) FROM big", output=None, WorkGroup="capped")
    execution = wait(athena, qid)
    assert execution["Status"]["State"] == "CANCELLED"
    assert execution["Status"]["StateChangeReason"] == "Query cancelled! : Bytes scanned limit was exceeded"
    assert execution["Statistics"]["DataScannedInBytes"] == 10_800_000
    assert keys_of(lake("s3"), RESULTS, "capped/") == []
    with pytest.raises(ClientError):
        athena.get_query_results(QueryExecutionId=qid)
    run(athena, "SELECT count(*) FROM customers", output=None, WorkGroup="capped")  # small scans still run
