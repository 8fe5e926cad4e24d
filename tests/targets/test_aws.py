"""The aws target's preflight: which account, region and identity; the root user is refused.

No real account is reachable here: the identity comes from the local endpoint (moto answers
GetCallerIdentity for IAM users and assumed roles like AWS does), and the root case from a stub
answering what AWS documents for root credentials (arn:aws:iam::<account>:root)."""
import pytest

from lab_helpers.config import load
from lab_helpers.targets import AwsTarget, TargetError
from lab_helpers.targets.aws import identity_kind


def test_identity_kind_reads_the_caller_arn():
    assert identity_kind("arn:aws:iam::111122223333:root") == "root"
    assert identity_kind("arn:aws:iam::111122223333:user/ana") == "user"
    assert identity_kind("arn:aws:sts::111122223333:assumed-role/Admin/ana") == "assumed-role"
    assert identity_kind("arn:aws:sts::111122223333:federated-user/ana") == "federated-user"
    assert identity_kind("garbage") == "other"


class _Sts:
    def __init__(self, arn):
        self.arn = arn

    def get_caller_identity(self):
        return {"Account": "111122223333", "Arn": self.arn, "UserId": "AIDA"}


class _Session:
    def __init__(self, arn):
        self.arn = arn

    def client(self, service, **kw):
        return _Sts(self.arn)


def _target(tmp_path, arn):
    target = AwsTarget(load(environ={}, target="aws", home=tmp_path, region="eu-west-1"))
    target.session = lambda: _Session(arn)
    return target


def test_root_credentials_are_refused_with_what_to_do_instead(tmp_path):
    target = _target(tmp_path, "arn:aws:iam::111122223333:root")
    assert target.status()["identity"] == "root"
    with pytest.raises(TargetError, match="root user of account 111122223333.*LABKIT_AWS_PROFILE"):
        target.start()


def test_an_iam_identity_passes_and_status_names_account_region_and_identity(tmp_path):
    st = _target(tmp_path, "arn:aws:sts::111122223333:assumed-role/Admin/ana").start()
    assert st == {"target": "aws", "endpoint_url": None, "healthy": True, "account": "111122223333",
                  "arn": "arn:aws:sts::111122223333:assumed-role/Admin/ana", "identity": "assumed-role",
                  "region": "eu-west-1"}


def test_preflight_against_an_endpoint_with_an_iam_users_keys(endpoint, client, tmp_path, monkeypatch):
    iam = client("iam")
    iam.create_user(UserName="ana")
    key = iam.create_access_key(UserName="ana")["AccessKey"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    st = AwsTarget(load(environ={}, target="aws", home=tmp_path)).start()
    assert st["identity"] == "user" and st["arn"].endswith(":user/ana") and st["region"] == "us-east-1"


def test_no_credentials_say_how_to_configure_them(tmp_path, monkeypatch):
    target = AwsTarget(load(environ={}, target="aws", home=tmp_path))

    def broken():
        raise RuntimeError("Unable to locate credentials")
    target.session = broken
    with pytest.raises(TargetError, match="Configure a profile"):
        target.start()
