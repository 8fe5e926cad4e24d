"""One learner walks forward through labs 00 to 06: at the start of each lab its checks fail with a
hint, after the lab's solution notebook (replayed by catch-up) they all pass, and `labkit check --json`
agrees. Then partial credit on damaged resources, at the end, where nothing later depends on them.

The walk shares one account (the module resets the endpoint once), so catch-up only replays what is
not done yet: every lab's notebook runs once in the whole module — which is itself asserted, as the
incremental catch-up learners rely on. Each test still runs on its own (`pytest -k ...`): catch-up
then replays whatever earlier labs it needs, and the assertions say which labs that must be.

The learner works in a scoped workspace (LABKIT_SCOPE=w1), as in a class that shares one account:
every account-wide name the notebooks and checks use carries the scope. The solution notebooks'
own run (nbval) covers the workshop's unscoped names.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lab_helpers.authoring.catchup import catch_up, lab_done
from lab_helpers.cli import main as labkit
from lab_helpers.grading import labs
from lab_helpers.grading.labchecks import redshift as redshift_checks
from tests.conftest import new_learner, point_at, reset_endpoint

pytestmark = pytest.mark.shared_account
QUIET = dict(echo=lambda *_: None)
REPLAYED: list[str] = []      # every lab catch-up replayed in this module, in order
SCOPE = "w1"


@pytest.fixture(scope="module")
def learner(endpoint_server):
    reset_endpoint(endpoint_server)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABKIT_SCOPE", SCOPE)
        session = new_learner(endpoint_server, mp)
        assert session.names.scope == SCOPE
        yield session
    session.settings.workspace_file.unlink(missing_ok=True)   # later modules get a workspace of their own
    reset_endpoint(endpoint_server)


@pytest.fixture(autouse=True)
def _on_the_walk(learner, endpoint_server, monkeypatch):
    point_at(endpoint_server, monkeypatch)
    learner.target.apply()     # what the notebook's first cell did (undone after every test)


def _results(learner, lab_id):
    return {r.check_id: r for r in learner.run_lab_checks(lab_id, record=False)}


def _pending(learner, lab_id, through=False):
    """The labs catch-up must replay now: those up to lab_id whose checks do not all pass."""
    wanted = [lab.id for lab in labs.before(lab_id)] + ([lab_id] if through else [])
    ctx = learner.check_context()
    return [lab for lab in wanted if not lab_done(lab, ctx)]


def _catch_up(learner, lab_id, through=False):
    expected = _pending(learner, lab_id, through)
    ran = list(catch_up(lab_id, through=through, **QUIET))
    assert ran == expected
    REPLAYED.extend(ran)
    return ran


def _assert_fresh(results, ids):
    assert set(results) == set(ids)
    for r in results.values():
        assert not r.passed and r.points == 0, str(r)
        assert r.message.startswith("Not done yet") and r.hint, str(r)


def _assert_done(results):
    assert all(r.passed and r.points == r.max_points for r in results.values()), [str(r) for r in results.values()]


def _finish(learner, lab_id):
    """Catch-up replays the lab's solution (and only it); then every check passes, in the CLI too."""
    assert _catch_up(learner, lab_id, through=True) == [lab_id]
    done = _results(learner, lab_id)
    _assert_done(done)
    outcome = CliRunner().invoke(labkit, ["check", lab_id, "--json"])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(outcome.output)
    assert report["lab"] == lab_id and all(c["passed"] for c in report["checks"])
    return done


# --- labs 00 to 06, forward ------------------------------------------------------------------------------

def test_labs_00_01_fail_fresh_and_pass_after_catch_up(learner):
    for lab_id in ("00_orientation", "01_kms_key_users"):     # the walk's first step: a new learner
        fresh = _results(learner, lab_id)
        assert fresh and not any(r.passed for r in fresh.values()), lab_id
        assert all(r.message.startswith("Not done yet") for r in fresh.values())
    assert _catch_up(learner, "01_kms_key_users", through=True) == ["00_orientation", "01_kms_key_users"]
    for lab_id in ("00_orientation", "01_kms_key_users"):
        _assert_done(_results(learner, lab_id))
    # Done labs are not replayed; replayed anyway, solution cells are idempotent: everything still passes.
    assert catch_up("01_kms_key_users", through=True, **QUIET) == []
    assert catch_up("01_kms_key_users", through=True, only_missing=False, **QUIET) == [
        "00_orientation", "01_kms_key_users"]
    for lab_id in ("00_orientation", "01_kms_key_users"):
        assert all(r.passed for r in _results(learner, lab_id).values()), lab_id


