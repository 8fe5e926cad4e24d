"""The gateway routes engine operations to engines, everything else to moto, and never leaks a 500 page."""
import json
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lab_helpers.endpoint.registry import EngineError, EngineResponse, Registry
from lab_helpers.endpoint.server import start_in_thread

calls = []


def fake_start_query(request, ctx):
    body = request.json()
    calls.append((request.service, request.operation, body["QueryString"]))
    return EngineResponse.json({"QueryExecutionId": "from-test-engine"})


def fake_invoke(request, ctx):
    calls.append((request.service, request.operation, request.path_params["FunctionName"], request.body))
    return EngineResponse(200, b'{"ok": true}', {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"})


def failing_engine(request, ctx):
    raise RuntimeError("engine bug")


def refusing_engine(request, ctx):
    raise EngineError("InvalidRequestException", "refused by the test engine")


@pytest.fixture
def test_endpoint(tmp_path):
    registry = Registry(handlers={
        ("athena", "StartQueryExecution"): fake_start_query,
        ("lambda", "Invoke"): fake_invoke,
        ("athena", "GetQueryExecution"): failing_engine,
        ("athena", "StopQueryExecution"): refusing_engine,
    }, guards={})
    ep = start_in_thread(tmp_path / "home", registry=registry)
    calls.clear()
    yield ep
    ep.stop()


def _client(session, ep, service):
    return session.client(service, endpoint_url=ep.url, config=Config(retries={"max_attempts": 1}))


def test_json_protocol_operation_reaches_registered_engine(test_endpoint, session):
    athena = _client(session, test_endpoint, "athena")
    resp = athena.start_query_execution(QueryString="SELECT 1")
    assert resp["QueryExecutionId"] == "from-test-engine"
    assert calls == [("athena", "StartQueryExecution", "SELECT 1")]


def test_rest_protocol_operation_reaches_engine_with_path_params(test_endpoint, session):
    lam = _client(session, test_endpoint, "lambda")
    resp = lam.invoke(FunctionName="my-fn", Payload=b'{"x": 1}')
    assert json.loads(resp["Payload"].read()) == {"ok": True}
    assert calls == [("lambda", "Invoke", "my-fn", b'{"x": 1}')]


def test_unregistered_operations_pass_through_to_moto(test_endpoint, session):
    athena = _client(session, test_endpoint, "athena")
    athena.create_work_group(Name="wg1")
    names = [w["Name"] for w in athena.list_work_groups()["WorkGroups"]]
    assert "wg1" in names
    assert calls == []


def test_unimplemented_operation_gets_aws_shaped_error_naming_it(test_endpoint, session):
    glue = _client(session, test_endpoint, "glue")
    with pytest.raises(ClientError) as err:
        glue.get_crawler_metrics()
    assert err.value.response["Error"]["Code"] == "NotImplemented"
    assert "glue:GetCrawlerMetrics" in err.value.response["Error"]["Message"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_unknown_rest_route_is_not_an_html_404(test_endpoint, session):
    databrew = _client(session, test_endpoint, "databrew")
    with pytest.raises(ClientError) as err:
        databrew.start_job_run(Name="job")
    assert err.value.response["Error"]["Code"] == "NotImplemented"
    assert "databrew:StartJobRun" in err.value.response["Error"]["Message"]


def test_query_protocol_unimplemented_operation_is_named(test_endpoint, session):
    iam = _client(session, test_endpoint, "iam")
    with pytest.raises(ClientError) as err:
        iam.simulate_principal_policy(PolicySourceArn="arn:aws:iam::123456789012:role/x", ActionNames=["s3:GetObject"])
    assert "iam:SimulatePrincipalPolicy" in err.value.response["Error"]["Message"]


def test_service_moto_lacks_entirely_is_named(test_endpoint, session):
    rs = _client(session, test_endpoint, "redshift-serverless")
    with pytest.raises(ClientError) as err:
        rs.list_workgroups()
    assert err.value.response["Error"]["Code"] == "NotImplemented"
    assert "redshift-serverless:ListWorkgroups" in err.value.response["Error"]["Message"]


def test_crashing_engine_returns_internal_failure_and_endpoint_survives(test_endpoint, session):
    athena = _client(session, test_endpoint, "athena")
    with pytest.raises(ClientError) as err:
        athena.get_query_execution(QueryExecutionId="x")
    assert err.value.response["Error"]["Code"] == "InternalFailure"
    assert "engine bug" in err.value.response["Error"]["Message"]
    assert athena.start_query_execution(QueryString="SELECT 2")["QueryExecutionId"] == "from-test-engine"


def test_engine_error_becomes_client_error_with_its_code(test_endpoint, session):
    athena = _client(session, test_endpoint, "athena")
    with pytest.raises(ClientError) as err:
        athena.stop_query_execution(QueryExecutionId="x")
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    assert err.value.response["Error"]["Message"] == "refused by the test engine"


def test_guard_can_refuse_before_moto_and_allow_otherwise(tmp_path, session):
    def guard(request, ctx):
        if request.path_params.get("Key") == "forbidden.txt":
            raise EngineError("AccessDenied", "guarded", 403)
        return None

    ep = start_in_thread(tmp_path / "home", registry=Registry(handlers={}, guards={("s3", "PutObject"): guard}))
    try:
        s3 = _client(session, ep, "s3")
        s3.create_bucket(Bucket="guarded-bucket")
        s3.put_object(Bucket="guarded-bucket", Key="ok.txt", Body=b"fine")
        with pytest.raises(ClientError) as err:
            s3.put_object(Bucket="guarded-bucket", Key="forbidden.txt", Body=b"no")
        assert err.value.response["Error"]["Code"] == "AccessDenied"
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="guarded-bucket")["Contents"]]
        assert keys == ["ok.txt"]
    finally:
        ep.stop()


def test_health_reports_versions_engines_and_uptime(test_endpoint):
    with urllib.request.urlopen(test_endpoint.url + "/_labkit/health") as resp:
        health = json.load(resp)
    assert health["status"] == "running"
    assert health["moto_version"] == "5.2.5"
    assert health["version"]
    assert "athena:StartQueryExecution" in health["engines"]["test_gateway"]
    assert health["uptime_seconds"] >= 0


def test_reset_wipes_moto_state(test_endpoint, session):
    s3 = _client(session, test_endpoint, "s3")
    s3.create_bucket(Bucket="to-be-wiped")
    req = urllib.request.Request(test_endpoint.url + "/_labkit/reset", method="POST", data=b"")
    assert json.load(urllib.request.urlopen(req)) == {"status": "reset"}
    assert s3.list_buckets()["Buckets"] == []


def test_endpoint_binds_loopback_only(test_endpoint):
    assert test_endpoint.url.startswith("http://127.0.0.1:")
    assert test_endpoint._server.server_address[0] == "127.0.0.1"


def test_unknown_kit_route_lists_valid_routes(test_endpoint):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(test_endpoint.url + "/_labkit/nope")
    assert err.value.code == 404
    assert "GET /_labkit/health" in json.load(err.value)["routes"]
