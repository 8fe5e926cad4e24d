"""What learners submit and what the instructor sees: 30 learners' progress -> learners x labs, stuck, idle."""
import json
import time
from dataclasses import replace
from types import SimpleNamespace

import pytest

from lab_helpers.classroom import report, store
from lab_helpers.classroom.roster import ClassInfo, Learner, env_file, load, save
from lab_helpers.config import load as load_settings
from lab_helpers.grading.checks import CheckResult
from lab_helpers.grading.progress import ProgressStore

LABS = {"00_orientation": ["stack", "data"], "01_kms_key_users": ["key_users", "upload"], "02_lambda_load": ["run"]}
SIZES = {"00_orientation": 3, "01_kms_key_users": 2}


def _result(check_id, passed):
    return CheckResult(check_id, check_id, passed, 1.0 if passed else 0.0, 1.0)


def _klass(tmp_path, n=30) -> ClassInfo:
    k = ClassInfo(name="c30", target="local", port=4566, region="us-east-1", endpoint_url="http://127.0.0.1:4566",
                  dir=str(tmp_path / "classes" / "c30"), store=str(tmp_path / "classes" / "c30" / "store"))
    k.learners = [Learner(f"learner-{i:02d}", f"{100000000000 + i}", f"AKIA{i:016d}", f"secret{i}",
                          f"{i:012x}", str(tmp_path / f"l{i}")) for i in range(1, n + 1)]
    return k


def _progress(tmp_path, learner) -> ProgressStore:
    return ProgressStore(tmp_path / f"{learner.name}.sqlite")


def test_snapshot_counts_failures_since_the_last_pass_and_hides_quiz_answers(tmp_path):
    p = ProgressStore(tmp_path / "p.sqlite")
    for passed in (False, True, False, False):
        p.record_check("00_orientation", _result("stack", passed), workspace="w1")
    p.record_check("00_orientation", _result("data", True), workspace="w1", origin="catch-up")
    p.record_check("00_orientation", _result("data", False), workspace="other-workspace")
    question = SimpleNamespace(id="q-00-1", exam="DEA-C01", domain=1)
    p.record_quiz("00_orientation", SimpleNamespace(question=question, correct=True, given="GIVEN-ANSWER-XYZ"))
    snap = store.snapshot(p, "learner-01", "w1", LABS, SIZES)
    stack = snap["labs"]["00_orientation"]["checks"]["stack"]
    assert (stack["attempts"], stack["fails_in_a_row"], stack["passed"]) == (4, 2, False)
    data = snap["labs"]["00_orientation"]["checks"]["data"]
    assert data["passed"] is True and data["origin"] == "catch-up"
    assert snap["labs"]["02_lambda_load"]["checks"] == {} and snap["labs"]["02_lambda_load"]["checks_total"] == 1
    assert snap["labs"]["00_orientation"]["quiz"] == {"correct": 1, "answered": 1, "total": 3}
    assert "GIVEN-ANSWER-XYZ" not in json.dumps(snap)


def test_submit_needs_a_class_and_writes_one_file_per_learner(tmp_path):
    settings = load_settings(environ={}, home=tmp_path / "h")
    with pytest.raises(ValueError, match="not in a class"):
        store.submit(settings, ProgressStore(tmp_path / "p.sqlite"), "w")
    mine = replace(settings, class_store=tmp_path / "store", learner="learner-07")
    p = ProgressStore(tmp_path / "p.sqlite")
    p.record_check("00_orientation", _result("hello_lake", True), workspace="w")   # a real check of lab 00
    path = store.submit(mine, p, "w")
    assert path == tmp_path / "store" / "learner-07.json"
    lab00 = store.read_all(tmp_path / "store")["learner-07"]["labs"]["00_orientation"]
    assert lab00["checks"]["hello_lake"]["passed"] and lab00["checks_total"] == 2
    store.submit_quietly(replace(mine, class_store=tmp_path / "not-a-dir" / "\0bad"), p, "w")   # never raises


