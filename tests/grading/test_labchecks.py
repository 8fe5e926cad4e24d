"""Labs 00-01 checks: partial credit, unknown ids, prerequisites, recording (the walk through every lab
is tests/grading/test_lab_walk.py)."""
import json

import pytest

from lab_helpers.grading import labs


def test_key_users_check_gives_partial_credit(workspace, client):
    kms = client("kms")
    key_id = kms.describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "Allow use of the key", "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::123456789012:role/dataedu-fetch-s3-data-role"},
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    result = workspace.run_check("01_kms_key_users", "key_users", record=False)
    assert not result.passed
    assert 0 < result.points < result.max_points
    assert any("dataedu-glue-crawler-role is not a key user" in f for f in result.found)


def test_lifecycle_check_gives_partial_credit_for_one_rule(workspace, client):
    client("s3").put_bucket_lifecycle_configuration(
        Bucket=workspace.names.buckets["results"], LifecycleConfiguration={"Rules": [
            {"ID": "x", "Status": "Enabled", "Filter": {"Prefix": "athena/"}, "Expiration": {"Days": 5}}]})
    result = workspace.run_check("00_orientation", "lifecycle_rules", record=False)
    assert not result.passed and result.points == result.max_points / 2


def test_unknown_check_lists_valid_ones(workspace):
    with pytest.raises(KeyError, match="hello_lake, lifecycle_rules"):
        workspace.run_check("00_orientation", "nope")


def test_later_lab_preflight_reports_missing_prerequisites(workspace):
    missing = workspace.missing_prerequisites("01_kms_key_users")
    assert {lab for lab, _ in missing} == {"00_orientation"}


def test_checks_are_recorded_in_progress(workspace):
    workspace.run_check("00_orientation", "hello_lake")
    rows = workspace.store.latest_checks("00_orientation")
    assert ("00_orientation", "hello_lake") in rows and rows[("00_orientation", "hello_lake")]["passed"] == 0


def test_every_lab_has_checks_and_a_solution_notebook():
    from lab_helpers.authoring.build import SOLUTIONS

    for lab in labs.LABS:
        assert lab.checks, lab.id
        assert (SOLUTIONS / f"{lab.id}.ipynb").exists(), lab.id
