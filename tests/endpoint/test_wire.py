"""Requests are read from the wire by botocore's model, in every protocol: malformed input is the
service's own 4xx naming the member, never a 500 that botocore retries, and the endpoint goes on
answering. A learner whose boto3 is newer than the kit's (Athena in rest-json) keeps every engine.

The newer-botocore test installs the newest boto3 and botocore from PyPI into
``.venv/labkit-newest-botocore/`` (``pip install --target``, once; later runs reuse it). The test
run is what installs it, on every machine (``make test`` → ``.ci/test-all.sh`` → pytest): no other
step of the project does. Without PyPI the test fails saying so, it does not skip.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lab_helpers.endpoint import protocol, wire
from lab_helpers.endpoint.registry import EngineResponse, Registry
from lab_helpers.endpoint.server import start_in_thread

ROOT = Path(__file__).resolve().parents[2]
NEWEST = ROOT / ".venv" / "labkit-newest-botocore"
RESULTS = "athena-results"


# --- raw HTTP ---------------------------------------------------------------------------------

def _auth(service: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=0000")


def raw(endpoint, service: str, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    """(status, lower-case headers, body) of one hand-made request, as a non-botocore client sends it."""
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Authorization": _auth(service), **(headers or {})})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def json_call(endpoint, service: str, target: str, body: bytes):
    return raw(endpoint, service, "POST", "/", body, {"X-Amz-Target": target,
                                                      "Content-Type": "application/x-amz-json-1.1"})


def json_error(answer) -> tuple[int, str, str]:
    status, headers, body = answer
    doc = json.loads(body)
    return status, headers.get("x-amzn-errortype") or doc["__type"], doc.get("message") or doc.get("Message")


def xml_error(answer) -> tuple[int, str, str]:
    import xml.etree.ElementTree as ElementTree

    status, _, body = answer
    root = ElementTree.fromstring(body)
    return status, root.findtext(".//Code"), root.findtext(".//Message")


def _client(session, endpoint, service):
    return session.client(service, endpoint_url=endpoint.url, config=Config(retries={"max_attempts": 1}))


# --- json: Glue, Athena (botocore pinned here) ------------------------------------------------

@pytest.mark.parametrize("body, found", [
    (b'{"Name": "db1"', "Expecting"),                            # truncated
    (b'{"Name": "caf\xe9"}', "invalid UTF-8 byte 0xe9"),          # latin-1, not UTF-8
    (b'[{"Name": "db1"}]', "found an array"),
    (b'"db1"', "found a string"),
    (b"42", "found a number"),
])
def test_json_protocol_unreadable_body_is_serialization_exception(endpoint, session, body, found):
    status, code, message = json_error(json_call(endpoint, "glue", "AWSGlue.GetDatabase", body))
    assert (status, code) == (400, "SerializationException")
    assert found in message
    _client(session, endpoint, "glue").create_database(DatabaseInput={"Name": "still_answering"})


def test_json_protocol_wrong_type_names_the_member(endpoint, session):
    status, code, message = json_error(json_call(endpoint, "glue", "AWSGlue.GetDatabase", b'{"Name": 123}'))
    assert (status, code) == (400, "SerializationException")
    assert "'name'" in message and "must be a string" in message
    status, code, message = json_error(json_call(endpoint, "glue", "AWSGlue.CreateDatabase",
                                                 b'{"DatabaseInput": {"Name": "x", "Parameters": ["a"]}}'))
    assert (status, code) == (400, "SerializationException")
    assert "'databaseInput.parameters'" in message
    assert _client(session, endpoint, "glue").get_databases()["DatabaseList"] == []


def test_json_protocol_missing_required_members_are_validation_exception(endpoint):
    status, code, message = json_error(json_call(endpoint, "glue", "AWSGlue.CreateDatabase", b"{}"))
    assert (status, code) == (400, "ValidationException")
    assert message == ("1 validation error detected: Value null at 'databaseInput' failed to satisfy constraint: "
                       "Member must not be null")
    status, code, message = json_error(json_call(endpoint, "glue", "AWSGlue.CreateDatabase",
                                                 b'{"DatabaseInput": {}}'))
    assert (status, code) == (400, "ValidationException")
    assert "Value null at 'databaseInput.name'" in message


def test_engine_operation_gets_the_same_checks_before_its_handler(endpoint, session):
    """StartCrawler is answered by the glue engine: a bad body never reaches it."""
    status, code, message = json_error(json_call(endpoint, "glue", "AWSGlue.StartCrawler", b"{}"))
    assert (status, code) == (400, "ValidationException")
    assert "Value null at 'name'" in message
    status, code, _ = json_error(json_call(endpoint, "glue", "AWSGlue.StartCrawler", b'{"Name": '))
    assert (status, code) == (400, "SerializationException")
    glue = _client(session, endpoint, "glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.start_crawler(Name="no-such-crawler")


def test_athena_missing_query_string_is_invalid_request_exception(endpoint, session):
    status, code, message = json_error(json_call(endpoint, "athena", "AmazonAthena.StartQueryExecution", b"{}"))
    assert (status, code) == (400, "InvalidRequestException")
    assert message == ("1 validation error detected: Value null at 'queryString' failed to satisfy constraint: "
                       "Member must not be null")
    status, code, _ = json_error(json_call(endpoint, "athena", "AmazonAthena.StartQueryExecution",
                                           b'{"QueryString": ["SELECT 1"]}'))
    assert (status, code) == (400, "SerializationException")
    assert _client(session, endpoint, "athena").list_query_executions()["QueryExecutionIds"] == []


def test_bad_next_token_is_invalid_request_exception(endpoint, session):
    athena, s3 = _client(session, endpoint, "athena"), _client(session, endpoint, "s3")
    s3.create_bucket(Bucket=RESULTS)
    qid = athena.start_query_execution(QueryString="SELECT 1",
                                       ResultConfiguration={"OutputLocation": f"s3://{RESULTS}/q/"})["QueryExecutionId"]
    _wait(athena, qid)
    for call in (lambda: athena.get_query_results(QueryExecutionId=qid, NextToken="garbage"),
                 lambda: athena.list_query_executions(NextToken="garbage")):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "InvalidRequestException"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1] == {"Data": [{"VarCharValue": "1"}]}


# --- rest-json: Lambda, and Athena as botocore >= 1.44.18 sends it ------------------------------

@pytest.mark.parametrize("body", [b'{"FunctionName": "f", "Role": ', b'{"FunctionName": "f\xff"}',
                                  b'[{"FunctionName": "f"}]'])
def test_rest_json_unreadable_body_is_lambda_invalid_request_content(endpoint, session, body):
    status, code, message = json_error(raw(endpoint, "lambda", "POST", "/2015-03-31/functions", body,
                                           {"Content-Type": "application/json"}))
    assert (status, code) == (400, "InvalidRequestContentException")
    assert message.startswith("Could not parse the request body")
    assert _client(session, endpoint, "lambda").list_functions()["Functions"] == []


def test_rest_json_wrong_types_in_body_and_query_string(endpoint):
    body = json.dumps({"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {"ZipFile": "UEsF"},
                       "Timeout": "three"}).encode()
    status, code, message = json_error(raw(endpoint, "lambda", "POST", "/2015-03-31/functions", body))
    assert (status, code) == (400, "InvalidRequestContentException")
    assert "'timeout'" in message and "an integer" in message
    status, code, message = json_error(raw(endpoint, "lambda", "GET", "/2015-03-31/functions/?MaxItems=ten"))
    assert (status, code) == (400, "InvalidRequestContentException")
    assert "'maxItems'" in message


def test_rest_json_missing_required_members_are_all_named(endpoint):
    answer = raw(endpoint, "lambda", "POST", "/2015-03-31/functions", b"{}", {"Content-Type": "application/json"})
    status, code, message = json_error(answer)
    assert (status, code) == (400, "ValidationException")
    assert message.startswith("3 validation errors detected: ")
    for member in ("functionName", "role", "code"):
        assert f"Value null at '{member}'" in message
    assert answer[1]["content-type"] == "application/json"


def test_athena_rest_json_is_identified_whatever_botocore_is_installed(endpoint):
    """The vendored model (protocol.PROTOCOL_CHANGES) routes Athena's rest-json URIs on the pinned botocore."""
    status, code, message = json_error(raw(endpoint, "athena", "POST", "/query-executions", b"{}",
                                           {"Content-Type": "application/json"}))
    assert (status, code) == (400, "InvalidRequestException")
    assert "Value null at 'queryString'" in message
    status, headers, body = raw(endpoint, "athena", "GET", "/query-executions/nope/results?MaxResults=many")
    assert (status, headers["x-amzn-errortype"]) == (400, "SerializationException")
    assert headers["content-type"] == "application/json"
    status, headers, body = raw(endpoint, "athena", "GET", "/query-executions/nope")   # the engine's own error
    assert (status, headers["x-amzn-errortype"]) == (400, "InvalidRequestException")
    assert json.loads(body)["AthenaErrorCode"] == "QUERY_EXECUTION_NOT_FOUND"


