"""Teardown deletes what the workspace owns, in dependency order, and never a decoy: untagged
resources and those tagged for another workspace survive (0 foreign resources deleted)."""
import json

import boto3
import pytest

from lab_helpers.stack.manifest import Manifest
from lab_helpers.stack.names import TAG_KEY, Names
from lab_helpers.stack.provision import provision
from lab_helpers.stack.tagging import install
from lab_helpers.stack.teardown import KINDS, teardown

MINE, OTHER = Names("aaaaaaaaaaaa"), Names("bbbbbbbbbbbb")
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def manifest(tmp_path):
    return Manifest(tmp_path / "manifest.json", "local", MINE.guid)


@pytest.fixture
def lab_session(endpoint, manifest, monkeypatch):
    """A boto3 session as a notebook has it: the kit's tagging hooks on, pointed at the endpoint."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    s = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    install(s, MINE.guid, manifest, "us-east-1")
    return s


def _decoys(client):
    """Resources that look like the lab's but are not this workspace's."""
    s3, iam, glue, athena = client("s3"), client("iam"), client("glue"), client("athena")
    s3.create_bucket(Bucket="dataedu-raw-decoy")                                   # untagged
    s3.create_bucket(Bucket=OTHER.buckets["raw"])                                  # another workspace
    s3.put_bucket_tagging(Bucket=OTHER.buckets["raw"], Tagging={"TagSet": [{"Key": TAG_KEY, "Value": OTHER.guid}]})
    s3.put_object(Bucket=OTHER.buckets["raw"], Key="keep.csv", Body=b"a\n1\n")
    role = iam.create_role(RoleName="decoy-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.create_role(RoleName="other-ws-role", AssumeRolePolicyDocument=TRUST,
                    Tags=[{"Key": TAG_KEY, "Value": OTHER.guid}])
    glue.create_database(DatabaseInput={"Name": "db_decoy"})
    glue.create_crawler(Name="decoy-crawler", Role=role, DatabaseName="db_decoy",
                        Targets={"S3Targets": [{"Path": "s3://dataedu-raw-decoy/"}]}, Tags={TAG_KEY: OTHER.guid})
    athena.create_work_group(Name="decoy-wg")
    kms = client("kms")
    key = kms.create_key(Description="decoy")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/decoy", TargetKeyId=key)
    client("logs").create_log_group(logGroupName="/decoy/logs", tags={TAG_KEY: OTHER.guid})
    client("secretsmanager").create_secret(Name="decoy-secret", SecretString="x")
    return key


def _survivors(client, decoy_key):
    s3, iam, glue = client("s3"), client("iam"), client("glue")
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    return {
        "buckets": {"dataedu-raw-decoy", OTHER.buckets["raw"]} <= buckets,
        "object": s3.get_object(Bucket=OTHER.buckets["raw"], Key="keep.csv")["Body"].read() == b"a\n1\n",
        "roles": {"decoy-role", "other-ws-role"} <= roles,
        "db": "db_decoy" in {d["Name"] for d in glue.get_databases()["DatabaseList"]},
        "crawler": "decoy-crawler" in glue.list_crawlers()["CrawlerNames"],
        "wg": "decoy-wg" in {w["Name"] for w in client("athena").list_work_groups()["WorkGroups"]},
        "key": client("kms").describe_key(KeyId=decoy_key)["KeyMetadata"]["KeyState"] == "Enabled",
        "alias": "alias/decoy" in {a["AliasName"] for a in client("kms").list_aliases()["Aliases"]},
        "logs": "/decoy/logs" in {g["logGroupName"] for g in client("logs").describe_log_groups()["logGroups"]},
        "secret": "decoy-secret" in {s["Name"] for s in client("secretsmanager").list_secrets()["SecretList"]},
    }


def _lab_work(lab_session, role_arn):
    """What the labs create from a notebook (plain boto3, no tags passed)."""
    glue = lab_session.client("glue")
    glue.create_crawler(Name="dataedu-sisdemo-crawler", Role=role_arn, DatabaseName="db_raw_sisdemo",
                        Targets={"S3Targets": [{"Path": f"s3://{MINE.buckets['raw']}/sisdb/"}]})
    glue.create_database(DatabaseInput={"Name": "db_raw_sisdemo"})      # as the crawl would
    glue.create_table(DatabaseName="db_raw_sisdemo", TableInput={"Name": "student"})
    glue.create_database(DatabaseInput={"Name": "db_cur_lmsdemo"})
    lab_session.client("athena").create_work_group(Name="dataedu-wg-lab04")
    lab_session.client("logs").create_log_group(logGroupName="/labkit/lab-logs")
    lab_session.client("s3").create_bucket(Bucket=f"lab-scratch-{MINE.guid}")


def test_teardown_deletes_only_the_workspace_and_every_decoy_survives(endpoint, client, session, manifest,
                                                                      lab_session):
    report = provision(session, MINE, endpoint_url=endpoint.url, with_data=False)
    client("s3").put_object(Bucket=MINE.buckets["raw"], Key="sisdb/x.csv", Body=b"a\n1\n")
    client("s3").put_object(Bucket=MINE.buckets["raw"], Key="sisdb/x.csv", Body=b"a\n2\n")   # two versions
    decoy_key = _decoys(client)
    _lab_work(lab_session, f"arn:aws:iam::{report.account}:role/dataedu-glue-crawler-role")
    make = lambda service: session.client(service, endpoint_url=endpoint.url)   # noqa: E731

    dry = teardown(make, MINE.guid, manifest, "us-east-1")
    owned = {(r.kind, r.name) for r in dry.owned}
    assert {("s3 bucket", b) for b in MINE.buckets.values()} <= owned
    assert ("s3 bucket", f"lab-scratch-{MINE.guid}") in owned
    assert {("iam role", r) for r in MINE.roles} <= owned
    assert {("lambda function", f) for f in MINE.functions} <= owned
    assert {("glue crawler", "dataedu-sisdemo-crawler"), ("glue database", "db_raw_sisdemo"),
            ("glue database", "db_cur_lmsdemo"), ("athena workgroup", "dataedu-wg-lab04"),
            ("log group", "/labkit/lab-logs")} <= owned
    assert sum(r.kind == "kms key" for r in dry.owned) == 1
    foreign_names = {r.name for r in dry.foreign}
    assert {"dataedu-raw-decoy", OTHER.buckets["raw"], "decoy-role", "other-ws-role", "decoy-crawler",
            "decoy-wg", "/decoy/logs", "decoy-secret"} <= foreign_names
    assert not owned & {(r.kind, r.name) for r in dry.foreign}
    assert dry.deleted == [] and all(_survivors(client, decoy_key).values())
    assert client("s3").head_bucket(Bucket=MINE.buckets["raw"])   # a dry run deletes nothing

    done = teardown(make, MINE.guid, manifest, "us-east-1", execute=True)
    assert done.failed == []
    assert {(r.kind, r.name) for r in done.deleted} | {(r.kind, r.name) for r, _ in done.pending} == owned
    assert [r.kind for r, _ in done.pending] == ["kms key"]   # KMS schedules, 7 days at least
    assert _survivors(client, decoy_key) == {k: True for k in _survivors(client, decoy_key)}
    buckets = {b["Name"] for b in client("s3").list_buckets()["Buckets"]}
    assert not buckets & set(MINE.buckets.values())
    assert not {r["RoleName"] for r in client("iam").list_roles()["Roles"]} & set(MINE.roles)
    assert client("lambda").list_functions()["Functions"] == []
    dbs = {d["Name"] for d in client("glue").get_databases()["DatabaseList"]}
    assert "db_raw_sisdemo" not in dbs and "db_cur_lmsdemo" not in dbs
    assert "alias/dataedu-key" not in {a["AliasName"] for a in client("kms").list_aliases()["Aliases"]}
    assert manifest.entries() == []

    again = teardown(make, MINE.guid, manifest, "us-east-1", execute=True)
    assert again.deleted == [] and again.failed == []
    assert [r.kind for r, why in again.pending] == ["kms key"] and "already scheduled" in again.pending[0][1]


def test_a_tag_changed_between_listing_and_deleting_means_hands_off(endpoint, client, session, manifest):
    s3 = client("s3")
    s3.create_bucket(Bucket="flip")
    s3.put_bucket_tagging(Bucket="flip", Tagging={"TagSet": [{"Key": TAG_KEY, "Value": MINE.guid}]})

    class Flipping:
        """The bucket's tag is this workspace's when listed, another's when proved again."""

        def __init__(self, real):
            self.real, self.calls = real, 0

        def __getattr__(self, name):
            return getattr(self.real, name)

        def get_bucket_tagging(self, **kw):
            self.calls += 1
            value = MINE.guid if self.calls == 1 else OTHER.guid
            return {"TagSet": [{"Key": TAG_KEY, "Value": value}]}

    def make(service):
        real = session.client(service, endpoint_url=endpoint.url)
        return Flipping(real) if service == "s3" else real

    report = teardown(make, MINE.guid, manifest, "us-east-1", execute=True, kinds=["s3 bucket"])
    assert [r.name for r, why in report.failed] == ["flip"] and "changed" in report.failed[0][1]
    assert "flip" in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_untaggable_resources_need_a_manifest_entry(endpoint, client, session, manifest):
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": "db_someone_elses"})
    glue.create_database(DatabaseInput={"Name": "db_mine"})
    manifest.record("glue_database", "us-east-1", name="db_mine")
    Manifest(manifest.path, "local", OTHER.guid).record("glue_database", "us-east-1", name="db_someone_elses")
    make = lambda service: session.client(service, endpoint_url=endpoint.url)   # noqa: E731

    report = teardown(make, MINE.guid, manifest, "us-east-1", execute=True, kinds=["glue database"])
    assert [r.name for r in report.deleted] == ["db_mine"]
    assert {d["Name"] for d in glue.get_databases()["DatabaseList"]} == {"db_someone_elses"}


