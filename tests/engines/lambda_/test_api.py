"""lambda_: Invoke through boto3 runs the function's Python code as its role, with AWS-shaped results."""
from __future__ import annotations

import base64
import io
import json
import os
import time
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError

from lab_helpers.endpoint.server import start_in_thread
from lab_helpers.stack.names import FETCH_DEMO_DATA, FETCH_S3_DATA, LMS_RAW_PREFIX, SIS_RAW_PREFIX, Names
from lab_helpers.stack.provision import provision, root_only_key_policy

ACCOUNT = "123456789012"
ROLE = "fn-role"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
# Lab 02 polls the raw bucket for at most this long; the full load must finish well within it.
LAB_POLL_LIMIT_S = 300


def code_zip(source: str, module: str = "app") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{module}.py", source)
    return buf.getvalue()


def make_function(client, name: str, source: str, *, role: str = ROLE, runtime: str = "python3.12",
                  timeout: int = 10, env: dict | None = None) -> dict:
    iam = client("iam")
    try:
        iam.get_role(RoleName=role)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    return client("lambda").create_function(
        FunctionName=name, Runtime=runtime, Role=f"arn:aws:iam::{ACCOUNT}:role/{role}", Handler="app.handler",
        Code={"ZipFile": code_zip(source)}, Timeout=timeout, Environment={"Variables": env or {}})


def log_messages(client, name: str, start_ms: int = 0) -> list[str]:
    logs = client("logs")
    events = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{name}",
                                                                    startTime=start_ms):
            events += page["events"]
    except logs.exceptions.ResourceNotFoundException:  # logs are written when an invocation ends
        return []
    # CloudWatch orders by timestamp, then by arrival; eventId is no order (lines of one invocation share a ms)
    return [e["message"] for e in sorted(events, key=lambda e: e["timestamp"])]


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def keys(s3, bucket: str, prefix: str = "") -> list[str]:
    return [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])]


# --- RequestResponse -------------------------------------------------------------------------

def test_invoke_returns_the_handlers_json_result(client):
    make_function(client, "adder", "def handler(event, context):\n    return {'sum': sum(event['xs'])}\n")
    resp = client("lambda").invoke(FunctionName="adder", Payload=json.dumps({"xs": [1, 2, 3]}))
    assert resp["StatusCode"] == 200
    assert "FunctionError" not in resp
    assert resp["ExecutedVersion"] == "$LATEST"
    assert json.loads(resp["Payload"].read()) == {"sum": 6}


def test_unhandled_exception_sets_the_function_error_header_and_error_payload(client):
    make_function(client, "boom", "def handler(event, context):\n    raise ValueError('no such student: 42')\n")
    resp = client("lambda").invoke(FunctionName="boom")
    assert resp["StatusCode"] == 200  # the call worked; the function failed
    assert resp["FunctionError"] == "Unhandled"
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amz-function-error"] == "Unhandled"
    error = json.loads(resp["Payload"].read())
    assert error["errorMessage"] == "no such student: 42"
    assert error["errorType"] == "ValueError"
    assert error["requestId"] == resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert any('File "/var/task/app.py", line 2, in handler' in frame for frame in error["stackTrace"])


def test_timeout_answers_sandbox_timedout_with_aws_text(client):
    make_function(client, "slow", "import time\ndef handler(event, context):\n    time.sleep(30)\n", timeout=1)
    resp = client("lambda").invoke(FunctionName="slow", LogType="Tail")
    assert resp["FunctionError"] == "Unhandled"
    error = json.loads(resp["Payload"].read())
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    tail = base64.b64decode(resp["LogResult"]).decode()
    assert "Task timed out after 1.00 seconds" in tail
    assert "Status: timeout" in tail.splitlines()[-1]


def test_log_type_tail_returns_the_last_4_kb_base64_encoded(client):
    make_function(client, "chatty", "def handler(event, context):\n"
                                    "    for i in range(400):\n        print(f'line {i:04d} ' + 'x' * 20)\n"
                                    "    return 'ok'\n")
    resp = client("lambda").invoke(FunctionName="chatty", LogType="Tail")
    tail = base64.b64decode(resp["LogResult"])
    assert len(tail) == 4096
    text = tail.decode()
    assert "START RequestId" not in text  # cut off: only the end of a long log comes back
    assert "line 0399 " in text and text.splitlines()[-1].startswith("REPORT RequestId: ")
    without = client("lambda").invoke(FunctionName="chatty")
    assert "LogResult" not in without