def test_athena_rest_json_reaches_the_engine_with_uri_and_query_string_params(tmp_path):
    seen = []

    def handler(request, ctx):
        seen.append(request.params)
        return EngineResponse.json({"ResultSet": {"Rows": []}})

    ep = start_in_thread(tmp_path / "home", registry=Registry(handlers={("athena", "GetQueryResults"): handler},
                                                              guards={}))
    try:
        status, headers, body = raw(ep, "athena", "GET", "/query-executions/q-1/results?MaxResults=5&NextToken=t")
    finally:
        ep.stop()
    assert status == 200 and headers["content-type"] == "application/json"
    assert seen == [{"QueryExecutionId": "q-1", "MaxResults": 5, "NextToken": "t"}]


def test_athena_rest_json_operations_moto_answers_are_resent_as_json(endpoint):
    status, _, body = raw(endpoint, "athena", "POST", "/workgroups", json.dumps({"Name": "wg1"}).encode(),
                          {"Content-Type": "application/json"})
    assert status == 200
    status, _, body = raw(endpoint, "athena", "GET", "/workgroups/wg1")
    assert status == 200 and json.loads(body)["WorkGroup"]["Name"] == "wg1"
    status, _, body = raw(endpoint, "athena", "POST", "/workgroups", json.dumps({"Name": "wg1"}).encode())
    assert status == 400 and json.loads(body)["__type"] == "InvalidRequestException"   # moto's own error
    status, _, body = raw(endpoint, "athena", "GET", "/query-executions/q-1/result-stream")  # newer than moto's model
    assert status == 501 and "athena:GetQueryResultStream" in json.loads(body)["message"]


