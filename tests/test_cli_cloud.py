"""`labkit teardown`, `labkit up --budget` and `labkit costs` as a user runs them: real subprocesses, a temp LABKIT_HOME, a free port."""
import json
import os
import subprocess

import boto3
import pytest

from lab_helpers.stack.names import TAG_KEY
from tests.support import LABKIT, free_port, run



@pytest.fixture
def cli_env(tmp_path):
    env = dict(os.environ, LABKIT_HOME=str(tmp_path / "home"), LABKIT_PORT=str(free_port()))
    env.pop("LABKIT_TARGET", None)
    try:
        yield env
    finally:
        subprocess.run(LABKIT + ["down"], env=env, capture_output=True, timeout=60)


def _client(env, service):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name="us-east-1").client(
        service, endpoint_url=f"http://127.0.0.1:{env['LABKIT_PORT']}")


def test_up_with_a_budget_then_teardown_deletes_the_workspace_and_no_decoy(cli_env):
    up = run(cli_env, "up", "--no-data", "--budget", "10", "--budget-email", "me@example.com")
    assert "budget     labkit-" in up.stdout and "10.00 USD a month" in up.stdout and "me@example.com" in up.stdout
    guid = json.loads(run(cli_env, "status", "--json").stdout)["workspace"]["guid"]
    s3, iam = _client(cli_env, "s3"), _client(cli_env, "iam")
    s3.create_bucket(Bucket="dataedu-raw-decoy")
    s3.create_bucket(Bucket="dataedu-raw-0000000000ff")
    s3.put_bucket_tagging(Bucket="dataedu-raw-0000000000ff",
                          Tagging={"TagSet": [{"Key": TAG_KEY, "Value": "0000000000ff"}]})
    iam.create_role(RoleName="decoy-role", AssumeRolePolicyDocument="{}")

    dry = run(cli_env, "teardown")
    assert f"Workspace {guid}: 14 resources" in dry.stdout   # 4 buckets, 6 roles, 2 functions, key, budget
    assert f"labkit-{guid}" in dry.stdout
    assert "Dry run: nothing deleted" in dry.stdout and "labkit teardown --yes" in dry.stdout
    assert "2 s3 bucket" in dry.stdout   # the two decoy buckets, counted as not this workspace's
    assert len(s3.list_buckets()["Buckets"]) == 6

    done = json.loads(run(cli_env, "teardown", "--yes", "--json").stdout)
    assert done["executed"] is True and done["failed"] == []
    deleted = {(r["kind"], r["name"]) for r in done["deleted"]}
    assert ("s3 bucket", f"dataedu-raw-{guid}") in deleted and ("iam role", "dataedu-glue-crawler-role") in deleted
    assert [p["kind"] for p in done["pending"]] == ["kms key"]
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {"dataedu-raw-decoy", "dataedu-raw-0000000000ff"}
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} == {"decoy-role"}
    assert _client(cli_env, "budgets").describe_budgets(AccountId="123456789012").get("Budgets", []) == []

    # The workspace can come back: `labkit up` repairs the stack (the key's deletion is cancelled).
    again = run(cli_env, "up", "--no-data")
    assert "labkit is up" in again.stdout
    assert f"dataedu-raw-{guid}" in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_teardown_without_a_running_endpoint_says_there_is_nothing(cli_env):
    proc = run(cli_env, "teardown", check=False)
    assert proc.returncode == 1
    assert "no workspace" in proc.stderr or "not running" in proc.stderr


def test_costs_lists_every_lab_and_refuses_an_unknown_one(cli_env):
    out = run(cli_env, "costs").stdout
    assert "recorded 2026-12-06" in out and "06_redshift" in out and "RPU-hour x $0.375" in out
    assert "TB scanned x $5" in out and "instance-hour x $0.115" in out
    one = json.loads(run(cli_env, "costs", "07_sagemaker", "--json").stdout)
    assert [lab["lab"] for lab in one["labs"]] == ["07_sagemaker"] and one["labs"][0]["total"] > 0
    bad = run(cli_env, "costs", "99_nope", check=False)
    assert bad.returncode == 1 and "06_redshift" in bad.stderr


def test_the_aws_target_flow_rehearsed_against_the_local_endpoint(cli_env, tmp_path):
    """LABKIT_TARGET=aws with AWS_ENDPOINT_URL at a kit endpoint: preflight, up --budget, teardown.
    (moto answers like AWS for these calls; a real account is what only a real account can prove.)"""
    run(cli_env, "up", "--no-data")
    iam = _client(cli_env, "iam")
    iam.create_user(UserName="ana")
    key = iam.create_access_key(UserName="ana")["AccessKey"]
    aws = dict(cli_env, LABKIT_TARGET="aws", LABKIT_HOME=str(tmp_path / "aws-home"),
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{cli_env['LABKIT_PORT']}",
               AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    status = run(aws, "status").stdout
    assert "account    123456789012 as arn:aws:iam::123456789012:user/ana (user)" in status
    up = run(aws, "up", "--no-data", "--budget", "5")
    assert "labkit is up on target 'aws'" in up.stdout and "5.00 USD a month" in up.stdout
    guid = json.loads(run(aws, "status", "--json").stdout)["workspace"]["guid"]
    done = json.loads(run(aws, "teardown", "--yes", "--json").stdout)
    deleted = {(r["kind"], r["name"]) for r in done["deleted"]}
    assert ("s3 bucket", f"dataedu-raw-{guid}") in deleted and ("budget", f"labkit-{guid}") in deleted
    assert done["failed"] == []
    # the local workspace's stack, in the same account, carries another guid: untouched
    local_guid = json.loads(run(cli_env, "status", "--json").stdout)["workspace"]["guid"]
    assert f"dataedu-raw-{local_guid}" in {b["Name"] for b in _client(cli_env, "s3").list_buckets()["Buckets"]}
