"""Crawlers through boto3: the workshop data set crawls into the expected catalog, as the role."""
import concurrent.futures
import gzip
import json
import time

import pytest
from botocore.exceptions import ClientError

from lab_helpers import datasets
from lab_helpers.stack.provision import _generated, bucket_policy, root_only_key_policy

BUCKET = "crawl-raw"


def wait_ready(glue, name, timeout=120):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        state = glue.get_crawler(Name=name)["Crawler"]["State"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == "READY" and len(seen) > 1 or (state == "READY" and glue.get_crawler(Name=name)["Crawler"].get("LastCrawl")):
            return glue.get_crawler(Name=name)["Crawler"], seen
        time.sleep(0.05)
    raise AssertionError(f"crawler {name} did not finish: {seen}")


def upload(s3, bucket, items):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda kv: s3.put_object(Bucket=bucket, Key=kv[0], Body=kv[1]), items))


@pytest.fixture
def lake(client):
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    upload(s3, BUCKET, [(o.key, o.body) for o in _generated(1.0, 2020)])
    client("iam").create_role(RoleName="crawler-role", AssumeRolePolicyDocument="{}")
    return client


def run_crawler(glue, name, path, db, **extra):
    glue.create_crawler(Name=name, Role="crawler-role", DatabaseName=db, Targets={"S3Targets": [{"Path": path}]}, **extra)
    glue.start_crawler(Name=name)
    return wait_ready(glue, name)


