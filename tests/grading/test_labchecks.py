"""Every check fails on a fresh workspace and passes after the lab's own solution notebook ran."""
import json

import pytest

from lab_helpers.authoring.catchup import catch_up
from lab_helpers.grading import labs


def _results(session, lab_id):
    return {r.check_id: r for r in session.run_lab_checks(lab_id, record=False)}


def test_checks_fail_fresh_and_pass_after_catch_up_through_lab_01(workspace):
    for lab_id in ("00_orientation", "01_kms_key_users"):
        fresh = _results(workspace, lab_id)
        assert fresh and not any(r.passed for r in fresh.values()), lab_id
        assert all(r.message.startswith("Not done yet") for r in fresh.values())
    ran = catch_up("01_kms_key_users", through=True, echo=lambda *_: None)
    assert ran == ["00_orientation", "01_kms_key_users"]
    for lab_id in ("00_orientation", "01_kms_key_users"):
        done = _results(workspace, lab_id)
        assert all(r.passed and r.points == r.max_points for r in done.values()), [str(r) for r in done.values()]
    # Done labs are not replayed; replayed anyway, solution cells are idempotent: everything still passes.
    assert catch_up("01_kms_key_users", through=True, echo=lambda *_: None) == []
    assert catch_up("01_kms_key_users", through=True, only_missing=False, echo=lambda *_: None) == ran
    for lab_id in ("00_orientation", "01_kms_key_users"):
        assert all(r.passed for r in _results(workspace, lab_id).values()), lab_id


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
