"""iam_lite: SSE-KMS object access needs key-policy rights; the stack's bucket-policy denies work."""
import json

import pytest
from botocore.exceptions import ClientError

from lab_helpers.endpoint.moto.sts import Principal
from lab_helpers.engines.iam import lite as iam_lite
from lab_helpers.engines.ports import StoreAccessDenied
from lab_helpers.stack.provision import bucket_policy, root_only_key_policy
from tests.conftest import role_session

ACCOUNT = "123456789012"
ROLE = "dataedu-fetch-s3-data-role"


@pytest.fixture
def lake(client):
    kms, s3 = client("kms"), client("s3")
    key = kms.create_key(Policy=json.dumps(root_only_key_policy(ACCOUNT)))["KeyMetadata"]
    s3.create_bucket(Bucket="raw-zone")
    s3.put_bucket_encryption(Bucket="raw-zone", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
        "BucketKeyEnabled": True}]})
    s3.put_bucket_policy(Bucket="raw-zone", Policy=json.dumps(bucket_policy("raw-zone", key["Arn"])))
    client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument="{}")
    return {"key_arn": key["Arn"], "key_id": key["KeyId"]}


def add_key_users(client, key_id, role_names):
    kms = client("kms")
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append({
        "Sid": "Allow use of the key", "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:role/{r}" for r in role_names]},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))


def test_role_without_key_user_rights_gets_kms_generate_data_key_denied(client, lake):
    s3 = role_session(client, ROLE).client("s3", endpoint_url=client("s3").meta.endpoint_url)
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket="raw-zone", Key="sisdb/x.parquet", Body=b"data")
    error = err.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/test-session is not authorized to perform: "
        f"kms:GenerateDataKey on resource: {lake['key_arn']} because no resource-based policy allows the "
        "kms:GenerateDataKey action")
    assert "Contents" not in client("s3").list_objects_v2(Bucket="raw-zone")


def test_key_users_statement_lets_the_same_role_write_and_read(client, lake):
    s3_role = role_session(client, ROLE).client("s3", endpoint_url=client("s3").meta.endpoint_url)
    add_key_users(client, lake["key_id"], [ROLE])
    resp = s3_role.put_object(Bucket="raw-zone", Key="sisdb/x.parquet", Body=b"data")
    assert resp["ServerSideEncryption"] == "aws:kms"
    assert s3_role.get_object(Bucket="raw-zone", Key="sisdb/x.parquet")["Body"].read() == b"data"


def test_role_cannot_read_sse_kms_object_without_decrypt_rights(client, lake):
    client("s3").put_object(Bucket="raw-zone", Key="lmsapi/a.csv", Body=b"a,b\n1,2\n")
    s3_role = role_session(client, ROLE).client("s3", endpoint_url=client("s3").meta.endpoint_url)
    with pytest.raises(ClientError) as err:
        s3_role.get_object(Bucket="raw-zone", Key="lmsapi/a.csv")
    assert "is not authorized to perform: kms:Decrypt on resource: " + lake["key_arn"] in err.value.response["Error"]["Message"]


def test_learners_own_identity_keeps_full_access(client, lake):
    s3 = client("s3")
    s3.put_object(Bucket="raw-zone", Key="mine.txt", Body=b"ok")
    assert s3.get_object(Bucket="raw-zone", Key="mine.txt")["Body"].read() == b"ok"


def test_bucket_policy_denies_sse_s3_uploads_even_for_the_learner(client, lake):
    with pytest.raises(ClientError) as err:
        client("s3").put_object(Bucket="raw-zone", Key="x.txt", Body=b"x", ServerSideEncryption="AES256")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert "explicit deny in a resource-based policy" in err.value.response["Error"]["Message"]


def test_bucket_policy_denies_a_foreign_kms_key(client, lake):
    other = client("kms").create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as err:
        client("s3").put_object(Bucket="raw-zone", Key="x.txt", Body=b"x", ServerSideEncryption="aws:kms",
                                SSEKMSKeyId=other)
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_compliant_explicit_sse_kms_upload_with_the_lake_key_succeeds(client, lake):
    resp = client("s3").put_object(Bucket="raw-zone", Key="x.txt", Body=b"x", ServerSideEncryption="aws:kms",
                                   SSEKMSKeyId=lake["key_arn"])
    assert resp["SSEKMSKeyId"] == lake["key_arn"]


def test_iam_policy_grant_works_through_the_root_statement(client, lake):
    client("iam").put_role_policy(RoleName=ROLE, PolicyName="kms", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": lake["key_arn"]}]}))
    s3_role = role_session(client, ROLE).client("s3", endpoint_url=client("s3").meta.endpoint_url)
    s3_role.put_object(Bucket="raw-zone", Key="ok.txt", Body=b"ok")


def test_explicit_deny_in_key_policy_beats_an_allow(client, lake):
    add_key_users(client, lake["key_id"], [ROLE])
    kms = client("kms")
    policy = json.loads(kms.get_key_policy(KeyId=lake["key_id"], PolicyName="default")["Policy"])
    policy["Statement"].append({"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"},
                                "Action": "kms:GenerateDataKey*", "Resource": "*"})
    kms.put_key_policy(KeyId=lake["key_id"], PolicyName="default", Policy=json.dumps(policy))
    s3_role = role_session(client, ROLE).client("s3", endpoint_url=client("s3").meta.endpoint_url)
    with pytest.raises(ClientError):
        s3_role.put_object(Bucket="raw-zone", Key="no.txt", Body=b"no")


def test_copy_object_by_role_needs_decrypt_on_source(client, lake):
    client("s3").put_object(Bucket="raw-zone", Key="src.txt", Body=b"s")
    s3_role = role_session(client, ROLE).client("s3", endpoint_url=client("s3").meta.endpoint_url)
    with pytest.raises(ClientError) as err:
        s3_role.copy_object(Bucket="raw-zone", Key="dst.txt", CopySource={"Bucket": "raw-zone", "Key": "src.txt"})
    assert "kms:Decrypt" in err.value.response["Error"]["Message"]


def test_role_object_store_raises_store_access_denied(client, lake, endpoint):
    client("s3").put_object(Bucket="raw-zone", Key="lmsapi/a.csv", Body=b"a")
    role_session(client, ROLE)
    principal = Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/crawl", "assumed-role",
                          f"arn:aws:iam::{ACCOUNT}:role/{ROLE}", ROLE, "crawl")
    store = iam_lite.RoleObjectStore(endpoint.app.context.store(), principal)
    with pytest.raises(StoreAccessDenied):
        store.get_object("raw-zone", "lmsapi/a.csv")
    add_key_users(client, lake["key_id"], [ROLE])
    assert store.get_object("raw-zone", "lmsapi/a.csv") == b"a"
