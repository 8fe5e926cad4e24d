"""The workshop stack: every resource as the workshop ships it, tagged, and provisioning is idempotent."""
import json

import pytest

from lab_helpers.stack.names import TAG_KEY, Names
from lab_helpers.stack.provision import provision
from tests.conftest import reset_endpoint

NAMES = Names("0123456789ab")
pytestmark = pytest.mark.shared_account   # every test reads the one stack provisioned below


@pytest.fixture(scope="module")
def stacked(endpoint_server, session):
    """Provisioned once for the module on a reset endpoint (153 source objects take seconds)."""
    reset_endpoint(endpoint_server)
    return provision(session, NAMES, endpoint_url=endpoint_server.url)


def test_second_provision_creates_nothing(stacked, endpoint, session):
    assert stacked.created
    again = provision(session, NAMES, endpoint_url=endpoint.url)
    assert again.created == []
    assert sorted(again.kept) == sorted(stacked.created)


def test_kms_key_has_root_only_console_policy_and_rotation(stacked, client):
    kms = client("kms")
    meta = kms.describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    assert policy["Id"] == "key-consolepolicy-3"
    assert [s["Principal"]["AWS"] for s in policy["Statement"]] == ["arn:aws:iam::123456789012:root"]
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert {"TagKey": TAG_KEY, "TagValue": NAMES.guid} in tags


@pytest.mark.parametrize("zone", ["raw", "curated", "results"])
def test_zone_buckets_default_to_sse_kms_with_versioning_and_no_public_access(stacked, client, zone):
    s3 = client("s3")
    bucket = NAMES.buckets[zone]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == stacked.key_arn
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    sids = [s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]]
    assert sids == ["DenySSES3Uploads", "DenyForeignKmsKeys"]
    assert {"Key": TAG_KEY, "Value": NAMES.guid} in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]


def test_source_bucket_holds_12_sis_and_141_lms_objects(stacked, client):
    s3 = client("s3")
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=NAMES.buckets["source"])
            for o in p.get("Contents", [])]
    assert sum("sis_demo_parquet/" in k for k in keys) == 12
    assert sum("lms_demo/" in k for k in keys) == 141


def test_roles_have_s3_rights_and_no_kms_rights(stacked, client):
    iam = client("iam")
    for role in NAMES.roles:
        doc = iam.get_role_policy(RoleName=role, PolicyName="dataedu-s3-access")["PolicyDocument"]
        actions = [a for st in doc["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])]
        assert any(a.startswith("s3:") for a in actions)
        assert not any(a.startswith("kms:") for a in actions), role
        assert {"Key": TAG_KEY, "Value": NAMES.guid} in iam.get_role(RoleName=role)["Role"]["Tags"]


def test_loader_functions_exist_with_their_roles_and_environment(stacked, client):
    lam = client("lambda")
    demo = lam.get_function(FunctionName="dataedu-fetch-demo-data")["Configuration"]
    assert demo["Role"].endswith("role/dataedu-fetch-demo-data-role")
    assert demo["Environment"]["Variables"]["RAW_DATA_BUCKET_NAME"] == NAMES.buckets["raw"]
    copy = lam.get_function(FunctionName="dataedu-fetch-s3-data")["Configuration"]
    assert copy["Role"].endswith("role/dataedu-fetch-s3-data-role")
    assert copy["Handler"] == "dataedu_fetch_s3_data.lambda_handler"