def test_a_kind_the_target_cannot_list_is_reported_not_guessed(endpoint, session, manifest):
    make = lambda service: session.client(service, endpoint_url=endpoint.url)   # noqa: E731
    report = teardown(make, MINE.guid, manifest, "us-east-1")
    listed = {k for k, _ in report.unlisted}
    assert listed <= {k.name for k in KINDS}
    assert report.owned == []


def test_kinds_run_in_dependency_order():
    order = [k.name for k in KINDS]
    before = [("sagemaker endpoint", "sagemaker endpoint config"), ("sagemaker endpoint config", "sagemaker model"),
              ("redshift-serverless workgroup", "redshift-serverless namespace"), ("databrew job", "databrew dataset"),
              ("glue crawler", "glue database"), ("glue table", "glue database"), ("lambda function", "iam role"),
              ("s3 bucket", "kms key"), ("glue crawler", "iam role"), ("iam user", "iam policy"),
              ("iam role", "iam policy")]
    for first, then in before:
        assert order.index(first) < order.index(then), (first, then)


def test_redshift_serverless_resources_are_owned_by_their_tag(endpoint, client, session, manifest):
    """The local Redshift Serverless engine stores tags, so teardown can prove what is whose."""
    rs = client("redshift-serverless")
    mine = [{"key": TAG_KEY, "value": MINE.guid}]
    rs.create_namespace(namespaceName="mine-ns", adminUsername="admin", adminUserPassword="Passw0rd!x", tags=mine)
    rs.create_workgroup(workgroupName="mine-wg", namespaceName="mine-ns", tags=mine)
    rs.create_namespace(namespaceName="decoy-ns", adminUsername="admin", adminUserPassword="Passw0rd!x",
                        tags=[{"key": TAG_KEY, "value": OTHER.guid}])
    rs.create_namespace(namespaceName="untagged-ns", adminUsername="admin", adminUserPassword="Passw0rd!x")
    make = lambda service: session.client(service, endpoint_url=endpoint.url)   # noqa: E731
    dry = teardown(make, MINE.guid, manifest, "us-east-1")
    owned = {(r.kind, r.name) for r in dry.owned if r.kind.startswith("redshift")}
    assert owned == {("redshift-serverless workgroup", "mine-wg"), ("redshift-serverless namespace", "mine-ns")}
    assert {"decoy-ns", "untagged-ns"} <= {r.name for r in dry.foreign}
    teardown(make, MINE.guid, manifest, "us-east-1", execute=True)
    left = {n["namespaceName"] for n in rs.list_namespaces()["namespaces"]}
    assert {"decoy-ns", "untagged-ns"} <= left
    # DeleteWorkgroup goes through DELETING as on AWS; the namespace follows on a later run
    assert {w["status"] for w in rs.list_workgroups()["workgroups"] if w["workgroupName"] == "mine-wg"} <= {"DELETING"}


def test_databrew_resources_are_owned_by_their_tag(endpoint, client, session, manifest):
    brew = client("databrew")
    client("s3").create_bucket(Bucket="brew-src")
    source = {"S3InputDefinition": {"Bucket": "brew-src", "Key": "s.csv"}}
    brew.create_dataset(Name="mine-ds", Input=source, Tags={TAG_KEY: MINE.guid})
    brew.create_dataset(Name="other-ds", Input=source, Tags={TAG_KEY: OTHER.guid})
    brew.create_dataset(Name="untagged-ds", Input=source)
    make = lambda service: session.client(service, endpoint_url=endpoint.url)   # noqa: E731
    dry = teardown(make, MINE.guid, manifest, "us-east-1")
    assert {(r.kind, r.name) for r in dry.owned if r.kind.startswith("databrew")} == {("databrew dataset", "mine-ds")}
    assert {"other-ds", "untagged-ds"} <= {r.name for r in dry.foreign}
    teardown(make, MINE.guid, manifest, "us-east-1", execute=True)
    assert {d["Name"] for d in brew.list_datasets()["Datasets"]} == {"other-ds", "untagged-ds"}
