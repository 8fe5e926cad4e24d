"""dataedu-fetch-s3-data: copy one object into the raw bucket unless it is already there.

It sends no server-side-encryption headers, so the raw bucket's default (SSE-KMS with
dataedu-key) applies, and this function's role must be allowed to use that key.
"""
import boto3
from botocore.exceptions import ClientError


def lambda_handler(event, context):
    s3 = boto3.client("s3")
    bucket, key = event["s3_bucket"], event["key"]
    try:
        s3.head_object(Bucket=bucket, Key=key)
        print(f"s3://{bucket}/{key} already exists; skipping")
        return {"copied": False, "key": key}
    except ClientError as err:
        if err.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
            raise
    body = s3.get_object(Bucket=event["source_bucket"], Key=event["source_key"])["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    print(f"Copied s3://{event['source_bucket']}/{event['source_key']} to s3://{bucket}/{key} ({len(body)} bytes)")
    return {"copied": True, "key": key, "bytes": len(body)}
