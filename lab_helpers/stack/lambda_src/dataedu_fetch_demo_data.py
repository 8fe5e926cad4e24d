"""dataedu-fetch-demo-data: fan out one asynchronous copy per source object (the workshop's loader).

Like the workshop's function, it reads the object lists bundled with its code (data/sis.txt,
data/lms.txt) and invokes dataedu-fetch-s3-data once per object with InvocationType=Event,
so the copies run in parallel and this function returns in seconds.
"""
import json
import os

import boto3


def _keys(name):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "data", name)) as fh:
        return [line.strip() for line in fh if line.strip()]


def lambda_handler(event, context):
    source_bucket = os.environ["SOURCE_DATA_BUCKET_NAME"]
    raw_bucket = os.environ["RAW_DATA_BUCKET_NAME"]
    copy_function = os.environ.get("FETCH_S3_DATA_FUNCTION", "dataedu-fetch-s3-data")
    plans = [
        ("SIS", _keys("sis.txt"), os.environ["SIS_DEMO_MOCK_DATA_PREFIX"], os.environ["SIS_DEMO_RAW_DATA_PREFIX"]),
        ("LMS", _keys("lms.txt"), os.environ["LMS_DEMO_MOCK_DATA_PREFIX"], os.environ["LMS_DEMO_RAW_DATA_PREFIX"]),
    ]
    lam = boto3.client("lambda")
    totals = {}
    for label, keys, source_prefix, raw_prefix in plans:
        print(f"{label} demo source objects under s3://{source_bucket}/{source_prefix}:")
        for key in keys:
            payload = {
                "source_bucket": source_bucket,
                "source_key": source_prefix + key,
                "s3_bucket": raw_bucket,
                "key": raw_prefix + key,
            }
            print(f"  {key}")
            lam.invoke(FunctionName=copy_function, InvocationType="Event", Payload=json.dumps(payload).encode())
        totals[label] = len(keys)
        print(f"Total # of {label} demo source objects: {len(keys)}")
    print("Copies were started asynchronously; watch the raw bucket fill up.")
    return {"statusCode": 200, "invoked": totals}