# --- query: IAM, STS -----------------------------------------------------------------------------

def _form(endpoint, service, body: bytes):
    return raw(endpoint, service, "POST", "/", body,
               {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def test_query_protocol_missing_and_wrong_values_are_validation_error(endpoint, session):
    status, code, message = xml_error(_form(endpoint, "iam", b"Action=CreateRole&Version=2010-05-08&Path=%2F"))
    assert (status, code) == (400, "ValidationError")
    assert "Value null at 'roleName'" in message and "Value null at 'assumeRolePolicyDocument'" in message
    status, code, message = xml_error(_form(endpoint, "sts", b"Action=AssumeRole&Version=2011-06-15"
                                            b"&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr"
                                            b"&RoleSessionName=s1&DurationSeconds=an-hour"))
    assert (status, code) == (400, "ValidationError")
    assert "'durationSeconds'" in message
    assert _client(session, endpoint, "sts").get_caller_identity()["Account"] == "123456789012"


def test_query_protocol_undecodable_form_is_malformed_query_string(endpoint, session):
    for body in (b"Action=GetRole&Version=2010-05-08&RoleName=r\xff", b"Action=GetRole&RoleName=%ff%fe"):
        status, code, _ = xml_error(_form(endpoint, "iam", body))
        assert (status, code) == (400, "MalformedQueryString")
    assert _client(session, endpoint, "iam").list_roles()["Roles"] == []


def test_query_protocol_lists_and_maps_are_read_as_boto3_arguments():
    form = (b"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=3600"
            b"&Tags.member.1.Key=team&Tags.member.1.Value=data&Tags.member.2.Key=env&Tags.member.2.Value=lab")
    info = protocol.identify("POST", "/", "", {"authorization": _auth("iam"),
                                               "content-type": "application/x-www-form-urlencoded"}, form)
    params = wire.parse(info, {}, {}, form)
    assert params == {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "MaxSessionDuration": 3600,
                      "Tags": [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "lab"}]}


# --- rest-xml: S3 --------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"<Tagging><TagSet><Tag><Key>a</Key>", b"<Tagging>caf\xe9</Tagging>",
                                  b'["not", "xml"]'])
def test_rest_xml_unreadable_body_is_malformed_xml(endpoint, session, body):
    s3 = _client(session, endpoint, "s3")
    s3.create_bucket(Bucket="tagged")
    status, code, _ = xml_error(raw(endpoint, "s3", "PUT", "/tagged?tagging", body))
    assert (status, code) == (400, "MalformedXML")
    assert s3.list_buckets()["Buckets"][0]["Name"] == "tagged"


