"""Catch-up replays only the earlier labs whose checks fail (the endpoint decides, not the progress
file), and hands its kernels their environment without changing this process's."""
from __future__ import annotations

import json
import os
import threading

import nbformat
import pytest

from lab_helpers.authoring import catchup
from lab_helpers.grading.checks import CheckResult
from lab_helpers.grading.labchecks.kms_key_users import KEY_USER_ROLES, ROLE_TEST_KEY
from lab_helpers.grading.labchecks.orientation import HELLO_KEY
from lab_helpers.grading.notebook import Lab
from tests.conftest import role_session

EARLIER_THAN_04 = ["00_orientation", "01_kms_key_users", "02_lambda_load", "03_glue_crawlers"]


@pytest.fixture
def replayed(monkeypatch):
    """Record the labs catch-up replays instead of running their notebooks (the state stays as it is)."""
    ran = []

    def fake_run_solution(lab_id, solutions=None, timeout=600, env=None, on_cell=None, kernel_log=None):
        assert env is not None and env["LABKIT_CATCHUP"] == "1"
        ran.append(lab_id)
        return 0.0

    monkeypatch.setattr(catchup, "run_solution", fake_run_solution)
    return ran


def _do_lab_00_by_hand(workspace, client):
    s3, buckets = client("s3"), workspace.names.buckets
    s3.put_object(Bucket=buckets["results"], Key=HELLO_KEY, Body=b"Hello, data lake!\n")
    s3.put_bucket_lifecycle_configuration(Bucket=buckets["results"], LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "athena/"}, "Expiration": {"Days": 7}}]})
    s3.put_bucket_lifecycle_configuration(Bucket=buckets["raw"], LifecycleConfiguration={"Rules": [
        {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "lmsapi/"},
         "Transitions": [{"Days": 90, "StorageClass": "GLACIER_IR"}]}]})


def _do_lab_01_by_hand(workspace, client):
    kms = client("kms")
    key_id = kms.describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append({
        "Sid": "Allow use of the key", "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::123456789012:role/{role}" for role in KEY_USER_ROLES]},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    role_s3 = role_session(client, "dataedu-fetch-s3-data-role").client(
        "s3", endpoint_url=client("s3").meta.endpoint_url)
    role_s3.put_object(Bucket=workspace.names.buckets["raw"], Key=ROLE_TEST_KEY, Body=b"written by the role\n")


def test_catch_up_replays_only_the_labs_whose_checks_fail(workspace, client, replayed):
    lab_04 = Lab("04_athena_curate", workspace)   # what `lab.catch_up()` in the learner's notebook calls

    # The progress file says lab 00 passed (an endpoint restarted since, say): the endpoint's answer wins.
    for check_id in ("hello_lake", "lifecycle_rules"):
        workspace.store.record_check("00_orientation", CheckResult(check_id, check_id, True, 10, 10))
    assert lab_04.catch_up() == EARLIER_THAN_04 == replayed

    _do_lab_00_by_hand(workspace, client)
    replayed.clear()
    client("s3").delete_object(Bucket=workspace.names.buckets["results"], Key=HELLO_KEY)  # 00 half done
    assert lab_04.catch_up() == EARLIER_THAN_04

    _do_lab_00_by_hand(workspace, client)
    _do_lab_01_by_hand(workspace, client)
    replayed.clear()
    assert lab_04.catch_up() == ["02_lambda_load", "03_glue_crawlers"] == replayed
    assert lab_04.catch_up(through=True) == ["02_lambda_load", "03_glue_crawlers", "04_athena_curate"]
    assert Lab("02_lambda_load", workspace).catch_up() == []
    assert catchup.catch_up("02_lambda_load", session=workspace, only_missing=False,
                            echo=lambda *_: None) == ["00_orientation", "01_kms_key_users"]


def test_the_kernel_gets_its_environment_and_this_process_keeps_its_own(tmp_path, monkeypatch):
    monkeypatch.delenv("LABKIT_CATCHUP", raising=False)
    seen_in_kernel = tmp_path / "seen.txt"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(f"import os, pathlib\npathlib.Path({str(seen_in_kernel)!r})"
                                  ".write_text(os.environ.get('LABKIT_CATCHUP', '<unset>'))"),
        nbformat.v4.new_code_cell("lab.quiz('any-question', answer='a')  # quiz cells are not replayed"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "00_orientation.ipynb")

    leaked, done = [], threading.Event()

    def watch():   # the old catch-up set LABKIT_CATCHUP in os.environ for the whole replay
        while not done.wait(0.01):
            if "LABKIT_CATCHUP" in os.environ:
                leaked.append(os.environ["LABKIT_CATCHUP"])

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        catchup.run_solution("00_orientation", solutions=tmp_path, timeout=120)
    finally:
        done.set()
        watcher.join(timeout=5)
    assert seen_in_kernel.read_text() == "1"
    assert leaked == [] and "LABKIT_CATCHUP" not in os.environ
