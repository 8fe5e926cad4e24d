"""local_clients: the local target's botocore plugin keeps every client on the endpoint and the SDK's waits short."""
from __future__ import annotations

import socket
import sys
import time
import types

import boto3
import pytest

from lab_helpers import config
from lab_helpers.targets import get_target
from lab_helpers.targets.local_clients import FastClock, speed_up_sagemaker_sdk


@pytest.fixture
def local_env(endpoint, monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABKIT_PORT", str(endpoint.port))
    monkeypatch.delenv("LABKIT_TARGET", raising=False)
    get_target(config.load()).apply()
    looked_up = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            looked_up.append(host)
            raise socket.gaierror(f"test: {host} is not on this machine")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield looked_up
    boto3.DEFAULT_SESSION = None


def test_a_client_with_an_explicit_aws_endpoint_is_answered_by_the_local_endpoint(local_env):
    sts = boto3.client("sts", endpoint_url="https://sts.us-east-1.amazonaws.com")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    assert local_env == []


def test_without_the_plugin_such_a_client_would_leave_the_machine(local_env, monkeypatch):
    monkeypatch.delenv("BOTOCORE_EXPERIMENTAL__PLUGINS")
    sts = boto3.session.Session().client("sts", endpoint_url="https://sts.us-east-1.amazonaws.com",
                                         config=boto3.session.Config(retries={"max_attempts": 1}))
    with pytest.raises(Exception):
        sts.get_caller_identity()
    assert local_env and local_env[0] == "sts.us-east-1.amazonaws.com"


def test_the_sagemaker_sdk_clock_is_replaced_once_its_session_module_is_loaded(monkeypatch):
    fake = types.ModuleType("sagemaker.session")
    fake.time = time
    monkeypatch.setitem(sys.modules, "sagemaker.session", fake)
    assert speed_up_sagemaker_sdk() and isinstance(fake.time, FastClock)
    clock = fake.time
    assert speed_up_sagemaker_sdk() and fake.time is clock


def test_fast_clock_skips_sleeps_and_keeps_the_time_consistent():
    clock = FastClock(max_sleep=0.01)
    start_real, start = time.monotonic(), clock.time()
    clock.sleep(30)
    assert time.monotonic() - start_real < 1
    assert clock.time() - start >= 30
    assert clock.strftime("%Y") == time.strftime("%Y")
