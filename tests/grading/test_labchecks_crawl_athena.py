"""Labs 03 and 04: every check fails at the start of its lab and passes after the lab's solution.

One workspace walks from lab 00 to the end of lab 04 (catch-up replays the solution notebooks), so
the checks are tested on exactly what a learner builds, then partial credit on damaged resources.
"""
import json

import pytest
from click.testing import CliRunner

from lab_helpers.authoring.catchup import catch_up
from lab_helpers.cli import main as labkit

QUIET = dict(echo=lambda *_: None)


def _results(session, lab):
    return {r.check_id: r for r in session.run_lab_checks(lab, record=False)}


def _assert_all_fail(results, ids):
    assert set(results) == set(ids)
    for r in results.values():
        assert not r.passed and r.points == 0, str(r)
        assert r.message.startswith("Not done yet") and r.hint, str(r)


def _assert_all_pass(results):
    assert all(r.passed and r.points == r.max_points for r in results.values()), [str(r) for r in results.values()]


def test_lab_03_and_04_checks_fail_before_and_pass_after_their_solutions(workspace, client):
    assert catch_up("03_glue_crawlers", **QUIET) == ["00_orientation", "01_kms_key_users", "02_lambda_load"]
    _assert_all_fail(_results(workspace, "03_glue_crawlers"), {"crawlers_created", "sis_tables", "lms_tables"})

    assert catch_up("03_glue_crawlers", through=True, **QUIET) == ["03_glue_crawlers"]  # only what is missing
    _assert_all_pass(_results(workspace, "03_glue_crawlers"))
    fresh = _results(workspace, "04_athena_curate")
    _assert_all_fail(fresh, {"workgroup", "curated_table", "student_view"})
    assert "create_work_group" in fresh["workgroup"].hint
    assert "CREATE DATABASE db_cur_lmsdemo" in fresh["curated_table"].hint

    assert catch_up("04_athena_curate", through=True, **QUIET) == ["04_athena_curate"]
    _assert_all_pass(_results(workspace, "04_athena_curate"))
    outcome = CliRunner().invoke(labkit, ["check", "04_athena_curate", "--json"])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(outcome.output)
    assert report["lab"] == "04_athena_curate" and all(c["passed"] for c in report["checks"])

    # Partial credit: a workgroup that no longer enforces its settings keeps the other parts' points.
    athena = client("athena")
    athena.update_work_group(WorkGroup="dataedu-workgroup",
                             ConfigurationUpdates={"EnforceWorkGroupConfiguration": False})
    wg = workspace.run_check("04_athena_curate", "workgroup", record=False)
    assert not wg.passed and 0 < wg.points < wg.max_points
    assert "✘ workgroup settings are not enforced" in wg.found

    # A view that no longer joins the SIS students loses that part.
    glue = client("glue")
    qid = athena.start_query_execution(
        QueryString="CREATE OR REPLACE VIEW student_pageviews AS "
                    "SELECT user_id, sum(pageview_count) AS pageviews FROM agg_pageview_count_by_user_course GROUP BY 1",
        QueryExecutionContext={"Database": "db_cur_lmsdemo"}, WorkGroup="dataedu-workgroup")["QueryExecutionId"]
    _wait(athena, qid)
    assert glue.get_table(DatabaseName="db_cur_lmsdemo", Name="student_pageviews")["Table"]["TableType"] == "VIRTUAL_VIEW"
    view = workspace.run_check("04_athena_curate", "student_view", record=False)
    assert not view.passed and 0 < view.points < view.max_points


def _wait(athena, qid):
    import time

    for _ in range(300):
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert state["State"] == "SUCCEEDED", state
            return
        time.sleep(0.1)
    raise AssertionError("query did not finish")
