"""local_clients: the local target's botocore plugin keeps every client on the endpoint and the SDK's waits short."""
from __future__ import annotations

import sys
import time
import types

import boto3
import pytest

from lab_helpers.targets.local_clients import FastClock, speed_up_sagemaker_sdk


def test_a_client_with_an_explicit_aws_endpoint_is_answered_by_the_local_endpoint(kernel_env):
    sts = boto3.client("sts", endpoint_url="https://sts.us-east-1.amazonaws.com")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    assert kernel_env == []


def test_without_the_plugin_such_a_client_would_leave_the_machine(kernel_env, monkeypatch):
    monkeypatch.delenv("BOTOCORE_EXPERIMENTAL__PLUGINS")
    sts = boto3.session.Session().client("sts", endpoint_url="https://sts.us-east-1.amazonaws.com",
                                         config=boto3.session.Config(retries={"max_attempts": 1}))
    with pytest.raises(Exception):
        sts.get_caller_identity()
    assert kernel_env and kernel_env[0] == "sts.us-east-1.amazonaws.com"


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