def test_sis_crawl_creates_12_tables_with_parquet_types(lake):
    glue = lake("glue")
    crawler, states = run_crawler(glue, "sis", f"s3://{BUCKET}/sisdb/sisdemo/", "db_raw_sisdemo")
    assert states[0] == "RUNNING" and states[-1] == "READY"
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName="db_raw_sisdemo")["TableList"]}
    assert sorted(tables) == sorted(datasets.SIS_SCHEMAS)
    for name, schema in datasets.SIS_SCHEMAS.items():
        cols = [(c["Name"], c["Type"]) for c in tables[name]["StorageDescriptor"]["Columns"]]
        assert cols == [(f.name, datasets.glue_type(f.type)) for f in schema], name
        assert tables[name]["Parameters"]["classification"] == "parquet"
        assert tables[name]["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert len(tables["student"]["StorageDescriptor"]["Columns"]) == 24


def test_lms_crawl_creates_10_tables_partitioned_by_process_date(lake):
    glue = lake("glue")
    run_crawler(glue, "lms", f"s3://{BUCKET}/lmsapi/", "db_raw_lmsdemo")
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName="db_raw_lmsdemo")["TableList"]}
    assert sorted(tables) == sorted(datasets.LMS_COLUMNS)
    expected_partitions = {"requests": 32, "submission_dim": 32, "submission_fact": 32, "account_dim": 1,
                           "user_dim": 1, "assignment_dim": 2, "assignment_fact": 2, "course_dim": 2,
                           "enrollment_dim": 2, "enrollment_fact": 2}
    for name, columns in datasets.LMS_COLUMNS.items():
        table = tables[name]
        assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == list(columns), name
        assert table["PartitionKeys"] == [{"Name": "process_date", "Type": "string"}]
        parts = glue.get_partitions(DatabaseName="db_raw_lmsdemo", TableName=name)["Partitions"]
        assert len(parts) == expected_partitions[name], name
        params = table["Parameters"]
        assert params["classification"] == "csv" and params["skip.header.line.count"] == "1"
        for key in ("recordCount", "objectCount", "sizeKey", "averageRecordSize", "compressionType",
                    "UPDATED_BY_CRAWLER", "CrawlerSchemaSerializerVersion"):
            assert key in params, (name, key)
    assert tables["requests"]["Parameters"]["objectCount"] == "64"
    assert tables["requests"]["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == ","


def test_recrawl_adds_new_partitions_without_duplicating_tables(lake):
    glue, s3 = lake("glue"), lake("s3")
    run_crawler(glue, "lms", f"s3://{BUCKET}/lmsapi/", "db_raw_lmsdemo")
    body = s3.get_object(Bucket=BUCKET, Key="lmsapi/requests/process_date=2021-05-03/general.csv")["Body"].read()
    s3.put_object(Bucket=BUCKET, Key="lmsapi/requests/process_date=2021-05-10/general.csv", Body=body)
    glue.start_crawler(Name="lms")
    wait_ready(glue, "lms")  # StartCrawler answers once the state is RUNNING: this waits for the recrawl
    crawls = glue.list_crawls(CrawlerName="lms")["Crawls"]
    assert len(crawls) == 2 and all("EndTime" in c for c in crawls)
    assert len(glue.get_tables(DatabaseName="db_raw_lmsdemo")["TableList"]) == 10
    parts = glue.get_partitions(DatabaseName="db_raw_lmsdemo", TableName="requests")["Partitions"]
    assert len(parts) == 33 and ["2021-05-10"] in [p["Values"] for p in parts]


def test_json_lines_with_nested_partitions_gives_keys_in_order(client):
    s3, glue = client("s3"), client("glue")
    s3.create_bucket(Bucket="events-lake")
    for month in ("01", "02"):
        rows = "\n".join(json.dumps({"id": i, "kind": "click", "tags": ["a"], "ctx": {"page": "/x"}}) for i in range(5))
        s3.put_object(Bucket="events-lake", Key=f"clicks/year=2024/month={month}/part-0.json", Body=rows.encode())
    client("iam").create_role(RoleName="crawler-role", AssumeRolePolicyDocument="{}")
    run_crawler(glue, "events", "s3://events-lake/clicks/", "events")
    table = glue.get_table(DatabaseName="events", Name="clicks")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month"]
    assert table["Parameters"]["classification"] == "json"
    types = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert types["id"] == "int" and types["tags"] == "array<string>" and types["ctx"].startswith("struct<")


def test_crawl_as_role_without_key_user_rights_fails_with_access_denied_in_log(client):
    s3, kms, glue, logs = client("s3"), client("kms"), client("glue"), client("logs")
    key = kms.create_key(Policy=json.dumps(root_only_key_policy("123456789012")))["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="enc-raw")
    s3.put_bucket_encryption(Bucket="enc-raw", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})
    s3.put_bucket_policy(Bucket="enc-raw", Policy=json.dumps(bucket_policy("enc-raw", key)))
    s3.put_object(Bucket="enc-raw", Key="lmsapi/t/process_date=2020-08-17/a.csv", Body=b"id,name\n1,x\n2,y\n")
    client("iam").create_role(RoleName="crawler-role", AssumeRolePolicyDocument="{}")
    crawler, _ = run_crawler(glue, "enc", "s3://enc-raw/lmsapi/", "db_enc")
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert glue.get_tables(DatabaseName="db_enc")["TableList"] == [] if _db_exists(glue, "db_enc") else True
    messages = [e["message"] for e in logs.filter_log_events(logGroupName="/aws-glue/crawlers", logStreamNames=["enc"])["events"]]
    assert any("Access Denied" in m or "AccessDenied" in m for m in messages), messages


def _db_exists(glue, name):
    try:
        glue.get_database(Name=name)
        return True
    except ClientError:
        return False


def test_bad_data_never_crashes_the_endpoint(client):
    s3, glue = client("s3"), client("glue")
    s3.create_bucket(Bucket="messy")
    s3.put_object(Bucket="messy", Key="zero/empty.csv", Body=b"")
    s3.put_object(Bucket="messy", Key="broken/a.csv", Body=b"id,amount\n1,2.5\n2,3.5\n3,4.5,EXTRA,COLS\n4,5.5\n")
    s3.put_object(Bucket="messy", Key="garbage/blob.bin", Body=gzip.compress(b"\x00\x01" * 100)[:50])
    client("iam").create_role(RoleName="crawler-role", AssumeRolePolicyDocument="{}")
    for name, prefix in [("nothing", "s3://messy/does-not-exist/"), ("zero", "s3://messy/zero/"),
                         ("broken", "s3://messy/broken/"), ("garbage", "s3://messy/garbage/")]:
        crawler, _ = run_crawler(glue, name, prefix, "messy_db")
        assert crawler["LastCrawl"]["Status"] in ("SUCCEEDED", "FAILED")
    assert glue.get_table(DatabaseName="messy_db", Name="broken")["Table"]["Parameters"]["classification"] == "csv"
    assert client("sts").get_caller_identity()["Account"] == "123456789012"


def test_crawler_state_machine_metrics_and_crawls(lake):
    glue = lake("glue")
    glue.create_crawler(Name="sis", Role="crawler-role", DatabaseName="db_raw_sisdemo",
                        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/sisdb/sisdemo/"}]})
    with pytest.raises(ClientError) as err:
        glue.stop_crawler(Name="sis")
    assert err.value.response["Error"]["Code"] == "CrawlerNotRunningException"
    glue.start_crawler(Name="sis")
    with pytest.raises(ClientError) as err:
        glue.start_crawler(Name="sis")
    assert err.value.response["Error"]["Code"] == "CrawlerRunningException"
    wait_ready(glue, "sis")
    metrics = glue.get_crawler_metrics(CrawlerNameList=["sis"])["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 12 and metrics["LastRuntimeSeconds"] > 0
    crawls = glue.list_crawls(CrawlerName="sis")["Crawls"]
    assert crawls[0]["State"] == "COMPLETED" and json.loads(crawls[0]["Summary"])["TABLE"]["ADD"]["Count"] == 12


def test_unknown_crawler_is_entity_not_found(client):
    with pytest.raises(ClientError) as err:
        client("glue").start_crawler(Name="nope")
    assert err.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_update_crawler_changes_the_definition_and_refuses_while_running(lake):
    glue = lake("glue")
    glue.create_crawler(Name="upd", Role="crawler-role", DatabaseName="db_a",
                        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/sisdb/sisdemo/course/"}]})
    glue.update_crawler(Name="upd", DatabaseName="db_b", Description="moved",
                        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/sisdb/sisdemo/"}]})
    crawler = glue.get_crawler(Name="upd")["Crawler"]
    assert crawler["DatabaseName"] == "db_b" and crawler["Description"] == "moved"
    assert crawler["Targets"]["S3Targets"][0]["Path"].endswith("/sisdb/sisdemo/")
    assert crawler["Version"] == 2
    glue.start_crawler(Name="upd")
    with pytest.raises(ClientError) as err:
        glue.update_crawler(Name="upd", DatabaseName="db_c")
    assert err.value.response["Error"]["Code"] == "CrawlerRunningException"
    wait_ready(glue, "upd")
    assert len(glue.get_tables(DatabaseName="db_b")["TableList"]) == 12
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.update_crawler(Name="nope", DatabaseName="db_c")
