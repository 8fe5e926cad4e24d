"""Lab 02 checks explain a skipped lab 01 and give partial credit (fail before / pass after the lab:
tests/grading/test_lab_walk.py)."""
import json
import time

from lab_helpers.stack.names import FETCH_DEMO_DATA, FETCH_S3_DATA

LAB = "02_lambda_load"
LAB_POLL_LIMIT_S = 300  # what the lab's polling cell allows for the full load


def _copy_reports(client) -> int:
    logs = client("logs")
    try:
        return sum(1 for page in logs.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/{FETCH_S3_DATA}", filterPattern="REPORT") for _ in page["events"])
    except logs.exceptions.ResourceNotFoundException:
        return 0


def test_raw_loaded_hint_says_key_users_are_missing_when_lab_01_was_skipped(workspace, client):
    lam = client("lambda")
    assert lam.invoke(FunctionName=FETCH_DEMO_DATA)["StatusCode"] == 200  # the loader itself is fine
    deadline = time.monotonic() + LAB_POLL_LIMIT_S
    while _copy_reports(client) < 153 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert _copy_reports(client) == 153

    result = workspace.run_check(LAB, "raw_loaded", record=False)
    assert not result.passed and result.points == 0
    assert "✘ SIS: 0 of 12 objects" in result.found[0] and "✘ LMS: 0 of 141 objects" in result.found[1]
    assert "Lab 01's key users are missing" in result.hint
    assert "dataedu-fetch-s3-data-role may not use dataedu-key (kms:GenerateDataKey)" in result.hint
    assert "153 AccessDenied line(s)" in result.hint

    # Once the key users are there, the same old log lines lead to different advice: load again.
    kms = client("kms")
    key_id = kms.describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "Allow use of the key", "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::123456789012:role/dataedu-fetch-s3-data-role"},
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    again = workspace.run_check(LAB, "raw_loaded", record=False)
    assert "is a key user now" in again.hint and f"invoke {FETCH_DEMO_DATA} again" in again.hint


def test_raw_loaded_gives_partial_credit_per_system(workspace, client):
    s3, raw, source = client("s3"), workspace.names.buckets["raw"], workspace.names.buckets["source"]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=source, Prefix="v1/mockdata/sis_demo_parquet/"):
        for obj in page["Contents"]:
            body = s3.get_object(Bucket=source, Key=obj["Key"])["Body"].read()
            s3.put_object(Bucket=raw, Key="sisdb/sisdemo/" + obj["Key"].split("sis_demo_parquet/")[1], Body=body)
    result = workspace.run_check(LAB, "raw_loaded", record=False)
    assert not result.passed and result.points == result.max_points / 2
    assert result.found[0].startswith("✔ SIS: 12 of 12") and result.found[1].startswith("✘ LMS: 0 of 141")
    assert f"Invoke {FETCH_DEMO_DATA}" in result.hint  # the loader never ran


def test_objects_encrypted_fails_for_an_object_without_dataedu_key(workspace, client):
    s3, raw = client("s3"), workspace.names.buckets["raw"]
    s3.put_object(Bucket=raw, Key="lmsapi/course_dim/process_date=2020-08-17/course_dim.csv", Body=b"id\n1\n")
    assert workspace.run_check(LAB, "objects_encrypted", record=False).passed
    # A bucket default of SSE-S3 (no header is sent, so the bucket policy's AES256 deny does not apply).
    s3.put_bucket_encryption(Bucket=raw, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_object(Bucket=raw, Key="lmsapi/user_dim/process_date=2020-08-17/students.csv", Body=b"id\n1\n")
    result = workspace.run_check(LAB, "objects_encrypted", record=False)
    assert not result.passed
    assert result.found == ["✘ 1 of 2 raw objects are SSE-KMS with dataedu-key "
                            "(not: lmsapi/user_dim/process_date=2020-08-17/students.csv)"]
