"""The localstack target routes each service: the data lake to the kit's endpoint, the rest to LocalStack.

No LocalStack can run here (it needs Docker and an auth token). The routing is tested two ways:
as data (which variable, which endpoint, what botocore then does with it), and end to end against
a stand-in that answers LocalStack's health route and serves AWS APIs with a moto of its own —
a second emulator in this test process, so a request that lands on the wrong one shows.
What a real LocalStack adds (its own service semantics) only a run against it can prove.
"""
import json
import os
import subprocess
import sys
import threading

import boto3
import pytest
from werkzeug.serving import make_server

from lab_helpers.config import load
from lab_helpers.endpoint import moto
from lab_helpers.targets import LocalStackTarget
from lab_helpers.targets import routing
from tests.support import LABKIT, free_port, run



def test_env_var_names_are_botocores():
    assert routing.env_var("s3") == "AWS_ENDPOINT_URL_S3"
    assert routing.env_var("logs") == "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"
    assert routing.env_var("redshift-data") == "AWS_ENDPOINT_URL_REDSHIFT_DATA"
    assert routing.env_var("stepfunctions") == "AWS_ENDPOINT_URL_SFN"


def test_plan_sends_the_engines_and_their_state_to_the_kit_and_keeps_what_localstack_serves():
    health = {"services": {"s3": "running", "athena": "available", "sqs": "running", "dynamodb": "available",
                           "kinesis": "disabled"}}
    plan = routing.plan(health, "http://127.0.0.1:4600", "http://ls:4566")
    assert {"athena", "glue", "databrew", "redshift-data", "sagemaker"} <= set(plan.kit)
    assert plan.kit["s3"] == "state the kit's engines read and write"      # even though LocalStack has S3
    assert plan.kit["athena"] == "executed by the kit's engines"
    assert plan.kit["kinesis"] == "not available on this LocalStack"         # disabled there
    assert "sqs" in plan.localstack and "dynamodb" in plan.localstack and "sqs" not in plan.kit
    env = plan.env()
    assert env["AWS_ENDPOINT_URL"] == "http://ls:4566"
    assert env["AWS_ENDPOINT_URL_ATHENA"] == env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:4600"
    assert "AWS_ENDPOINT_URL_SQS" not in env


def test_health_names_by_endpoint_prefix_count_for_the_client_name():
    """MiniStack's health says "monitoring", "states", "tagging" where LocalStack says "cloudwatch",
    "stepfunctions", "resourcegroupstaggingapi": either keeps the service on the emulator."""
    import botocore.session

    models = botocore.session.get_session()
    for service, aliases in routing.HEALTH_ALIASES.items():
        assert models.get_service_model(service).endpoint_prefix in aliases
    plan = routing.plan({"services": {"monitoring": "available", "states": "available", "tagging": "available",
                                      "athena": "available"}}, "http://kit", "http://ms")
    assert {"cloudwatch", "stepfunctions", "resourcegroupstaggingapi"} <= set(plan.localstack)
    assert "athena" in plan.kit and "monitoring" not in plan.kit and "monitoring" not in plan.localstack
    assert routing.plan({"services": {"monitoring": "disabled"}}, "http://kit", "http://ms").kit["cloudwatch"]


def test_botocore_follows_the_variables(monkeypatch):
    plan = routing.plan({"services": {"sqs": "running"}}, "http://127.0.0.1:4600", "http://ls:4566")
    for key, value in plan.env().items():
        monkeypatch.setenv(key, value)
    s = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    assert s.client("athena").meta.endpoint_url == "http://127.0.0.1:4600"
    assert s.client("logs").meta.endpoint_url == "http://127.0.0.1:4600"
    assert s.client("sqs").meta.endpoint_url == "http://ls:4566"
    assert s.client("ec2").meta.endpoint_url == "http://ls:4566"     # unknown to the kit: LocalStack's


