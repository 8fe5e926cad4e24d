"""Targets decide where boto3 goes; the local target must never read ~/.aws or reach AWS."""
import os

import boto3
import pytest

from lab_helpers.config import ConfigError, load
from lab_helpers.targets import AwsTarget, LocalStackTarget, LocalTarget, get_target


@pytest.fixture
def fake_home_with_real_profile(tmp_path, monkeypatch):
    home = tmp_path / "userhome"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAREALREALREAL0000\naws_secret_access_key = realsecret\n"
        "[prod]\naws_access_key_id = AKIAPRODPRODPROD0000\naws_secret_access_key = prodsecret\n")
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-3\n[profile prod]\nregion = ap-south-1\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("AWS_PROFILE", "prod")
    return home


def test_local_target_apply_hides_learners_aws_profile(fake_home_with_real_profile, tmp_path, monkeypatch):
    environ = dict(os.environ)
    target = LocalTarget(load(environ={}, home=tmp_path / "kit", port=4999))
    target.apply(environ)
    monkeypatch.setattr(os, "environ", environ)
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        assert k not in environ
    session = boto3.session.Session()
    creds = session.get_credentials()
    assert creds.access_key == "test"
    assert session.region_name == "us-east-1"
    assert environ["AWS_CONFIG_FILE"].startswith(str(tmp_path / "kit"))
    assert environ["AWS_SHARED_CREDENTIALS_FILE"].startswith(str(tmp_path / "kit"))
    client = session.client("s3")
    assert client.meta.endpoint_url == "http://127.0.0.1:4999"


def test_local_target_session_ignores_profile_files(fake_home_with_real_profile, tmp_path):
    target = LocalTarget(load(environ={}, home=tmp_path / "kit", port=4998))
    s3 = target.client("s3")
    assert s3.meta.endpoint_url == "http://127.0.0.1:4998"
    assert s3._request_signer._credentials.access_key == "test"


def test_local_target_env_sets_region_endpoint_and_unsets_foreign_vars(tmp_path):
    env = LocalTarget(load(environ={}, home=tmp_path, port=4566)).env()
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "us-east-1"
    assert env["AWS_PROFILE"] is None and env["AWS_SESSION_TOKEN"] is None


def test_aws_target_is_opt_in_and_never_sets_an_endpoint(tmp_path):
    target = get_target(load(environ={"LABKIT_TARGET": "aws", "LABKIT_AWS_PROFILE": "prod"}, home=tmp_path))
    assert isinstance(target, AwsTarget)
    env = target.env()
    assert env["AWS_ENDPOINT_URL"] is None
    assert env["AWS_PROFILE"] == "prod"


def test_default_target_is_local(tmp_path):
    assert isinstance(get_target(load(environ={}, home=tmp_path)), LocalTarget)


def test_localstack_target_points_at_the_users_localstack(tmp_path):
    target = get_target(load(environ={"LABKIT_TARGET": "localstack", "LABKIT_LOCALSTACK_URL": "http://ls:4566/"},
                             home=tmp_path))
    assert isinstance(target, LocalStackTarget)
    assert target.env()["AWS_ENDPOINT_URL"] == "http://ls:4566"


def test_localstack_target_start_explains_when_nothing_answers(tmp_path):
    target = get_target(load(environ={"LABKIT_TARGET": "localstack", "LABKIT_LOCALSTACK_URL": "http://127.0.0.1:1"},
                             home=tmp_path))
    with pytest.raises(Exception, match="No LocalStack answers"):
        target.start()


def test_bad_target_name_is_a_clear_config_error():
    with pytest.raises(ConfigError, match="use one of local, localstack, aws"):
        load(environ={"LABKIT_TARGET": "prod"})


def test_port_and_home_come_from_environment(tmp_path):
    s = load(environ={"LABKIT_PORT": "5123", "LABKIT_HOME": str(tmp_path)})
    assert s.port == 5123 and s.home == tmp_path and s.endpoint_url == "http://127.0.0.1:5123"


def test_non_numeric_port_is_explained():
    with pytest.raises(ConfigError, match="LABKIT_PORT='abc' is not a whole number"):
        load(environ={"LABKIT_PORT": "abc"})