def test_log_lines_go_to_cloudwatch_group_aws_lambda_name(client):
    make_function(client, "greeter", "def handler(event, context):\n    print('hello from the handler')\n")
    resp = client("lambda").invoke(FunctionName="greeter")
    request_id = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    messages = log_messages(client, "greeter")
    assert messages[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert "hello from the handler" in messages
    assert f"END RequestId: {request_id}" in messages
    report = messages[-1]
    assert report.startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    for field in ("Billed Duration: ", "Memory Size: 128 MB", "Max Memory Used: ", "Init Duration: "):
        assert field in report
    streams = client("logs").describe_log_streams(logGroupName="/aws/lambda/greeter")["logStreams"]
    assert len(streams) == 1 and "/[$LATEST]" in streams[0]["logStreamName"]


def test_handler_sees_its_environment_and_runs_with_the_roles_credentials(client):
    make_function(client, "whoami", "import os\nimport boto3\n"
                                    "def handler(event, context):\n"
                                    "    arn = boto3.client('sts').get_caller_identity()['Arn']\n"
                                    "    return {'arn': arn, 'stage': os.environ['STAGE'],\n"
                                    "            'name': os.environ['AWS_LAMBDA_FUNCTION_NAME'],\n"
                                    "            'token': bool(os.environ.get('AWS_SESSION_TOKEN'))}\n",
                  env={"STAGE": "lab"})
    result = json.loads(client("lambda").invoke(FunctionName="whoami")["Payload"].read())
    assert result == {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/whoami", "stage": "lab",
                      "name": "whoami", "token": True}


def test_non_json_payload_is_invalid_request_content(client):
    make_function(client, "echo", "def handler(event, context):\n    return event\n")
    with pytest.raises(ClientError) as err:
        client("lambda").invoke(FunctionName="echo", Payload=b"not json")
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_warm_invocations_reuse_one_environment_and_its_role_session(client):
    make_function(client, "counter", "import os\nimport boto3\ncount = 0\n"
                                     "def handler(event, context):\n    global count\n    count += 1\n"
                                     "    arn = boto3.client('sts').get_caller_identity()['Arn']\n"
                                     "    return [count, os.getpid(), os.environ['AWS_ACCESS_KEY_ID'], arn]\n")
    outs = [json.loads(client("lambda").invoke(FunctionName="counter")["Payload"].read()) for _ in range(3)]
    assert [o[0] for o in outs] == [1, 2, 3]
    assert len({o[1] for o in outs}) == 1 and len({o[2] for o in outs}) == 1
    assert outs[0][3] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/counter"
    streams = client("logs").describe_log_streams(logGroupName="/aws/lambda/counter")["logStreams"]
    assert len(streams) == 1  # one environment, one log stream


def test_update_function_code_starts_a_new_environment(client):
    make_function(client, "versioned", "import os\ndef handler(event, context):\n    return ['v1', os.getpid()]\n")
    lam = client("lambda")
    v1 = json.loads(lam.invoke(FunctionName="versioned")["Payload"].read())
    lam.update_function_code(FunctionName="versioned",
                             ZipFile=code_zip("import os\ndef handler(event, context):\n    return ['v2', os.getpid()]\n"))
    v2 = json.loads(lam.invoke(FunctionName="versioned")["Payload"].read())
    assert v1[0] == "v1" and v2[0] == "v2" and v1[1] != v2[1]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states from /proc")
def test_endpoint_stop_and_reset_end_every_environment_process(tmp_path, session):
    def alive(pid):
        try:
            with open(f"/proc/{pid}/status") as f:
                return "\nState:\tZ" not in f.read()  # a zombie has been killed already
        except FileNotFoundError:
            return False

    ep = start_in_thread(tmp_path / "home")
    try:
        client = lambda service: session.client(service, endpoint_url=ep.url)  # noqa: E731
        make_function(client, "pid", "import os\ndef handler(event, context):\n    return os.getpid()\n")
        first = json.loads(client("lambda").invoke(FunctionName="pid")["Payload"].read())
        assert alive(first)
        urllib.request.urlopen(urllib.request.Request(f"{ep.url}/_labkit/reset", method="POST")).read()
        assert not alive(first)
        make_function(client, "pid", "import os\ndef handler(event, context):\n    return os.getpid()\n")
        second = json.loads(client("lambda").invoke(FunctionName="pid")["Payload"].read())
        assert second != first and alive(second)
    finally:
        ep.stop()
    assert not alive(second)


# --- Event and DryRun ------------------------------------------------------------------------

def test_event_invocation_answers_202_at_once_and_completes_in_the_background(client):
    client("s3").create_bucket(Bucket="landing")
    # The handler writes only after the test has put go.txt, which it does once invoke() answered:
    # a synchronous invoke would wait for a handler that cannot finish (and time out after 10 s).
    make_function(client, "writer", "import time\nimport boto3\n"
                                    "def handler(event, context):\n    s3 = boto3.client('s3')\n"
                                    "    while 'Contents' not in s3.list_objects_v2(Bucket='landing', Prefix='go'):\n"
                                    "        time.sleep(0.05)\n"
                                    "    s3.put_object(Bucket='landing', Key=event['key'], Body=b'x')\n")
    resp = client("lambda").invoke(FunctionName="writer", InvocationType="Event", Payload=json.dumps({"key": "a.txt"}))
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    assert keys(client("s3"), "landing") == []
    client("s3").put_object(Bucket="landing", Key="go.txt", Body=b"")
    assert wait_for(lambda: keys(client("s3"), "landing") == ["a.txt", "go.txt"], timeout=30)
    assert wait_for(lambda: any(m.startswith("REPORT") for m in log_messages(client, "writer")), timeout=10)


def test_dry_run_answers_204_and_runs_nothing(client):
    client("s3").create_bucket(Bucket="landing")
    make_function(client, "writer", "import boto3\ndef handler(event, context):\n"
                                    "    boto3.client('s3').put_object(Bucket='landing', Key='ran.txt', Body=b'x')\n")
    resp = client("lambda").invoke(FunctionName="writer", InvocationType="DryRun")
    assert resp["StatusCode"] == 204
    # Nothing may appear: poll for a second (a run would write within it), fail at the first sign.
    assert not wait_for(lambda: keys(client("s3"), "landing"), timeout=1, interval=0.05)
    assert client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/writer")["logGroups"] == []


# --- what the local target refuses -----------------------------------------------------------

@pytest.mark.parametrize("invocation_type", ["RequestResponse", "Event", "DryRun"])
def test_unsupported_runtime_nodejs20_gets_a_clear_error(client, invocation_type):
    make_function(client, "node-fn", "exports.handler = async () => 1;\n", runtime="nodejs20.x")
    with pytest.raises(ClientError) as err:
        client("lambda").invoke(FunctionName="node-fn", InvocationType=invocation_type)
    error = err.value.response["Error"]
    assert error["Code"] == "InvalidRuntimeException"
    assert "'nodejs20.x'" in error["Message"] and "Python .zip functions only" in error["Message"]
    assert "LABKIT_TARGET=aws" in error["Message"]


def test_unknown_function_is_resource_not_found(client):
    with pytest.raises(ClientError) as err:
        client("lambda").invoke(FunctionName="no-such-function")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert err.value.response["Error"]["Message"] == (
        f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:no-such-function")


# --- KMS: the function acts as its role --------------------------------------------------------

def test_role_without_key_user_rights_gets_kms_access_denied_and_async_errors_only_show_in_logs(client):
    kms, s3 = client("kms"), client("s3")
    key = kms.create_key(Policy=json.dumps(root_only_key_policy(ACCOUNT)))["KeyMetadata"]
    s3.create_bucket(Bucket="raw-zone")
    s3.put_bucket_encryption(Bucket="raw-zone", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]})
    make_function(client, "copier", "import boto3\ndef handler(event, context):\n"
                                    "    boto3.client('s3').put_object(Bucket='raw-zone', Key=event['key'], Body=b'x')\n"
                                    "    return 'written'\n")
    lam = client("lambda")
    resp = lam.invoke(FunctionName="copier", Payload=json.dumps({"key": "sync.txt"}))
    assert resp["FunctionError"] == "Unhandled"
    error = json.loads(resp["Payload"].read())
    assert error["errorType"] == "AccessDenied"
    assert (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/copier is not authorized to perform: "
            f"kms:GenerateDataKey on resource: {key['Arn']}") in error["errorMessage"]
    # Asynchronously, the caller sees only 202: the failure is in the function's log group.
    start = int(time.time() * 1000)
    assert lam.invoke(FunctionName="copier", InvocationType="Event",
                      Payload=json.dumps({"key": "async.txt"}))["StatusCode"] == 202
    denied = wait_for(lambda: [m for m in log_messages(client, "copier", start)
                               if m.startswith("[ERROR] AccessDenied") and "kms:GenerateDataKey" in m], timeout=30)
    assert denied
    assert keys(s3, "raw-zone") == []
    # The fix from lab 01: make the role a key user. The same function now writes.
    policy = root_only_key_policy(ACCOUNT)
    policy["Statement"].append({"Sid": "Allow use of the key", "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"},
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    resp = lam.invoke(FunctionName="copier", Payload=json.dumps({"key": "sync.txt"}))
    assert "FunctionError" not in resp and json.loads(resp["Payload"].read()) == "written"
    assert s3.head_object(Bucket="raw-zone", Key="sync.txt")["SSEKMSKeyId"] == key["Arn"]


# --- the workshop loader ------------------------------------------------------------------------

def _add_copy_role_as_key_user(client):
    kms = client("kms")
    key_id = kms.describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "Allow use of the key", "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/dataedu-fetch-s3-data-role"},
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))