def test_target_clients_and_sessions_route_per_service(tmp_path, monkeypatch):
    target = LocalStackTarget(load(environ={"LABKIT_LOCALSTACK_URL": "http://127.0.0.1:1"}, target="localstack",
                                   home=tmp_path, port=4600))
    assert target.client("glue").meta.endpoint_url == "http://127.0.0.1:4600"
    assert target.client("sqs").meta.endpoint_url == "http://127.0.0.1:4600"   # LocalStack down: nothing served there
    assert target.session().client("s3").meta.endpoint_url == "http://127.0.0.1:4600"
    env = target.env()
    assert env["LABKIT_TARGET"] == "localstack" and env["LABKIT_PORT"] == "4600"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1" and env["AWS_ENDPOINT_URL_GLUE"] == "http://127.0.0.1:4600"


class StandIn:
    """Answers /_localstack/health like LocalStack and serves AWS APIs with its own moto app."""

    def __init__(self, services):
        self.services = services
        self.app = moto.make_app()
        self.seen: list[str] = []

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/_localstack/health":
            body = json.dumps({"services": self.services, "edition": "stand-in", "version": "test"}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        auth = environ.get("HTTP_AUTHORIZATION", "")
        self.seen.append(auth.split("/")[3] if auth.count("/") >= 3 else "?")
        return self.app(environ, start_response)


@pytest.fixture
def standin():
    fake = StandIn({"sqs": "running", "s3": "running", "dynamodb": "available"})
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}"
    yield fake
    server.shutdown()


@pytest.fixture
def ls_env(tmp_path, standin):
    env = dict(os.environ, LABKIT_HOME=str(tmp_path / "home"), LABKIT_PORT=str(free_port()),
               LABKIT_TARGET="localstack", LABKIT_LOCALSTACK_URL=standin.url)
    try:
        yield env
    finally:
        subprocess.run(LABKIT + ["down"], env=env, capture_output=True, timeout=60)


def test_labs_run_on_the_localstack_target_with_the_lake_on_the_kit(ls_env, standin):
    up = run(ls_env, "up")
    assert "labkit is up on target 'localstack'" in up.stdout
    status = json.loads(run(ls_env, "status", "--json").stdout)
    assert status["target"] == "localstack" and status["healthy"] is True
    assert status["localstack"] == {"url": standin.url, "healthy": True, "edition": "stand-in", "version": "test"}
    assert "athena" in status["engines"]      # the kit endpoint's engines, not the stand-in's health
    assert status["routing"]["kit"]["athena"] == "executed by the kit's engines"
    assert "sqs" in status["routing"]["localstack"] and "s3" in status["routing"]["kit"]
    assert "s3" not in standin.seen and "kms" not in standin.seen       # the stack went to the kit
    kit = f"http://127.0.0.1:{ls_env['LABKIT_PORT']}"
    s3_kit = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                   region_name="us-east-1").client("s3", endpoint_url=kit)
    guid = status["workspace"]["guid"]
    assert f"dataedu-raw-{guid}" in {b["Name"] for b in s3_kit.list_buckets()["Buckets"]}

    exports = run(ls_env, "env").stdout
    assert f"export AWS_ENDPOINT_URL={standin.url}" in exports and f"export AWS_ENDPOINT_URL_ATHENA={kit}" in exports
    assert "AWS_ENDPOINT_URL_SQS" not in exports
    # A shell with those variables: SQS reaches LocalStack, S3 the kit.
    script = (f'eval "$({sys.executable} -m lab_helpers.cli env)"; {sys.executable} -c "import boto3; '
              "boto3.client('sqs').create_queue(QueueName='lab-queue'); "
              "print(len(boto3.client('s3').list_buckets()['Buckets']))\"")
    out = subprocess.run(["bash", "-c", script], env=ls_env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "4", out.stderr
    assert "sqs" in standin.seen

    # A lab's solution cells in Jupyter kernels under this target, then its checks: they pass.
    run(ls_env, "catch-up", "00_orientation", "--through")
    checked = run(ls_env, "check", "00_orientation", "--json")
    assert all(c["passed"] for c in json.loads(checked.stdout)["checks"])
    assert not {"s3", "athena", "glue", "iam", "sts", "kms", "lambda"} & set(standin.seen)
