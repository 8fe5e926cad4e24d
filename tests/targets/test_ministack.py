"""The localstack target against a real LocalStack-compatible emulator: MiniStack 1.5.33 from PyPI.

MiniStack serves LocalStack's port-4566 APIs and its ``/_localstack/health`` route without Docker.
It runs here as a subprocess from its own venv, ``.venv/labkit-ministack/`` (``make ministack``,
which ``make test`` runs; pins in .ci/ministack-requirements.txt: its botocore pin cannot share
the kit's venv). It is bound to 127.0.0.1 on a free port, with HOME, TMPDIR and its data dirs in a
temp dir, no Docker socket and its optional listeners (SFTP, IoT mTLS) off. The test never downloads.

A learner's walk through the CLI: ``labkit up`` on LABKIT_TARGET=localstack, ``labkit status``
(the routing MiniStack's health leads to), ``labkit catch-up`` through the last lab (every solution
notebook in Jupyter kernels), then ``labkit check`` of every lab: all checks pass. MiniStack reports
every service the labs touch as available, Athena, Glue, Lambda, S3, KMS and IAM among them; the
kit keeps the data lake anyway (MiniStack's Athena without DuckDB is a mock, its Glue crawlers only
flip a state, it has no DataBrew, Redshift or SageMaker). So the tests also show that a call the
routing leaves on MiniStack (SQS) is served by MiniStack, and the lake's buckets are on the kit's
endpoint and not on MiniStack.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest

from lab_helpers.config import REPO_ROOT, load
from lab_helpers.grading import labs
from lab_helpers.targets import LocalStackTarget, routing
from tests.support import LABKIT, free_port, run

MINISTACK_PYTHON = REPO_ROOT / ".venv" / "labkit-ministack" / "bin" / "python"
MINISTACK_VERSION = "1.5.33"
# Every lab, in order: the catch-up runs through the last (07's SageMaker training is ~50 s of it).
LABS = tuple(lab.id for lab in labs.LABS)
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _health(url: str) -> dict | None:
    try:
        with _NO_PROXY.open(f"{url}/_localstack/health", timeout=2) as resp:
            return json.load(resp)
    except Exception:
        return None


def _session() -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


class MiniStack:
    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "ministack.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> dict:
        for sub in ("home", "tmp", "state", "s3"):
            (self.root / sub).mkdir()
        env = {  # nothing of the developer's: no AWS settings, no proxies, no Docker
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.root / "home"),
            "TMPDIR": str(self.root / "tmp"), "PYTHONNOUSERSITE": "1", "LANG": "C.UTF-8",
            "GATEWAY_PORT": str(self.port), "BIND_HOST": "127.0.0.1", "MINISTACK_HOST": "127.0.0.1",
            "STATE_DIR": str(self.root / "state"), "S3_DATA_DIR": str(self.root / "s3"), "PERSIST_STATE": "0",
            "DOCKER_HOST": f"unix://{self.root / 'no-docker.sock'}", "SFTP_ENABLED": "0", "IOT_MTLS_ENABLED": "0",
            "LOG_LEVEL": "INFO",
        }
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([str(MINISTACK_PYTHON), "-m", "ministack"], env=env, cwd=self.root / "home",
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"MiniStack exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}", pytrace=False)
            health = _health(self.url)
            if health is not None:
                return health
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"MiniStack did not answer {self.url}/_localstack/health in {timeout:.0f}s:\n"
                    f"{self.log.read_text()[-3000:]}", pytrace=False)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)

    def client(self, service: str):
        return _session().client(service, endpoint_url=self.url)


@pytest.fixture(scope="module")
def ministack(tmp_path_factory):
    if not MINISTACK_PYTHON.exists():
        pytest.fail(f"MiniStack is not installed: run `make ministack` (it builds {MINISTACK_PYTHON.parent.parent} "
                    "from .ci/ministack-requirements.txt; `make test` does it too).", pytrace=False)
    ms = MiniStack(tmp_path_factory.mktemp("ministack"))
    ms.health = ms.start()
    try:
        yield ms
    finally:
        ms.stop()


@pytest.fixture(scope="module")
def shell(ministack, tmp_path_factory):
    """A learner's shell on LABKIT_TARGET=localstack with MiniStack as the LocalStack, after `labkit up`
    and a catch-up through the last lab. Module-scoped: the shell's variables are built here, not
    taken from the (per-test) isolated environment, so no AWS_* or LABKIT_* of the developer's leaks in."""
    root = tmp_path_factory.mktemp("labkit-on-ministack")
    (root / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LABKIT_"))}
    env.update(LABKIT_TARGET="localstack", LABKIT_LOCALSTACK_URL=ministack.url, LABKIT_HOME=str(root / "home"),
               LABKIT_PORT=str(free_port()), LABKIT_REDSHIFT_PORT="0", TMPDIR=str(root / "tmp"),
               AWS_CONFIG_FILE=str(root / "no-aws"), AWS_SHARED_CREDENTIALS_FILE=str(root / "no-aws"),
               AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    try:
        up = run(env, "up").stdout
        run(env, "catch-up", LABS[-1], "--through", timeout=900)
        yield SimpleNamespace(env=env, up=up, kit=f"http://127.0.0.1:{env['LABKIT_PORT']}")
    finally:
        subprocess.run(LABKIT + ["down"], env=env, capture_output=True, timeout=120)


def test_ministack_is_the_pinned_one_and_reports_what_it_serves(ministack):
    health = ministack.health
    assert health["version"] == MINISTACK_VERSION and health["edition"] == "light"
    served = {name for name, state in health["services"].items() if state == "available"}
    # It claims the data-lake services too; the routing keeps them on the kit regardless.
    assert {"s3", "athena", "glue", "lambda", "kms", "iam", "sts", "logs", "secretsmanager"} <= served
    assert not {"databrew", "redshift", "redshift-data", "redshift-serverless", "sagemaker"} & served
    # By endpoint prefix, not by boto3 client name: routing.HEALTH_ALIASES maps them.
    assert {"monitoring", "states", "tagging"} <= served and "cloudwatch" not in served
    assert {"sqs", "sns", "dynamodb", "events", "budgets", "organizations"} <= served


def test_up_and_status_route_the_lake_to_the_kit_and_the_rest_to_ministack(shell, ministack):
    assert "labkit is up on target 'localstack'" in shell.up
    status = json.loads(run(shell.env, "status", "--json").stdout)
    kit = shell.kit
    assert status["target"] == "localstack" and status["healthy"] is True
    assert status["endpoint_url"] == ministack.url and status["kit_endpoint_url"] == kit
    # The LocalStack health came from MiniStack; "engines" are the kit endpoint's.
    assert status["localstack"] == {"url": ministack.url, "healthy": True, "edition": "light",
                                    "version": MINISTACK_VERSION}
    assert {"athena", "glue", "databrew", "redshift", "sagemaker"} <= set(status["engines"])
    plan = status["routing"]
    assert plan["localstack_url"] == ministack.url and plan["kit_url"] == kit
    assert set(plan["kit"]) == set(routing.ENGINE_SERVICES) | set(routing.ENGINE_STATE)
    assert all(plan["kit"][s] == "executed by the kit's engines" for s in routing.ENGINE_SERVICES)
    assert all(plan["kit"][s] == "state the kit's engines read and write" for s in routing.ENGINE_STATE)
    assert sorted(plan["localstack"]) == sorted(routing.OTHER_KNOWN)   # MiniStack serves all of them

    exports = run(shell.env, "env").stdout
    assert f"export AWS_ENDPOINT_URL={ministack.url}" in exports
    assert f"export AWS_ENDPOINT_URL_ATHENA={kit}" in exports and f"export AWS_ENDPOINT_URL_S3={kit}" in exports
    assert "AWS_ENDPOINT_URL_SQS" not in exports and "AWS_ENDPOINT_URL_CLOUDWATCH=" not in exports


@pytest.mark.parametrize("lab", LABS)
def test_every_check_of_the_lab_passes_on_ministack(shell, lab):
    checks = json.loads(run(shell.env, "check", lab, "--json").stdout)["checks"]
    assert [c["id"] for c in checks] == [c.id for c in labs.get(lab).checks]
    failed = [c for c in checks if not c["passed"]]
    assert not failed, json.dumps(failed, indent=1)


def _target(env) -> LocalStackTarget:
    return LocalStackTarget(load(environ=env))


def test_a_call_left_on_ministack_is_served_by_ministack(shell, ministack):
    session = _target(shell.env).session()
    sqs = session.client("sqs")
    assert sqs.meta.endpoint_url == ministack.url
    queue = sqs.create_queue(QueueName="labkit-ministack-probe")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="hello from the kit's session")
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["hello from the kit's session"]
    # MiniStack holds the queue; the kit's endpoint (which could serve SQS too) never saw it.
    assert any(u.endswith("/labkit-ministack-probe") for u in ministack.client("sqs").list_queues()["QueueUrls"])
    kit_sqs = _session().client("sqs", endpoint_url=shell.kit)
    assert not any(u.endswith("/labkit-ministack-probe") for u in kit_sqs.list_queues().get("QueueUrls", []))


def test_the_lake_is_on_the_kit_and_not_on_ministack(shell, ministack):
    target = _target(shell.env)
    raw = json.loads(run(shell.env, "status", "--json").stdout)["workspace"]["buckets"]["raw"]
    s3 = target.session().client("s3")
    assert s3.meta.endpoint_url == target.kit_url == shell.kit
    assert raw in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert raw not in {b["Name"] for b in ministack.client("s3").list_buckets().get("Buckets", [])}
    # The catalogue the crawlers built and Athena queried is the kit's too.
    kit_dbs = {d["Name"] for d in target.session().client("glue").get_databases()["DatabaseList"]}
    assert kit_dbs and not kit_dbs & {d["Name"] for d in ministack.client("glue").get_databases()["DatabaseList"]}