def test_full_load_of_153_objects_completes_and_reinvoking_skips_existing_objects(endpoint, session, client):
    names = Names("0123456789ab")
    provision(session, names, endpoint_url=endpoint.url)
    _add_copy_role_as_key_user(client)
    s3, lam, raw = client("s3"), client("lambda"), names.buckets["raw"]

    resp = lam.invoke(FunctionName=FETCH_DEMO_DATA)
    assert json.loads(resp["Payload"].read()) == {"statusCode": 200, "invoked": {"SIS": 12, "LMS": 141}}
    assert wait_for(lambda: len(keys(s3, raw)) >= 153, timeout=LAB_POLL_LIMIT_S, interval=0.25), \
        f"only {len(keys(s3, raw))} of 153 objects after {LAB_POLL_LIMIT_S}s"
    assert len(keys(s3, raw, SIS_RAW_PREFIX)) == 12 and len(keys(s3, raw, LMS_RAW_PREFIX)) == 141
    copied = wait_for(lambda: [m for m in log_messages(client, FETCH_S3_DATA) if m.startswith("Copied ")],
                      timeout=30)
    assert wait_for(lambda: sum(m.startswith("REPORT") for m in log_messages(client, FETCH_S3_DATA)) >= 153,
                    timeout=30)
    assert len([m for m in log_messages(client, FETCH_S3_DATA) if m.startswith("Copied ")]) == 153, copied[:3]

    start = int(time.time() * 1000)
    lam.invoke(FunctionName=FETCH_DEMO_DATA)
    skipped = wait_for(lambda: [m for m in log_messages(client, FETCH_S3_DATA, start) if m.endswith("skipping")]
                       if sum(m.startswith("REPORT") for m in log_messages(client, FETCH_S3_DATA, start)) >= 153
                       else [], timeout=LAB_POLL_LIMIT_S, interval=0.25)
    assert len(skipped) == 153
    assert not [m for m in log_messages(client, FETCH_S3_DATA, start) if m.startswith("Copied ")]
    versions = [v for page in s3.get_paginator("list_object_versions").paginate(Bucket=raw)
                for v in page.get("Versions", [])]
    assert len(versions) == 153  # versioning is on: a second copy would have added versions
