"""One endpoint, isolated accounts: a learner's IAM keys act in their own account, the engines follow
the caller, and nobody reaches another account's bucket (class mode rests on this)."""
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from lab_helpers.stack.names import Names
from lab_helpers.stack.provision import provision


def learner(endpoint, account: str) -> boto3.session.Session:
    """An IAM user with an access key in ``account``, made the way `labkit class create` does it."""
    admin = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    creds = admin.client("sts", endpoint_url=endpoint.url).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="labkit-class")["Credentials"]
    iam = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"], region_name="us-east-1"
                                ).client("iam", endpoint_url=endpoint.url)
    iam.create_user(UserName="learner")
    key = iam.create_access_key(UserName="learner")["AccessKey"]
    return boto3.session.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                                 region_name="us-east-1")


class Learner:
    def __init__(self, endpoint, account):
        self.session = learner(endpoint, account)
        self.url = endpoint.url

    def __call__(self, service):
        return self.session.client(service, endpoint_url=self.url)


@pytest.fixture
def two(endpoint):
    return Learner(endpoint, "111111111111"), Learner(endpoint, "222222222222")


def _wait_query(athena, qid):
    deadline = time.time() + 60
    while time.time() < deadline:
        ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if ex["Status"]["State"] not in ("QUEUED", "RUNNING"):
            return ex
        time.sleep(0.1)
    raise AssertionError("query did not finish")


def test_a_learners_keys_act_in_their_own_account(two):
    a, b = two
    assert a("sts").get_caller_identity()["Arn"] == "arn:aws:iam::111111111111:user/learner"
    assert b("sts").get_caller_identity()["Account"] == "222222222222"


def test_buckets_are_listed_per_account_and_another_accounts_bucket_is_access_denied(two):
    a, b = two
    a("s3").create_bucket(Bucket="bucket-of-a")
    a("s3").put_object(Bucket="bucket-of-a", Key="secret.csv", Body=b"x\n")
    b("s3").create_bucket(Bucket="bucket-of-b")
    assert [x["Name"] for x in a("s3").list_buckets()["Buckets"]] == ["bucket-of-a"]
    assert [x["Name"] for x in b("s3").list_buckets()["Buckets"]] == ["bucket-of-b"]
    for call in (lambda: b("s3").get_object(Bucket="bucket-of-a", Key="secret.csv"),
                 lambda: b("s3").list_objects_v2(Bucket="bucket-of-a"),
                 lambda: b("s3").put_object(Bucket="bucket-of-a", Key="x", Body=b"1"),
                 lambda: b("s3").delete_bucket(Bucket="bucket-of-a"),
                 lambda: b("s3").copy_object(Bucket="bucket-of-b", Key="stolen",
                                             CopySource={"Bucket": "bucket-of-a", "Key": "secret.csv"})):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] in ("AccessDenied", "403")
    with pytest.raises(ClientError) as err:
        b("s3").create_bucket(Bucket="bucket-of-a")
    assert err.value.response["Error"]["Code"] == "BucketAlreadyExists"   # names are global, as on AWS


def test_a_header_naming_another_account_changes_nothing(endpoint, two):
    a, _ = two
    s3 = a("s3")
    s3.meta.events.register("before-sign.s3.CreateBucket",
                            lambda request, **kw: request.headers.__setitem__("x-moto-account-id", "222222222222"))
    s3.create_bucket(Bucket="made-by-a")
    assert "made-by-a" in [x["Name"] for x in a("s3").list_buckets()["Buckets"]]


def test_the_same_stack_provisions_in_two_accounts_and_sse_kms_uploads_use_each_accounts_key(endpoint, two):
    a, b = two
    for guid, make in (("aaaaaaaaaaa1", a), ("bbbbbbbbbbb2", b)):
        provision(make.session, Names(guid), endpoint_url=endpoint.url, with_data=False)
    for guid, make in (("aaaaaaaaaaa1", a), ("bbbbbbbbbbb2", b)):
        make("s3").put_object(Bucket=f"dataedu-raw-{guid}", Key="x.csv", Body=b"a\n1\n")
        head = make("s3").head_object(Bucket=f"dataedu-raw-{guid}", Key="x.csv")
        key = make("kms").describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["Arn"]
        assert head["SSEKMSKeyId"] == key and key.split(":")[4] == make("sts").get_caller_identity()["Account"]
    assert {r["RoleName"] for r in a("iam").list_roles()["Roles"]} >= {"dataedu-glue-crawler-role"}


def test_glue_catalogs_and_the_athena_engine_are_per_account(two):
    a, b = two
    for make, bucket in ((a, "athena-a"), (b, "athena-b")):
        make("s3").create_bucket(Bucket=bucket)
    ex = _wait_query(a("athena"), a("athena").start_query_execution(
        QueryString="CREATE DATABASE lab_db", ResultConfiguration={"OutputLocation": "s3://athena-a/q/"})["QueryExecutionId"])
    assert ex["Status"]["State"] == "SUCCEEDED"
    assert [d["Name"] for d in a("glue").get_databases()["DatabaseList"]] == ["lab_db"]
    assert b("glue").get_databases()["DatabaseList"] == []
    ex = _wait_query(b("athena"), b("athena").start_query_execution(
        QueryString="SELECT * FROM lab_db.nothing", ResultConfiguration={"OutputLocation": "s3://athena-b/q/"})[
        "QueryExecutionId"])
    assert ex["Status"]["State"] == "FAILED"   # account b has no lab_db
    a_queries = a("athena").list_query_executions()["QueryExecutionIds"]
    assert ex["QueryExecutionId"] not in a_queries and a_queries   # query history is per account too
    with pytest.raises(ClientError):
        b("athena").get_query_execution(QueryExecutionId=a_queries[0])
    b("glue").create_database(DatabaseInput={"Name": "lab_db"})   # the same name, another account
    assert [d["Name"] for d in b("glue").get_databases()["DatabaseList"]] == ["lab_db"]


def test_crawlers_of_the_same_name_run_per_account(two):
    a, b = two
    for make, bucket in ((a, "crawl-a"), (b, "crawl-b")):
        make("s3").create_bucket(Bucket=bucket)
        make("s3").put_object(Bucket=bucket, Key="t/part.csv", Body=b"id,name\n1,x\n")
        role = make("iam").create_role(RoleName="crawler", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        make("iam").put_role_policy(RoleName="crawler", PolicyName="s3", PolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'))
        make("glue").create_crawler(Name="same-name", Role=role, DatabaseName="crawled",
                                    Targets={"S3Targets": [{"Path": f"s3://{bucket}/t/"}]})
    a("glue").start_crawler(Name="same-name")
    deadline = time.time() + 60
    while a("glue").get_crawler(Name="same-name")["Crawler"]["State"] != "READY" and time.time() < deadline:
        time.sleep(0.2)
    assert a("glue").get_crawler(Name="same-name")["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"
    assert [t["Name"] for t in a("glue").get_tables(DatabaseName="crawled")["TableList"]] == ["t"]
    assert "LastCrawl" not in b("glue").get_crawler(Name="same-name")["Crawler"]
    with pytest.raises(ClientError):
        b("glue").get_tables(DatabaseName="crawled")
