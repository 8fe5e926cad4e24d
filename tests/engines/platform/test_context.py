"""The platform services on the engine context, through the endpoint as engines use them:
CloudWatch Logs writing, acting as a role, a crawl stopped mid-way, a reset that waits."""
from __future__ import annotations

import threading

import pytest

from lab_helpers.engines.glue import api as glue_api
from lab_helpers.engines.platform.acting import RoleNotAssumable
from lab_helpers.engines.ports import StoreAccessDenied

WAIT = 30


def _until(predicate, timeout: float = WAIT):
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        value = predicate()
        if value:
            return value
        pause.wait(0.02)
    raise AssertionError("condition not reached")


# --- logs ------------------------------------------------------------------------------------------

def test_log_writer_creates_group_and_stream_and_keeps_the_order(endpoint, client):
    writer = endpoint.app.context.logs()
    assert writer.write("/labkit/test", "run-1", ["first", "", "second"]) == 2
    assert writer.write("/labkit/test", "run-1", "third\nfourth\n") == 2
    logs = client("logs")
    events = logs.get_log_events(logGroupName="/labkit/test", logStreamName="run-1", startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["first", "second", "third", "fourth"]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)


def test_log_writer_recreates_a_stream_the_learner_deleted(endpoint, client):
    writer = endpoint.app.context.logs()
    writer.write("/labkit/test", "s", ["before"])
    client("logs").delete_log_group(logGroupName="/labkit/test")
    writer.write("/labkit/test", "s", ["after"])
    events = client("logs").get_log_events(logGroupName="/labkit/test", logStreamName="s")["events"]
    assert [e["message"] for e in events] == ["after"]


# --- acting as a principal --------------------------------------------------------------------------

@pytest.fixture
def sealed_object(client):
    """An SSE-KMS object whose key policy has no key users (only the account root)."""
    import json

    kms, s3 = client("kms"), client("s3")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:*", "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]
    s3.create_bucket(Bucket="sealed")
    s3.put_object(Bucket="sealed", Key="data.csv", Body=b"a,b\n1,2\n", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key["Arn"])
    client("iam").create_role(RoleName="reader", AssumeRolePolicyDocument="{}")
    return key


def test_acting_as_a_role_caches_the_session_and_applies_the_key_policy(endpoint, sealed_object):
    ctx = endpoint.app.context
    acting = ctx.acting_as("reader", "us-east-1", "job-1")
    assert acting.arn == "arn:aws:sts::123456789012:assumed-role/reader/job-1"
    assert ctx.acting_as("arn:aws:iam::123456789012:role/reader", "us-east-1", "job-1") is acting
    with pytest.raises(StoreAccessDenied, match="kms:Decrypt"):
        acting.store().get_object("sealed", "data.csv")
    env = acting.env()
    assert env["AWS_ACCESS_KEY_ID"] == acting.credentials["AccessKeyId"] and env["AWS_SESSION_TOKEN"]
    assert env["AWS_ENDPOINT_URL"] == endpoint.url


def test_the_learner_reads_what_a_role_cannot(endpoint, sealed_object):
    class Signed:
        access_key, region = "test", "us-east-1"
    caller = endpoint.app.context.as_caller(Signed())
    assert caller.principal.kind == "root"
    assert caller.store().get_object("sealed", "data.csv") == b"a,b\n1,2\n"


def test_an_unknown_role_cannot_be_acted_as(endpoint):
    with pytest.raises(RoleNotAssumable, match="arn:aws:iam::123456789012:role/no-such-role"):
        endpoint.app.context.acting_as("no-such-role", "us-east-1", "x")


# --- job table behaviour seen through Glue ---------------------------------------------------------

@pytest.fixture
def paused_crawl(monkeypatch):
    """Holds every crawl at its start until released, then runs the real crawler."""
    gate, entered = threading.Event(), threading.Event()
    real = glue_api.crawl

    def held(*args, **kwargs):
        entered.set()
        gate.wait(WAIT)
        return real(*args, **kwargs)
    monkeypatch.setattr(glue_api, "crawl", held)
    return gate, entered


def _lake(client, n_files=3):
    s3 = client("s3")
    s3.create_bucket(Bucket="lake")
    for i in range(n_files):
        s3.put_object(Bucket="lake", Key=f"raw/t/part-{i}.csv", Body=b"id,name\n1,a\n2,b\n")
    client("iam").create_role(RoleName="crawler-role", AssumeRolePolicyDocument="{}")
    glue = client("glue")
    glue.create_crawler(Name="c", Role="crawler-role", DatabaseName="db",
                        Targets={"S3Targets": [{"Path": "s3://lake/raw/"}]})
    return glue


def test_stop_crawler_mid_crawl_stops_it_before_the_catalog_is_written(endpoint, client, paused_crawl):
    gate, entered = paused_crawl
    glue = _lake(client)
    glue.start_crawler(Name="c")
    assert entered.wait(WAIT)                          # the crawl is running, held at its start
    glue.stop_crawler(Name="c")
    assert glue.get_crawler(Name="c")["Crawler"]["State"] == "STOPPING"
    gate.set()
    crawler = _until(lambda: (c := glue.get_crawler(Name="c")["Crawler"])["State"] == "READY" and c)
    assert crawler["LastCrawl"]["Status"] == "CANCELLED"
    assert glue.list_crawls(CrawlerName="c")["Crawls"][0]["State"] == "CANCELLED"
    assert not _db(glue, "db")                         # nothing reached the Data Catalog
    # the crawler can run again, and this time it finishes
    glue.start_crawler(Name="c")
    crawler = _until(lambda: (c := glue.get_crawler(Name="c")["Crawler"])["State"] == "READY"
                     and c["LastCrawl"]["MessagePrefix"] != crawler["LastCrawl"]["MessagePrefix"] and c)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    assert [t["Name"] for t in glue.get_tables(DatabaseName="db")["TableList"]] == ["raw"]


def _db(glue, name):
    try:
        glue.get_database(Name=name)
        return True
    except glue.exceptions.EntityNotFoundException:
        return False


def test_reset_waits_for_a_running_crawl_so_nothing_writes_into_the_fresh_endpoint(endpoint, client, paused_crawl):
    gate, entered = paused_crawl
    glue = _lake(client)
    glue.start_crawler(Name="c")
    assert entered.wait(WAIT)
    job = endpoint.app.context.jobs("glue").jobs()[-1]
    releaser = threading.Thread(target=lambda: (_until(lambda: job.cancelled), gate.set()), daemon=True)
    releaser.start()
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint.url}/_labkit/reset", method="POST"), timeout=WAIT)
    assert job.done                                    # reset returned only after the crawl ended
    assert not _db(client("glue"), "db")               # and the cancelled crawl wrote nothing
