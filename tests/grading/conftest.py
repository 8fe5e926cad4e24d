"""Grading-test fixtures: a labkit Session bound to the test endpoint's workspace."""
import pytest

from lab_helpers.grading.notebook import Session


@pytest.fixture
def workspace(endpoint, monkeypatch):
    monkeypatch.setenv("LABKIT_HOME", str(endpoint.app.context.home))
    monkeypatch.setenv("LABKIT_PORT", str(endpoint.port))
    monkeypatch.delenv("LABKIT_TARGET", raising=False)
    return Session()
