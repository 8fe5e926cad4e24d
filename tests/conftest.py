"""Shared fixtures: an endpoint on a free port in a temporary workspace, and boto3 pointed at it."""
from __future__ import annotations

import logging
import os

import boto3
import pytest

from lab_helpers.endpoint.server import start_in_thread

logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def _isolated_aws_env(monkeypatch, tmp_path_factory):
    """No test may read the developer's ~/.aws or reach a real account."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    empty = tmp_path_factory.mktemp("noaws") / "none"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def _fresh_moto_state():
    """moto's backends are process-global: every test starts from an empty account."""
    from lab_helpers.endpoint import moto

    moto.reset()
    yield


@pytest.fixture
def endpoint(tmp_path):
    ep = start_in_thread(tmp_path / "home")
    yield ep
    ep.stop()


@pytest.fixture
def session():
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


@pytest.fixture
def client(endpoint, session):
    """client("s3") -> a boto3 client for the test endpoint."""
    def make(service, **kwargs):
        return session.client(service, endpoint_url=endpoint.url, **kwargs)
    return make


def role_session(client, role_name: str) -> boto3.session.Session:
    """A boto3 session for an assumed role on the endpoint (as a Lambda or crawler would have)."""
    iam = client("iam")
    try:
        iam.get_role(RoleName=role_name)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")
    creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::123456789012:role/{role_name}",
                                      RoleSessionName="test-session")["Credentials"]
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name="us-east-1")
