"""The local target never reads the learner's AWS configuration (issue 11.4).

A decoy HOME holds ~/.aws files whose every profile runs a credential_process that leaves a
marker file behind; AWS_PROFILE names a profile that does not exist. `labkit up`, the endpoint's
engine threads and the CLI must work and the marker must never appear."""
from __future__ import annotations

import os
import subprocess

import pytest

from lab_helpers.sessions import isolated_session
from tests.support import LABKIT, free_port


@pytest.fixture
def decoy_home(tmp_path):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    marker = tmp_path / "aws-config-was-read"
    process = f"/bin/sh -c 'touch {marker}; exit 1'"
    (home / ".aws" / "config").write_text(
        f"[default]\nregion = eu-west-9\ncredential_process = {process}\n"
        f"[profile stale]\ncredential_process = {process}\n")
    (home / ".aws" / "credentials").write_text("[default]\naws_access_key_id = REAL\naws_secret_access_key = REAL\n")
    return home, marker


def test_isolated_sessions_ignore_a_stale_profile_and_the_config_files(monkeypatch, decoy_home):
    home, marker = decoy_home
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_PROFILE", "nonexistent")
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE", raising=False)
    session = isolated_session("test", "test", region="us-east-1")
    client = session.client("s3", endpoint_url="http://127.0.0.1:9")
    assert client.meta.region_name == "us-east-1"
    assert session.get_credentials().access_key == "test"
    assert not marker.exists()


def test_engine_threads_work_with_a_stale_profile(monkeypatch, decoy_home, endpoint):
    home, marker = decoy_home
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_PROFILE", "nonexistent")
    endpoint.app.context._clients.clear()     # engines build their clients now, under the stale profile
    learner = isolated_session("test", "test")

    def client(service):
        return learner.client(service, endpoint_url=endpoint.url)
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": "db"})
    athena = client("athena")
    client("s3").create_bucket(Bucket="out")
    qid = athena.start_query_execution(QueryString="SHOW TABLES IN db",
                                       ResultConfiguration={"OutputLocation": "s3://out/"})["QueryExecutionId"]
    assert qid
    assert endpoint.app.context.client("glue").get_database(Name="db")["Database"]["Name"] == "db"
    assert not marker.exists()


def test_labkit_up_and_down_with_a_decoy_home_and_a_nonexistent_profile(tmp_path, decoy_home):
    home, marker = decoy_home
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LABKIT_"))}
    env.update({"HOME": str(home), "AWS_PROFILE": "nonexistent", "LABKIT_HOME": str(tmp_path / "ws"),
                "LABKIT_PORT": str(free_port())})
    labkit = LABKIT
    try:
        up = subprocess.run([*labkit, "up", "--no-data"], env=env, capture_output=True, text=True, timeout=240,
                            stdin=subprocess.DEVNULL)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "ProfileNotFound" not in up.stdout + up.stderr
        status = subprocess.run([*labkit, "status"], env=env, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stdout + status.stderr
    finally:
        down = subprocess.run([*labkit, "down"], env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not marker.exists(), "the kit ran the decoy ~/.aws credential_process"
