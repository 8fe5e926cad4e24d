"""The browser tests never skip silently: without chromium they fail and say how to install it."""
import shutil

import pytest

from . import conftest


def test_missing_chromium_fails_with_the_install_command(monkeypatch):
    monkeypatch.delenv("LABKIT_CHROMIUM", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"apt-get update && apt-get install -y chromium"):
        conftest.chromium_path()


def test_an_explicit_chromium_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_CHROMIUM", str(tmp_path / "chrome"))
    assert conftest.chromium_path() == str(tmp_path / "chrome")
