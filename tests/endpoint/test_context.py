"""EngineContext.call_moto: moto's own answer to an engine's request, run in-process, for the engine to patch."""
import json
from pathlib import Path

import pytest

from lab_helpers.endpoint.context import EngineContext
from lab_helpers.endpoint.registry import EngineRequest, EngineResponse, Registry
from lab_helpers.endpoint.server import start_in_thread

seen = []


def patched_get_database(request, ctx):
    """moto's GetDatabase answer with one field patched, as an engine would."""
    answer = ctx.call_moto(request)
    if not answer.ok:
        return EngineResponse(answer.status, answer.body, answer.headers)
    body = answer.json()
    body["Database"]["Description"] = "patched by the engine"
    return EngineResponse.json(body)


def get_object_as_is(request, ctx):
    answer = ctx.call_moto(request)
    seen.append(answer)
    return EngineResponse(answer.status, answer.body, answer.headers)


def list_databases_via_derived_call(request, ctx):
    """Another operation of the same service, as the same caller: moto's GetDatabases."""
    names = [d["Name"] for d in ctx.call_moto(request, "GetDatabases", {}).json()["DatabaseList"]]
    return EngineResponse.json({"TableList": [{"Name": n} for n in names]})


@pytest.fixture
def ep(tmp_path):
    registry = Registry(handlers={("glue", "GetDatabase"): patched_get_database,
                                  ("s3", "GetObject"): get_object_as_is,
                                  ("glue", "GetTables"): list_databases_via_derived_call})
    endpoint = start_in_thread(tmp_path / "home", registry=registry)
    yield endpoint
    endpoint.stop()


@pytest.fixture
def boto(ep, session):
    return lambda service: session.client(service, endpoint_url=ep.url)


def test_call_moto_answers_the_request_with_moto_and_the_engine_patches_it(boto):
    glue = boto("glue")
    glue.create_database(DatabaseInput={"Name": "sis", "Description": "moto's"})
    assert glue.get_database(Name="sis")["Database"]["Description"] == "patched by the engine"


def test_call_moto_passes_moto_errors_through(boto):
    with pytest.raises(boto("glue").exceptions.EntityNotFoundException):
        boto("glue").get_database(Name="nope")


def test_call_moto_keeps_the_query_headers_and_bytes_of_a_rest_request(boto):
    s3 = boto("s3")
    s3.create_bucket(Bucket="raw-zone")
    s3.put_object(Bucket="raw-zone", Key="dir/a b+c.bin", Body=bytes(range(256)), ContentType="application/x-test")
    seen.clear()
    got = s3.get_object(Bucket="raw-zone", Key="dir/a b+c.bin", Range="bytes=10-19")
    assert got["Body"].read() == bytes(range(10, 20))
    assert got["ContentType"] == "application/x-test"
    assert seen[0].status == 206 and seen[0].header("content-range") == "bytes 10-19/256"


def test_call_moto_with_an_operation_calls_moto_as_the_same_caller(boto):
    glue = boto("glue")
    for name in ("a", "b"):
        glue.create_database(DatabaseInput={"Name": name})
    assert [t["Name"] for t in glue.get_tables(DatabaseName="a")["TableList"]] == ["a", "b"]


def test_call_moto_needs_the_gateways_moto_app(tmp_path: Path):
    request = EngineRequest("glue", "GetDatabases", "us-east-1", "123456789012", "test", "POST", "/", {}, {}, b"{}")
    with pytest.raises(RuntimeError, match="moto_app"):
        EngineContext("http://127.0.0.1:1", tmp_path).call_moto(request)


def test_the_gateway_and_the_context_share_one_moto_app(ep):
    assert ep.app.context.moto_app is ep.app.moto_app


def test_moto_answer_json_of_an_empty_body_is_empty():
    from lab_helpers.endpoint.moto import MotoAnswer

    assert MotoAnswer(200, {}, b"").json() == {}
    assert MotoAnswer(200, {}, json.dumps({"a": 1}).encode()).json() == {"a": 1}