def test_report_of_thirty_learners_shows_progress_stuck_and_idle(tmp_path):
    klass = _klass(tmp_path)
    now = time.time()
    for i, learner in enumerate(klass.learners, 1):
        if i == 30:
            continue                                   # never submitted
        p = _progress(tmp_path, learner)
        p.record_check("00_orientation", _result("stack", True), workspace=learner.guid)
        p.record_check("00_orientation", _result("data", True), workspace=learner.guid)
        if i <= 10:                                    # finished lab 01 too, and lab 02
            for c in ("key_users", "upload"):
                p.record_check("01_kms_key_users", _result(c, True), workspace=learner.guid)
            p.record_check("02_lambda_load", _result("run", True), workspace=learner.guid)
        elif i <= 20:                                  # stuck on 01/key_users: 3+ failures in a row
            for _ in range(3 + i % 3):
                p.record_check("01_kms_key_users", _result("key_users", False), workspace=learner.guid)
        else:                                          # working on 01: one failure
            p.record_check("01_kms_key_users", _result("upload", False), workspace=learner.guid)
        snap = store.snapshot(p, learner.name, learner.guid, LABS, SIZES)
        if i == 29:
            snap["last_activity"] = now - 45 * 60      # idle for 45 minutes
        store.write(klass.store, learner.name, snap)

    data = report.build(klass, store.read_all(klass.store), list(LABS), now=now)
    assert (data["learners"], data["submitted"], data["finished"]) == (30, 29, 10)
    assert data["per_lab"]["00_orientation"]["done"] == 29
    assert data["per_lab"]["01_kms_key_users"] == {"done": 10, "in-progress": 9, "stuck": 10, "started": 0,
                                                  "not-started": 1}
    assert data["stuck"] == [{"where": "01_kms_key_users/key_users",
                              "learners": [f"learner-{i:02d}" for i in range(11, 21)]}]
    rows = {r["learner"]: r for r in data["rows"]}
    assert rows["learner-15"]["stuck"]["fails"] == 3 + 15 % 3 and rows["learner-15"]["current_lab"] == "01_kms_key_users"
    assert rows["learner-05"]["finished"] and rows["learner-05"]["labs"]["02_lambda_load"]["status"] == "done"
    assert rows["learner-30"]["submitted"] is False
    assert rows["learner-29"]["idle"] is True and rows["learner-29"]["idle_minutes"] == 45
    assert rows["learner-21"]["idle"] is False and rows["learner-21"]["labs"]["01_kms_key_users"]["status"] == "in-progress"

    page = report.to_html(data)
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "01_kms_key_users/key_users</b>: 10" in page and "nothing submitted" in page
    assert page.count("<tr><td class='l'>learner-") == 30
    assert "STUCK 01_kms_key_users/key_users" in page


def test_roster_round_trips_and_env_files_hold_what_a_learner_needs(tmp_path):
    klass = _klass(tmp_path, n=2)
    path = save(klass)
    assert oct(path.stat().st_mode & 0o777) == "0o600"    # the keys are the instructor's to hand out
    assert load(tmp_path, "c30").learners == klass.learners
    text = env_file(klass, klass.learners[0])
    for line in ("LABKIT_SHARED_ENDPOINT=1", "LABKIT_LEARNER=learner-01", "LABKIT_ACCESS_KEY_ID=AKIA",
                 "LABKIT_CLASS_STORE=", "LABKIT_PORT=4566", f"LABKIT_HOME={klass.learners[0].home}"):
        assert line in text
    env_path = tmp_path / "classes" / "c30" / "learners" / "learner-02.env"
    assert env_path.exists() and oct(env_path.stat().st_mode & 0o777) == "0o600"
    settings = load_settings(environ=dict(l.split("=", 1) for l in env_path.read_text().splitlines()
                                          if l and not l.startswith("#")))
    assert (settings.learner, settings.shared_endpoint, settings.access_key) == ("learner-02", True, klass.learners[1].access_key)