def test_lab_02_fails_before_and_passes_after_its_solution(learner):
    from lab_helpers.stack.names import FETCH_DEMO_DATA

    _catch_up(learner, "02_lambda_load")
    fresh = _results(learner, "02_lambda_load")
    _assert_fresh(fresh, {"function_invoked", "raw_loaded", "objects_encrypted"})
    assert f"Invoke {SCOPE}-{FETCH_DEMO_DATA}" in fresh["function_invoked"].hint
    assert f"Invoke {SCOPE}-{FETCH_DEMO_DATA}" in fresh["raw_loaded"].hint

    done = _finish(learner, "02_lambda_load")
    assert done["objects_encrypted"].found == [
        f"✔ 51 of 51 sampled raw objects (1 in 3 of 153) are SSE-KMS with {SCOPE}-dataedu-key"]


def test_labs_03_04_fail_before_and_pass_after_their_solutions(learner):
    _catch_up(learner, "03_glue_crawlers")
    _assert_fresh(_results(learner, "03_glue_crawlers"), {"crawlers_created", "sis_tables", "lms_tables"})

    _finish(learner, "03_glue_crawlers")
    fresh = _results(learner, "04_athena_curate")
    _assert_fresh(fresh, {"workgroup", "curated_table", "student_view"})
    assert "create_work_group" in fresh["workgroup"].hint
    assert f"CREATE DATABASE {SCOPE}_db_cur_lmsdemo" in fresh["curated_table"].hint

    _finish(learner, "04_athena_curate")


def test_lab_05_fails_before_and_passes_after_its_solution(learner):
    _catch_up(learner, "05_databrew")
    fresh = _results(learner, "05_databrew")
    _assert_fresh(fresh, {"datasets", "profile_job", "recipe", "recipe_job", "curated_table"})
    assert "create_profile_job" in fresh["profile_job"].hint
    outcome = CliRunner().invoke(labkit, ["check", "05_databrew", "--json"])
    assert outcome.exit_code != 0 and not any(c["passed"] for c in json.loads(outcome.output)["checks"])

    _finish(learner, "05_databrew")


def test_lab_06_fails_before_and_passes_after_its_solution(learner):
    _catch_up(learner, "06_redshift")
    fresh = _results(learner, "06_redshift")
    assert set(fresh) == {"workgroup", "external_schemas", "spectrum_access", "sis_tables", "late_binding_views",
                          "copy_load", "unload"}
    for r in fresh.values():     # spectrum_access credits the key users lab 01 already made
        assert not r.passed and r.points < r.max_points and r.hint, str(r)
        assert r.message.startswith("Not done yet"), str(r)
    assert "create_namespace" in fresh["workgroup"].hint
    assert "key users" in fresh["spectrum_access"].hint

    _finish(learner, "06_redshift")


def test_the_walk_replayed_every_lab_once(learner):
    """Forward-only: catch-up never replayed a lab whose checks already passed."""
    _catch_up(learner, "06_redshift", through=True)
    assert len(REPLAYED) == len(set(REPLAYED)), REPLAYED
    assert set(REPLAYED) == {lab.id for lab in labs.before("07_sagemaker")}


# --- partial credit on damaged resources, last lab first: damage to a later lab's resources never --------
# --- makes an earlier lab's checks fail, so each test finds its lab done and replays nothing ------------

def _reach(learner, lab_id):
    """The end of lab_id: nothing to do on the walk; run alone, catch-up replays what is needed."""
    if not lab_done(lab_id, learner.check_context()):
        catch_up(lab_id, through=True, **QUIET)


