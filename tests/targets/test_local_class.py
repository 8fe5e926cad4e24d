"""The local target as a class learner has it: their own keys, the instructor's endpoint, never started or stopped."""
import pytest

from lab_helpers.config import load
from lab_helpers.targets import LocalTarget, TargetError


def _learner(tmp_path, port):
    return LocalTarget(load(environ={"LABKIT_ACCESS_KEY_ID": "AKIALEARNER0001", "LABKIT_SECRET_ACCESS_KEY": "s3cr3t",
                                     "LABKIT_SHARED_ENDPOINT": "1", "LABKIT_LEARNER": "learner-01"},
                            home=tmp_path / "learner", port=port))


def test_a_learner_uses_their_own_keys_everywhere(tmp_path):
    target = _learner(tmp_path, 4999)
    env = target.env()
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("AKIALEARNER0001", "s3cr3t")
    target.apply(environ={})
    assert "aws_access_key_id = AKIALEARNER0001" in target.settings.aws_credentials_file.read_text()
    creds = target.session().get_credentials()
    assert (creds.access_key, creds.secret_key) == ("AKIALEARNER0001", "s3cr3t")


def test_without_a_class_the_dummy_keys_stay(tmp_path):
    env = LocalTarget(load(environ={}, home=tmp_path, port=4999)).env()
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")


def test_a_learner_never_starts_or_stops_the_class_endpoint(tmp_path, endpoint):
    down = _learner(tmp_path, 1)            # nothing listens on port 1
    with pytest.raises(TargetError, match="class endpoint .* is not answering.*instructor"):
        down.start()
    assert not (tmp_path / "learner" / "endpoint.pid").exists()
    up = _learner(tmp_path, endpoint.port)  # another workspace's endpoint: used, not refused
    assert up.start()["healthy"] is True
    assert up.stop() is False
    assert up.status()["healthy"] is True


def test_kernels_of_a_learner_inherit_the_class_settings(tmp_path):
    env = _learner(tmp_path, 4999).env()
    assert env["LABKIT_SHARED_ENDPOINT"] == "1" and env["LABKIT_LEARNER"] == "learner-01"
    assert env["LABKIT_ACCESS_KEY_ID"] == "AKIALEARNER0001"
    assert "LABKIT_SHARED_ENDPOINT" not in LocalTarget(load(environ={}, home=tmp_path, port=4999)).env()