def test_rest_xml_missing_element_is_malformed_xml_and_bad_query_value_invalid_argument(endpoint, session):
    s3 = _client(session, endpoint, "s3")
    s3.create_bucket(Bucket="bucket-one")
    status, code, message = xml_error(raw(endpoint, "s3", "PUT", "/bucket-one?tagging",
                                          b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>"))
    assert (status, code) == (400, "MalformedXML")
    assert "'tagging.tagSet.1.member.key'" in message
    status, code, message = xml_error(raw(endpoint, "s3", "GET", "/bucket-one?list-type=2&max-keys=lots"))
    assert (status, code) == (400, "InvalidArgument")
    assert "'maxKeys'" in message
    s3.put_object(Bucket="bucket-one", Key="k", Body=b"x")
    assert s3.list_objects_v2(Bucket="bucket-one", MaxKeys=1)["KeyCount"] == 1


def test_rest_xml_body_is_read_as_boto3_arguments():
    body = (b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a b</Key></Object>'
            b"<Object><Key>c</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>")
    headers = {"authorization": _auth("s3"), "host": "127.0.0.1:4566", "x-amz-bypass-governance-retention": "true"}
    info = protocol.identify("POST", "/bucket", "delete", headers, None)
    assert info.operation == "DeleteObjects" and wire.reads(info, headers)
    params = wire.parse(info, {"delete": [""]}, headers, body)
    assert params == {"Bucket": "bucket", "BypassGovernanceRetention": True, "Delete": {
        "Objects": [{"Key": "a b"}, {"Key": "c", "VersionId": "v1"}], "Quiet": True}}


def test_s3_uploads_are_not_buffered_and_virtual_hosts_not_read():
    put = protocol.identify("PUT", "/bucket/key", "", {"authorization": _auth("s3")}, None)
    assert put.operation == "PutObject" and not wire.reads_body(put)
    assert not wire.reads(put, {"host": "bucket.localhost:4566"})
    assert wire.reads(put, {"host": "127.0.0.1:4566"}) and wire.reads(put, {"host": "[::1]:4566"})


# --- values --------------------------------------------------------------------------------------

def test_json_values_come_out_as_boto3_types():
    info = protocol.identify("POST", "/", "", {"authorization": _auth("glue"),
                                               "x-amz-target": "AWSGlue.GetCrawlerMetrics"}, None)
    assert wire.parse(info, {}, {}, b'{"CrawlerNameList": ["a"], "MaxResults": 5}') == {
        "CrawlerNameList": ["a"], "MaxResults": 5}
    logs = protocol.identify("POST", "/", "", {"authorization": _auth("logs"),
                                               "x-amz-target": "Logs_20140328.GetLogEvents"}, None)
    params = wire.parse(logs, {}, {}, json.dumps({"logGroupName": "g", "logStreamName": "s", "startTime": 5,
                                                  "startFromHead": True}).encode())
    assert params["startTime"] == 5 and params["startFromHead"] is True
    lam = protocol.identify("POST", "/2015-03-31/functions", "", {"authorization": _auth("lambda")}, None)
    body = json.dumps({"FunctionName": "f", "Role": "r", "Code": {"ZipFile": "aGk="}}).encode()
    params = wire.parse(lam, {}, {}, body)
    assert params["Code"] == {"ZipFile": b"hi"}


def test_timestamps_read_epoch_iso_8601_and_rfc_822():
    from lab_helpers.endpoint.shape_reader import timestamp

    expected = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    for text in (1704164645, "1704164645", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000Z",
                 "Tue, 02 Jan 2024 03:04:05 GMT"):
        assert timestamp(text) == expected
    assert timestamp("yesterday") is None and timestamp(True) is None


# --- a newer botocore than the kit's ------------------------------------------------------------

NEWER_CLIENT = textwrap.dedent('''
    import json, sys, time
    import boto3, botocore
    from botocore.config import Config

    url, bucket = sys.argv[1], sys.argv[2]
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    client = lambda name: session.client(name, endpoint_url=url, config=Config(retries={"max_attempts": 1}))
    athena, glue, lam, s3 = client("athena"), client("glue"), client("lambda"), client("s3")
    out = {"botocore": botocore.__version__, "athena_protocol": athena.meta.service_model.protocol}
    s3.create_bucket(Bucket=bucket)
    qid = athena.start_query_execution(QueryString="SELECT 1",
                                       ResultConfiguration={"OutputLocation": f"s3://{bucket}/q/"})["QueryExecutionId"]
    for _ in range(600):
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    out["state"] = state
    out["rows"] = athena.get_query_results(QueryExecutionId=qid, MaxResults=10)["ResultSet"]["Rows"]
    athena.create_work_group(Name="wg1")                       # moto's operations, re-sent as json
    out["workgroup"] = athena.get_work_group(WorkGroup="wg1")["WorkGroup"]["Name"]
    nq = athena.create_named_query(Name="n", Database="default", QueryString="SELECT 2")["NamedQueryId"]
    out["named_query"] = athena.get_named_query(NamedQueryId=nq)["NamedQuery"]["QueryString"]
    try:
        athena.get_query_results(QueryExecutionId=qid, NextToken="garbage")
    except athena.exceptions.InvalidRequestException as err:
        out["bad_token"] = err.response["Error"]["Code"]
    glue.create_database(DatabaseInput={"Name": "newer"})
    out["database"] = glue.get_database(Name="newer")["Database"]["Name"]
    glue.create_crawler(Name="c1", Role="arn:aws:iam::123456789012:role/crawler", DatabaseName="newer",
                        Targets={"S3Targets": [{"Path": f"s3://{bucket}/none/"}]})
    glue.start_crawler(Name="c1")
    out["crawler_started"] = True
    out["functions"] = lam.list_functions()["Functions"]
    print(json.dumps(out))
''')


@pytest.fixture(scope="session")
def newest_botocore() -> Path:
    """The newest boto3 + botocore from PyPI, installed once into .venv/labkit-newest-botocore/."""
    if not ((NEWEST / "botocore" / "__init__.py").exists() and (NEWEST / "boto3" / "__init__.py").exists()):
        staging = NEWEST.with_name(f"{NEWEST.name}.tmp-{os.getpid()}")
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target",
               str(staging), "--upgrade", "boto3", "botocore"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"Could not install the newest boto3/botocore from PyPI into {NEWEST} (this test needs "
                        f"PyPI once, then reuses the directory). pip said:\n{done.stderr[-2000:]}", pytrace=False)
        if not NEWEST.exists():
            staging.rename(NEWEST)
    return NEWEST


def _newest_version(path: Path) -> str:
    text = (path / "botocore" / "__init__.py").read_text()
    return text.split("__version__ = '", 1)[1].split("'", 1)[0]


def test_a_newer_botocore_keeps_athena_glue_and_lambda(endpoint, newest_botocore, tmp_path):
    script = tmp_path / "newer_client.py"
    script.write_text(NEWER_CLIENT)
    env = {**os.environ, "PYTHONPATH": str(newest_botocore), "PYTHONNOUSERSITE": "1"}
    done = subprocess.run([sys.executable, str(script), endpoint.url, RESULTS], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["botocore"] == _newest_version(newest_botocore)
    assert out["state"] == "SUCCEEDED"
    assert out["rows"] == [{"Data": [{"VarCharValue": "_col0"}]}, {"Data": [{"VarCharValue": "1"}]}]
    assert out["workgroup"] == "wg1" and out["named_query"] == "SELECT 2"
    assert out["bad_token"] == "InvalidRequestException"
    assert out["database"] == "newer" and out["crawler_started"] is True
    assert out["functions"] == []


def test_vendored_athena_model_routes_as_the_newest_botocore_does(newest_botocore):
    """models/athena-rest-json.json still matches AWS: every operation it routes has the same method
    and URI in the newest botocore (regenerate with protocol.vendor_model's command otherwise)."""
    script = ("import json, botocore.session; m = botocore.session.get_session().get_service_model('athena'); "
              "print(json.dumps({'protocol': m.protocol, 'http': {o: m.operation_model(o).http "
              "for o in m.operation_names}}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(newest_botocore), "PYTHONNOUSERSITE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    newest = json.loads(done.stdout)
    vendored = json.loads((ROOT / "lab_helpers/endpoint/models/athena-rest-json.json").read_text())
    assert newest["protocol"] == vendored["metadata"]["protocol"] == protocol.PROTOCOL_CHANGES["athena"].to
    drifted = {op: (spec["http"], newest["http"].get(op)) for op, spec in vendored["operations"].items()
               if newest["http"].get(op) is not None and newest["http"][op] != spec["http"]}
    assert drifted == {}


def _wait(athena, qid, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            return state
        time.sleep(0.02)
    raise AssertionError(f"query {qid} did not finish")