def test_lab_06_partial_credit(learner, client):
    _reach(learner, "06_redshift")
    # A view dropped, the COPY table emptied, the role no longer a key user.
    redshift_checks.sql(learner.check_context(), "DROP VIEW sis_lms.request_info_view")
    views = learner.run_check("06_redshift", "late_binding_views", record=False)
    assert not views.passed and 0 < views.points < views.max_points
    redshift_checks.sql(learner.check_context(), "TRUNCATE lms.requests")
    loaded = learner.run_check("06_redshift", "copy_load", record=False)
    assert not loaded.passed and "0 rows" in " ".join(loaded.found)
    kms = client("kms")
    key_id = kms.describe_key(KeyId=f"alias/{SCOPE}-dataedu-key")["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    for st in policy["Statement"]:
        if st.get("Sid") == "Allow use of the key":
            st["Principal"]["AWS"] = [a for a in st["Principal"]["AWS"]
                                      if not a.endswith("/" + learner.names.of(redshift_checks.ROLE))]
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    access = learner.run_check("06_redshift", "spectrum_access", record=False)
    assert not access.passed and any("Spectrum query failed" in f for f in access.found)


def test_lab_05_partial_credit(learner, client):
    _reach(learner, "05_databrew")
    databrew = client("databrew")
    # A new published version with a LEFT_JOIN keeps the other parts of the recipe check.
    recipe_name = f"{SCOPE}-student-ext-2"
    steps = databrew.describe_recipe(Name=recipe_name, RecipeVersion="LATEST_PUBLISHED")["Steps"]
    for step in steps:
        if step["Action"]["Parameters"].get("secondaryDatasetName") == f"{SCOPE}-planned-grad-semester":
            step["Action"]["Parameters"]["joinType"] = "LEFT_JOIN"
    databrew.update_recipe(Name=recipe_name, Steps=steps)
    databrew.publish_recipe(Name=recipe_name)
    recipe = learner.run_check("05_databrew", "recipe", record=False)
    assert not recipe.passed and 0 < recipe.points < recipe.max_points
    assert "✘ 5 JOIN steps (expected 5 inner joins)" in recipe.found

    # A job that writes CSV, unpartitioned, loses the format part only (its earlier output stays).
    job = databrew.describe_job(Name=f"{SCOPE}-student-ext-2-recipe-job")
    databrew.update_recipe_job(Name=job["Name"], RoleArn=job["RoleArn"],
                               Outputs=[{**job["Outputs"][0], "Format": "CSV", "PartitionColumns": []}])
    result = learner.run_check("05_databrew", "recipe_job", record=False)
    assert not result.passed and 0 < result.points < result.max_points
    assert any(f.startswith("✘ writes CSV") for f in result.found)


def test_lab_04_partial_credit(learner, client):
    _reach(learner, "04_athena_curate")
    athena = client("athena")
    # A workgroup that no longer enforces its settings keeps the other parts' points.
    athena.update_work_group(WorkGroup=f"{SCOPE}-dataedu-workgroup",
                             ConfigurationUpdates={"EnforceWorkGroupConfiguration": False})
    wg = learner.run_check("04_athena_curate", "workgroup", record=False)
    assert not wg.passed and 0 < wg.points < wg.max_points
    assert "✘ workgroup settings are not enforced" in wg.found

    # A view that no longer joins the SIS students loses that part.
    qid = athena.start_query_execution(
        QueryString="CREATE OR REPLACE VIEW student_pageviews AS "
                    "SELECT user_id, sum(pageview_count) AS pageviews FROM agg_pageview_count_by_user_course GROUP BY 1",
        QueryExecutionContext={"Database": f"{SCOPE}_db_cur_lmsdemo"},
        WorkGroup=f"{SCOPE}-dataedu-workgroup")["QueryExecutionId"]
    _wait(athena, qid)
    table = client("glue").get_table(DatabaseName=f"{SCOPE}_db_cur_lmsdemo", Name="student_pageviews")["Table"]
    assert table["TableType"] == "VIRTUAL_VIEW"
    view = learner.run_check("04_athena_curate", "student_view", record=False)
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
