"""S3 and SSE-KMS input that AWS refuses is refused with S3's own error (issue 11.9).

Before: moto stored objects under nonexistent or disabled KMS keys and keys over 1024 bytes,
answered a bogus UploadId with a 500 KeyError, took PartNumber 0 as a missing upload and
completed uploads whose parts were out of order (or failed them for another reason)."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from lab_helpers.endpoint.protocol import identify

ACCOUNT = "123456789012"
BUCKET = "input-errors"
MISSING_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
PART = b"p" * (5 * 1024 * 1024)   # parts but the last must be >= 5 MiB


@pytest.fixture
def s3(client):
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return s3


def _error(excinfo) -> tuple[str, str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


# --- SSE-KMS keys -------------------------------------------------------------------------------

@pytest.mark.parametrize("key_ref, message", [
    (MISSING_KEY_ID, f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{MISSING_KEY_ID}' does not exist"),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{MISSING_KEY_ID}",
     f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{MISSING_KEY_ID}' does not exist"),
    ("alias/no-such-alias", f"Alias arn:aws:kms:us-east-1:{ACCOUNT}:alias/no-such-alias is not found."),
    ("aws/s3", "Invalid keyId aws/s3"),
    (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{MISSING_KEY_ID}", "Invalid arn eu-west-1"),
])
def test_put_object_with_a_nonexistent_kms_key_is_kms_not_found(s3, key_ref, message):
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=BUCKET, Key="x.txt", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_ref)
    assert _error(err) == ("KMS.NotFoundException", message, 400)
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_put_object_with_a_disabled_kms_key_is_kms_disabled(client, s3):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=BUCKET, Key="x.txt", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert _error(err) == ("KMS.DisabledException", f"{key['Arn']} is disabled.", 400)


def test_put_object_with_a_key_pending_deletion_is_kms_invalid_state(client, s3):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=BUCKET, Key="x.txt", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert _error(err) == ("KMS.KMSInvalidStateException", f"{key['Arn']} is pending deletion.", 400)


def test_bucket_default_encryption_with_a_nonexistent_key_refuses_plain_uploads(s3):
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/typo"}}]})
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=BUCKET, Key="x.txt", Body=b"x")
    assert _error(err)[0] == "KMS.NotFoundException"


def test_create_multipart_upload_and_copy_object_check_the_kms_key_too(s3):
    s3.put_object(Bucket=BUCKET, Key="src.txt", Body=b"s")
    with pytest.raises(ClientError) as err:
        s3.create_multipart_upload(Bucket=BUCKET, Key="m.bin", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/nope")
    assert _error(err)[0] == "KMS.NotFoundException"
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=BUCKET, Key="dst.txt", CopySource={"Bucket": BUCKET, "Key": "src.txt"},
                       ServerSideEncryption="aws:kms", SSEKMSKeyId=MISSING_KEY_ID)
    assert _error(err)[0] == "KMS.NotFoundException"


def test_reading_an_object_whose_key_was_disabled_is_kms_disabled(client, s3):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    s3.put_object(Bucket=BUCKET, Key="x.txt", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=BUCKET, Key="x.txt")
    assert _error(err) == ("KMS.DisabledException", f"{key['Arn']} is disabled.", 400)


@pytest.mark.parametrize("kwargs", [
    {"ServerSideEncryption": "aws:kms"},                                   # the AWS managed key
    {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/aws/s3"},
    {"ServerSideEncryption": "AES256"},
    {},
])
def test_valid_encryption_choices_still_upload(s3, kwargs):
    s3.put_object(Bucket=BUCKET, Key="ok.txt", Body=b"ok", **kwargs)
    assert s3.get_object(Bucket=BUCKET, Key="ok.txt")["Body"].read() == b"ok"


def test_an_existing_enabled_key_by_id_arn_and_alias_uploads(client, s3):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/lake", TargetKeyId=key["KeyId"])
    for ref in (key["KeyId"], key["Arn"], "alias/lake", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/lake"):
        s3.put_object(Bucket=BUCKET, Key="k.txt", Body=b"k", ServerSideEncryption="aws:kms", SSEKMSKeyId=ref)


# --- multipart uploads --------------------------------------------------------------------------

def test_upload_part_with_a_bogus_upload_id_is_no_such_upload(s3):
    with pytest.raises(ClientError) as err:
        s3.upload_part(Bucket=BUCKET, Key="m.bin", UploadId="bogus", PartNumber=1, Body=b"x")
    code, message, status = _error(err)
    assert (code, status) == ("NoSuchUpload", 404)
    assert message.startswith("The specified upload does not exist.")


def test_complete_and_copy_part_with_a_bogus_upload_id_are_no_such_upload(s3):
    s3.put_object(Bucket=BUCKET, Key="src.txt", Body=b"s")
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=BUCKET, Key="m.bin", UploadId="bogus",
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"x"'}]})
    assert _error(err)[::2] == ("NoSuchUpload", 404)
    with pytest.raises(ClientError) as err:
        s3.upload_part_copy(Bucket=BUCKET, Key="m.bin", UploadId="bogus", PartNumber=1,
                            CopySource={"Bucket": BUCKET, "Key": "src.txt"})
    assert _error(err)[::2] == ("NoSuchUpload", 404)


def test_a_completed_upload_id_is_no_such_upload(s3):
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="m.bin")["UploadId"]
    etag = s3.upload_part(Bucket=BUCKET, Key="m.bin", UploadId=upload, PartNumber=1, Body=b"only")["ETag"]
    s3.complete_multipart_upload(Bucket=BUCKET, Key="m.bin", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    with pytest.raises(ClientError) as err:
        s3.upload_part(Bucket=BUCKET, Key="m.bin", UploadId=upload, PartNumber=2, Body=b"late")
    assert _error(err)[::2] == ("NoSuchUpload", 404)


@pytest.mark.parametrize("number", [0, 10001])
def test_part_number_outside_1_to_10000_is_invalid_argument(s3, number):
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="m.bin")["UploadId"]
    with pytest.raises(ClientError) as err:
        s3.upload_part(Bucket=BUCKET, Key="m.bin", UploadId=upload, PartNumber=number, Body=b"x")
    assert _error(err) == ("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400)


def test_complete_with_parts_out_of_order_is_invalid_part_order(s3):
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="m.bin")["UploadId"]
    e1 = s3.upload_part(Bucket=BUCKET, Key="m.bin", UploadId=upload, PartNumber=1, Body=PART)["ETag"]
    e2 = s3.upload_part(Bucket=BUCKET, Key="m.bin", UploadId=upload, PartNumber=2, Body=b"tail")["ETag"]
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=BUCKET, Key="m.bin", UploadId=upload, MultipartUpload={
            "Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
    assert _error(err) == ("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must "
                           "be specified in order by part number.", 400)
    s3.complete_multipart_upload(Bucket=BUCKET, Key="m.bin", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert s3.head_object(Bucket=BUCKET, Key="m.bin")["ContentLength"] == len(PART) + 4


def test_upload_part_is_identified_as_upload_part_not_put_object():
    auth = {"authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, "
                             "SignedHeaders=host, Signature=0", "host": "127.0.0.1:4566"}
    assert identify("PUT", "/b/k", "partNumber=1&uploadId=u", auth, None).operation == "UploadPart"
    assert identify("PUT", "/b/k", "", auth, None).operation == "PutObject"
    assert identify("GET", "/b/k", "uploadId=u", auth, None).operation == "ListParts"
    assert identify("DELETE", "/b/k", "uploadId=u", auth, None).operation == "AbortMultipartUpload"


# --- key length ---------------------------------------------------------------------------------

def test_key_over_1024_utf8_bytes_is_key_too_long(s3):
    key = "é" * 513          # 513 characters, 1026 bytes of UTF-8
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    code, message, status = _error(err)
    assert (code, status) == ("KeyTooLongError", 400) and message.startswith("Your key is too long")
    with pytest.raises(ClientError) as err:
        s3.create_multipart_upload(Bucket=BUCKET, Key="a" * 1025)
    assert _error(err)[0] == "KeyTooLongError"
    s3.put_object(Bucket=BUCKET, Key="src.txt", Body=b"s")
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": "src.txt"})
    assert _error(err)[0] == "KeyTooLongError"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["src.txt"]


def test_key_of_exactly_1024_bytes_is_stored(s3):
    key = "k" * 1024
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"x"
