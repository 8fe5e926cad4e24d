"""The tagging hooks: what a notebook creates with plain boto3 carries the workspace tag, and what
cannot be tagged (Glue databases and tables, from the API, Athena DDL or a crawler) is recorded."""
import time

import boto3
import pytest

from lab_helpers.stack.manifest import Manifest
from lab_helpers.stack.names import TAG_KEY
from lab_helpers.stack.tagging import ddl_targets, install, with_tag

GUID = "cccccccccccc"


@pytest.fixture
def hooked(endpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    manifest = Manifest(tmp_path / "manifest.json", "local", GUID)
    s = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    install(s, GUID, manifest, "us-east-1")
    install(s, GUID, manifest, "us-east-1")   # twice: still one tag, one entry
    return s, manifest


def test_with_tag_adds_the_workspace_tag_in_each_shape_and_keeps_the_callers():
    assert with_tag(None, "map", GUID) == {TAG_KEY: GUID}
    assert with_tag({"team": "x"}, "map", GUID) == {"team": "x", TAG_KEY: GUID}
    assert with_tag([{"Key": "a", "Value": "b"}], "list", GUID) == [{"Key": "a", "Value": "b"},
                                                                      {"Key": TAG_KEY, "Value": GUID}]
    assert with_tag([], "lower", GUID) == [{"key": TAG_KEY, "value": GUID}]
    assert with_tag([], "kms", GUID) == [{"TagKey": TAG_KEY, "TagValue": GUID}]
    assert with_tag([{"Key": TAG_KEY, "Value": "explicit"}], "list", GUID) == [{"Key": TAG_KEY, "Value": "explicit"}]


def test_ddl_targets_reads_what_an_athena_statement_creates():
    assert ddl_targets("CREATE DATABASE IF NOT EXISTS db_cur_lmsdemo") == [("glue_database", "db_cur_lmsdemo", "")]
    assert ddl_targets("create schema `Sales`") == [("glue_database", "sales", "")]
    assert ddl_targets('CREATE TABLE db_cur_lmsdemo."agg" WITH (format=\'PARQUET\') AS SELECT 1') == \
        [("glue_table", "db_cur_lmsdemo", "agg")]
    assert ddl_targets("CREATE OR REPLACE VIEW student_pageviews AS SELECT 1", "db_cur_lmsdemo") == \
        [("glue_table", "db_cur_lmsdemo", "student_pageviews")]
    assert ddl_targets("CREATE EXTERNAL TABLE IF NOT EXISTS t (a int) LOCATION 's3://b/'") == \
        [("glue_table", "default", "t")]
    assert ddl_targets("SELECT * FROM x") == [] and ddl_targets("") == []


def test_plain_creates_carry_the_workspace_tag(hooked, client):
    s, _ = hooked
    role = s.client("iam").create_role(RoleName="lab-role", AssumeRolePolicyDocument="{}")["Role"]
    assert {"Key": TAG_KEY, "Value": GUID} in client("iam").list_role_tags(RoleName="lab-role")["Tags"]
    s.client("glue").create_crawler(Name="c1", Role=role["Arn"], DatabaseName="db_new",
                                    Targets={"S3Targets": [{"Path": "s3://x/"}]})
    assert client("glue").get_tags(ResourceArn="arn:aws:glue:us-east-1:123456789012:crawler/c1")["Tags"] == {TAG_KEY: GUID}
    key = s.client("kms").create_key()["KeyMetadata"]["KeyId"]
    assert client("kms").list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": TAG_KEY, "TagValue": GUID}]
    s.client("s3").create_bucket(Bucket="lab-bucket-1")
    assert client("s3").get_bucket_tagging(Bucket="lab-bucket-1")["TagSet"] == [{"Key": TAG_KEY, "Value": GUID}]
    s.client("athena").create_work_group(Name="wg1", Tags=[{"Key": "team", "Value": "a"}])
    tags = client("athena").list_tags_for_resource(ResourceARN="arn:aws:athena:us-east-1:123456789012:workgroup/wg1")
    assert sorted(t["Key"] for t in tags["Tags"]) == sorted(["team", TAG_KEY])


def test_untaggable_creates_enter_the_manifest(hooked, client):
    s, manifest = hooked
    client("glue").create_database(DatabaseInput={"Name": "db_existing"})
    glue = s.client("glue")
    glue.create_database(DatabaseInput={"Name": "db_api"})
    glue.create_table(DatabaseName="db_existing", TableInput={"Name": "t_api"})
    glue.create_crawler(Name="c-new", Role="arn:aws:iam::123456789012:role/r", DatabaseName="db_by_crawl",
                        Targets={"S3Targets": [{"Path": "s3://x/"}]})
    glue.create_crawler(Name="c-old", Role="arn:aws:iam::123456789012:role/r", DatabaseName="db_existing",
                        Targets={"S3Targets": [{"Path": "s3://x/"}]})
    client("s3").create_bucket(Bucket="athena-out")
    athena = s.client("athena")
    for sql in ("CREATE DATABASE IF NOT EXISTS db_ddl", "CREATE DATABASE IF NOT EXISTS db_existing"):
        qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={
            "OutputLocation": "s3://athena-out/q/"})["QueryExecutionId"]
        deadline = time.time() + 30
        while athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] in (
                "QUEUED", "RUNNING") and time.time() < deadline:
            time.sleep(0.1)
    entries = {(e["kind"], e.get("database", ""), e["name"]) for e in manifest.entries()}
    assert entries == {("glue_database", "", "db_api"), ("glue_table", "db_existing", "t_api"),
                       ("glue_database", "", "db_by_crawl"), ("glue_database", "", "db_ddl")}
