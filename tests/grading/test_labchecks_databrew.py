"""Lab 05: every check fails at the start of the lab and passes after its solution; a damaged
recipe or job loses only its part of the points; `labkit check 05_databrew --json` agrees."""
import json
import time

from click.testing import CliRunner

from lab_helpers.authoring.catchup import catch_up
from lab_helpers.cli import main as labkit

QUIET = {"echo": lambda *_: None}
CHECKS = {"datasets", "profile_job", "recipe", "recipe_job", "curated_table"}


def _results(session, lab):
    return {r.check_id: r for r in session.run_lab_checks(lab, record=False)}


def test_lab_05_checks_fail_before_and_pass_after_the_solution(workspace, client):
    catch_up("05_databrew", **QUIET)                                  # labs 00-04 done
    fresh = _results(workspace, "05_databrew")
    assert set(fresh) == CHECKS
    for r in fresh.values():
        assert not r.passed and r.points == 0 and r.message.startswith("Not done yet") and r.hint, str(r)
    assert "create_profile_job" in fresh["profile_job"].hint
    outcome = CliRunner().invoke(labkit, ["check", "05_databrew", "--json"])
    assert outcome.exit_code != 0 and not any(c["passed"] for c in json.loads(outcome.output)["checks"])

    assert "05_databrew" in catch_up("05_databrew", through=True, **QUIET)
    done = _results(workspace, "05_databrew")
    assert all(r.passed and r.points == r.max_points for r in done.values()), [str(r) for r in done.values()]
    outcome = CliRunner().invoke(labkit, ["check", "05_databrew", "--json"])
    assert outcome.exit_code == 0, outcome.output
    assert all(c["passed"] for c in json.loads(outcome.output)["checks"])

    # A new published version with a LEFT_JOIN keeps the other parts of the recipe check.
    databrew = client("databrew")
    steps = databrew.describe_recipe(Name="student-ext-2", RecipeVersion="LATEST_PUBLISHED")["Steps"]
    for step in steps:
        if step["Action"]["Parameters"].get("secondaryDatasetName") == "planned-grad-semester":
            step["Action"]["Parameters"]["joinType"] = "LEFT_JOIN"
    databrew.update_recipe(Name="student-ext-2", Steps=steps)
    databrew.publish_recipe(Name="student-ext-2")
    recipe = workspace.run_check("05_databrew", "recipe", record=False)
    assert not recipe.passed and 0 < recipe.points < recipe.max_points
    assert "✘ 5 JOIN steps (expected 5 inner joins)" in recipe.found

    # A job that writes CSV, unpartitioned, loses the format part only (its earlier output stays).
    job = databrew.describe_job(Name="student-ext-2-recipe-job")
    databrew.update_recipe_job(Name=job["Name"], RoleArn=job["RoleArn"],
                               Outputs=[{**job["Outputs"][0], "Format": "CSV", "PartitionColumns": []}])
    result = workspace.run_check("05_databrew", "recipe_job", record=False)
    assert not result.passed and 0 < result.points < result.max_points
    assert any(f.startswith("✘ writes CSV") for f in result.found)


def test_a_failed_profile_run_hints_at_the_key_policy(workspace, client):
    """The AccessDenied the lab shows on purpose: the check says what to do about it."""
    iam, databrew, s3 = client("iam"), client("databrew"), client("s3")
    raw, results = workspace.names.buckets["raw"], workspace.names.buckets["results"]
    s3.put_object(Bucket=raw, Key="sisdb/sisdemo/student/part.csv", Body=b"student_id\n1\n")   # SSE-KMS by default
    iam.create_role(RoleName="not-a-key-user", AssumeRolePolicyDocument="{}")
    databrew.create_dataset(Name="student", Input={"S3InputDefinition": {"Bucket": raw, "Key": "sisdb/sisdemo/student/"}})
    databrew.create_profile_job(Name="student-profile-job", DatasetName="student",
                                RoleArn="arn:aws:iam::123456789012:role/not-a-key-user",
                                OutputLocation={"Bucket": results, "Key": "databrew/"})
    run_id = databrew.start_job_run(Name="student-profile-job")["RunId"]
    for _ in range(200):
        if databrew.describe_job_run(Name="student-profile-job", RunId=run_id)["State"] == "FAILED":
            break
        time.sleep(0.1)
    result = workspace.run_check("05_databrew", "profile_job", record=False)
    assert not result.passed and 0 < result.points < result.max_points and "key user" in result.hint
    assert "✘ its latest run is FAILED" in result.found
