"""Fixtures of the SageMaker engine tests that use the SDK."""
from __future__ import annotations

import socket

import pytest

from lab_helpers import config
from lab_helpers.targets import get_target

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def kernel_env(endpoint, monkeypatch, tmp_path):
    """This process as a lab kernel on the local target sees it; non-local host lookups are recorded."""
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABKIT_PORT", str(endpoint.port))
    monkeypatch.delenv("LABKIT_TARGET", raising=False)
    get_target(config.load()).apply()
    looked_up = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK:
            looked_up.append(host)
            raise socket.gaierror(f"test: {host} is not on this machine")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    import boto3

    boto3.DEFAULT_SESSION = None
    yield looked_up
    boto3.DEFAULT_SESSION = None
