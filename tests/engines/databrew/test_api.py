"""DataBrew through boto3: job runs and their states, stop, errors, acting as the role (KMS), logs,
recipe versions, projects and sessions, and what the engine patches in moto's answers."""
import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from lab_helpers.engines.databrew import actions
from lab_helpers.stack.provision import bucket_policy, root_only_key_policy

from .support import (
    BUCKET,
    ROLE,
    ROLE_ARN,
    keys,
    open_project,
    people,
    put_dataset,
    result_frame,
    run_job,
    step,
    wait_run,
)


def recipe_job(db, name="job", recipe="r", version="1.0", steps=None, **extra):
    db.create_recipe(Name=recipe, Steps=steps or [step("RENAME", sourceColumn="name", targetColumn="full_name")])
    db.publish_recipe(Name=recipe)
    db.create_recipe_job(Name=name, DatasetName="people", RoleArn=ROLE_ARN,
                         RecipeReference={"Name": recipe, "RecipeVersion": version},
                         Outputs=extra.pop("Outputs", [{"Location": {"Bucket": BUCKET, "Key": "out/"},
                                                        "Format": "CSV"}]), **extra)


@pytest.fixture
def slow_rename(monkeypatch):
    """RENAME that takes up to 20 s unless cancelled (the endpoint runs in this process)."""
    release = threading.Event()

    def slow(table, p, runner):
        for _ in range(400):
            runner.check_cancel()
            if release.wait(0.05):
                break
        return actions.rename(table, p, runner)
    monkeypatch.setitem(actions.OPERATIONS, "RENAME", slow)
    yield release
    release.set()


def test_recipe_job_run_moves_starting_running_succeeded_and_describes_itself(brew, databrew):
    put_dataset(brew, "people", people())
    recipe_job(databrew)
    run_id = databrew.start_job_run(Name="job")["RunId"]
    assert run_id.startswith("db_") and len(run_id) == 67
    run, seen = wait_run(databrew, "job", run_id)
    assert seen[-1] == "SUCCEEDED" and set(seen) <= {"STARTING", "RUNNING", "SUCCEEDED"}
    assert run["JobName"] == "job" and run["DatasetName"] == "people" and run["Attempt"] == 0
    assert run["RecipeReference"] == {"Name": "r", "RecipeVersion": "1.0"}
    assert run["Outputs"][0]["Format"] == "CSV" and run["LogGroupName"] == "/aws-glue-databrew/jobs/job"
    assert run["CompletedOn"] >= run["StartedOn"] and isinstance(run["ExecutionTime"], int)
    assert "ErrorMessage" not in run
    files = keys(brew("s3"), "out/")
    assert len(files) == 1 and files[0].endswith("_part00000.csv") and files[0].startswith("out/job_")
    body = brew("s3").get_object(Bucket=BUCKET, Key=files[0])["Body"].read().decode()
    assert body.splitlines()[0].split(",")[:2] == ['"id"', '"full_name"'] or body.startswith("id,full_name")
    messages = [e["message"] for e in brew("logs").get_log_events(
        logGroupName="/aws-glue-databrew/jobs/job", logStreamName=run_id)["events"]]
    assert any("Step 1 RENAME" in m for m in messages) and any("succeeded" in m for m in messages)


def test_list_job_runs_newest_first_and_unknown_run_or_job(brew, databrew):
    put_dataset(brew, "people", people())
    recipe_job(databrew, Outputs=[{"Location": {"Bucket": BUCKET, "Key": "out/"}, "Overwrite": True}])
    first = run_job(databrew, "job")["RunId"]
    second = run_job(databrew, "job")["RunId"]
    runs = databrew.list_job_runs(Name="job")["JobRuns"]
    assert [r["RunId"] for r in runs] == [second, first]
    with pytest.raises(ClientError) as err:
        databrew.describe_job_run(Name="job", RunId="db_nope")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        databrew.start_job_run(Name="no-such-job")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_stop_job_run_stops_a_running_recipe_and_writes_nothing(brew, databrew, slow_rename):
    put_dataset(brew, "people", people())
    recipe_job(databrew)
    run_id = databrew.start_job_run(Name="job")["RunId"]
    for _ in range(100):
        if databrew.describe_job_run(Name="job", RunId=run_id)["State"] == "RUNNING":
            break
        time.sleep(0.05)
    with pytest.raises(ClientError) as err:
        databrew.start_job_run(Name="job")
    assert err.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as err:
        databrew.delete_job(Name="job")
    assert err.value.response["Error"]["Code"] == "ConflictException"
    databrew.stop_job_run(Name="job", RunId=run_id)
    assert databrew.describe_job_run(Name="job", RunId=run_id)["State"] in ("STOPPING", "STOPPED")
    run, _ = wait_run(databrew, "job", run_id, timeout=10)
    assert run["State"] == "STOPPED" and keys(brew("s3"), "out/") == []
    with pytest.raises(ClientError) as err:
        databrew.stop_job_run(Name="job", RunId=run_id)
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_a_queued_run_stops_at_once_and_reset_waits_for_running_ones(brew, databrew, slow_rename, endpoint):
    put_dataset(brew, "people", people())
    for name in ("a", "b", "c"):
        recipe_job(databrew, name=name, recipe=f"r-{name}")
    ids = {name: databrew.start_job_run(Name=name)["RunId"] for name in ("a", "b", "c")}
    time.sleep(0.3)
    assert databrew.describe_job_run(Name="c", RunId=ids["c"])["State"] == "STARTING"   # two workers are busy
    databrew.stop_job_run(Name="c", RunId=ids["c"])
    assert databrew.describe_job_run(Name="c", RunId=ids["c"])["State"] == "STOPPED"
    started = time.time()
    endpoint.app.context.reset()   # cancels the two running jobs and waits for them
    assert time.time() - started < 10


@pytest.mark.parametrize("bad_step,expect", [
    (step("SHUFFLE_ROWS"), "Recipe step 2 (SHUFFLE_ROWS) failed: the operation 'SHUFFLE_ROWS' is not emulated"),
    (step("RENAME", sourceColumn="nope", targetColumn="x"), "Recipe step 2 (RENAME) failed: column 'nope' does not exist"),
    (step("JOIN", joinType="SIDEWAYS_JOIN", joinKeys=[{"key": "id", "value": "id"}], secondaryDatasetName="people"),
     "Recipe step 2 (JOIN) failed: joinType 'SIDEWAYS_JOIN'"),
    (step("SPLIT_COLUMN_SINGLE_DELIMITER", sourceColumn="city", pattern="-", limit="21"),
     "Recipe step 2 (SPLIT_COLUMN_SINGLE_DELIMITER) failed: the parameter limit must be between 1 and 20"),
    (step("JOIN", joinType="INNER_JOIN", joinKeys="not json", secondaryDatasetName="people"),
     "Recipe step 2 (JOIN) failed: the parameter joinKeys must be JSON text"),
])
def test_a_bad_step_fails_the_run_naming_step_and_action_and_writes_nothing(brew, databrew, bad_step, expect):
    put_dataset(brew, "people", people())
    recipe_job(databrew, steps=[step("UPPER_CASE", sourceColumn="name"), bad_step])
    run = run_job(databrew, "job")
    assert run["State"] == "FAILED" and run["ErrorMessage"].startswith(expect), run["ErrorMessage"]
    assert keys(brew("s3"), "out/") == []


def test_the_job_runs_the_published_version_it_names(brew, databrew):
    put_dataset(brew, "people", people())
    recipe_job(databrew, version="1.0", Outputs=[{"Location": {"Bucket": BUCKET, "Key": "v1/"}, "Format": "JSON",
                                                  "Overwrite": True}])
    databrew.update_recipe(Name="r", Steps=[step("DELETE", sourceColumn="name")])   # working version only
    assert run_job(databrew, "job")["State"] == "SUCCEEDED"
    row = json.loads(brew("s3").get_object(Bucket=BUCKET, Key=keys(brew("s3"), "v1/")[0])["Body"].read().splitlines()[0])
    assert "full_name" in row and "name" not in row
    databrew.publish_recipe(Name="r")
    databrew.update_recipe_job(Name="job", RoleArn=ROLE_ARN, Outputs=[{"Location": {"Bucket": BUCKET, "Key": "v1/"},
                                                                       "Format": "JSON", "Overwrite": True}])
    assert databrew.describe_job(Name="job")["RecipeReference"]["RecipeVersion"] == "1.0"
    databrew.create_recipe_job(Name="job2", DatasetName="people", RoleArn=ROLE_ARN,
                               RecipeReference={"Name": "r", "RecipeVersion": "2.0"},
                               Outputs=[{"Location": {"Bucket": BUCKET, "Key": "v2/"}, "Format": "JSON"}])
    assert run_job(databrew, "job2")["State"] == "SUCCEEDED"
    row = json.loads(brew("s3").get_object(Bucket=BUCKET, Key=keys(brew("s3"), "v2/")[0])["Body"].read().splitlines()[0])
    assert "name" not in row and "full_name" not in row
    databrew.create_recipe(Name="unpublished", Steps=[step("DELETE", sourceColumn="name")])
    databrew.create_recipe_job(Name="job3", DatasetName="people", RoleArn=ROLE_ARN,
                               RecipeReference={"Name": "unpublished"},
                               Outputs=[{"Location": {"Bucket": BUCKET, "Key": "v3/"}}])
    with pytest.raises(ClientError) as err:
        databrew.start_job_run(Name="job3")
    assert "publish the recipe" in err.value.response["Error"]["Message"]


def _encrypted_lake(brew):
    s3, kms = brew("s3"), brew("kms")
    key = kms.create_key(Policy=json.dumps(root_only_key_policy("123456789012")))["KeyMetadata"]
    s3.create_bucket(Bucket="enc-lake")
    s3.put_bucket_encryption(Bucket="enc-lake", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]})
    s3.put_bucket_policy(Bucket="enc-lake", Policy=json.dumps(bucket_policy("enc-lake", key["Arn"])))
    from .support import parquet_bytes
    s3.put_object(Bucket="enc-lake", Key="raw/people.parquet", Body=parquet_bytes(people()))
    brew("databrew").create_dataset(Name="people", Input={"S3InputDefinition": {"Bucket": "enc-lake",
                                                                                "Key": "raw/people.parquet"}})
    return kms, key


def test_the_job_acts_as_its_role_and_fails_with_access_denied_until_it_is_a_key_user(brew, databrew):
    kms, key = _encrypted_lake(brew)
    databrew.create_profile_job(Name="profile", DatasetName="people", RoleArn=ROLE_ARN,
                                OutputLocation={"Bucket": "enc-lake", "Key": "profiles/"})
    run = run_job(databrew, "profile")
    assert run["State"] == "FAILED"
    assert "AccessDenied" in run["ErrorMessage"] and "kms:Decrypt" in run["ErrorMessage"]
    assert f"assumed-role/{ROLE}/" in run["ErrorMessage"]
    policy = root_only_key_policy("123456789012")
    policy["Statement"].append({"Sid": "Allow use of the key", "Effect": "Allow",
                                "Principal": {"AWS": [ROLE_ARN]},
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                           "kms:DescribeKey"], "Resource": "*"})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    run = run_job(databrew, "profile")
    assert run["State"] == "SUCCEEDED", run.get("ErrorMessage")
    written = [o["Key"] for o in brew("s3").list_objects_v2(Bucket="enc-lake", Prefix="profiles/")["Contents"]]
    head = brew("s3").head_object(Bucket="enc-lake", Key=written[0])
    assert head["ServerSideEncryption"] == "aws:kms"


def test_a_role_that_does_not_exist_fails_the_run(brew, databrew):
    put_dataset(brew, "people", people())
    databrew.create_profile_job(Name="p", DatasetName="people", RoleArn="arn:aws:iam::123456789012:role/ghost",
                                OutputLocation={"Bucket": BUCKET, "Key": "p/"})
    run = run_job(databrew, "p")
    assert run["State"] == "FAILED" and "Unable to assume role" in run["ErrorMessage"]


def test_jobs_need_a_dataset_and_recipe_jobs_a_recipe_and_an_output(brew, databrew):
    with pytest.raises(ClientError) as err:
        databrew.create_profile_job(Name="p", DatasetName="missing", RoleArn=ROLE_ARN,
                                    OutputLocation={"Bucket": BUCKET})
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    put_dataset(brew, "people", people())
    with pytest.raises(ClientError) as err:
        databrew.create_recipe_job(Name="j", DatasetName="people", RoleArn=ROLE_ARN,
                                   Outputs=[{"Location": {"Bucket": BUCKET}}])
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_datasets_report_their_source_and_refuse_bad_formats(brew, databrew):
    put_dataset(brew, "people", people())
    brew("glue").create_database(DatabaseInput={"Name": "db"})
    databrew.create_dataset(Name="cat", Input={"DataCatalogInputDefinition": {"DatabaseName": "db", "TableName": "t"}})
    assert databrew.describe_dataset(Name="people")["Source"] == "S3"
    assert databrew.describe_dataset(Name="cat")["Source"] == "DATA-CATALOG"
    assert {d["Name"]: d["Source"] for d in databrew.list_datasets()["Datasets"]} == {"people": "S3",
                                                                                       "cat": "DATA-CATALOG"}
    with pytest.raises(ClientError) as err:
        databrew.create_dataset(Name="bad", Format="XML", Input={"S3InputDefinition": {"Bucket": BUCKET, "Key": "x"}})
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_projects_crud_and_a_session_previews_and_adds_steps(brew, databrew):
    put_dataset(brew, "people", people())
    session = open_project(brew, size=5)
    project = databrew.describe_project(Name="proj")
    assert project["DatasetName"] == "people" and project["RecipeName"] == "proj-recipe"
    assert project["SessionStatus"] == "READY" and project["Sample"] == {"Size": 5, "Type": "FIRST_N"}
    assert databrew.describe_recipe(Name="proj-recipe", RecipeVersion="LATEST_WORKING")["Steps"] == []
    shown = databrew.send_project_session_action(Name="proj", Preview=True, ClientSessionId=session,
                                                 RecipeStep=step("UPPER_CASE", sourceColumn="name"),
                                                 ViewFrame={"StartColumnIndex": 1, "ColumnRange": 2, "RowRange": 3})
    doc = json.loads(shown["Result"])
    assert [c["name"] for c in doc["columns"]] == ["name", "city"] and doc["rowCount"] == 5
    assert doc["rows"] == [["ANN LEE", "Boston-MA"], ["BOB RAY", "Austin-TX"], [None, "Reno-NV"]]
    assert databrew.describe_recipe(Name="proj-recipe", RecipeVersion="LATEST_WORKING")["Steps"] == []
    databrew.send_project_session_action(Name="proj", RecipeStep=step("DELETE", sourceColumn="city"))
    databrew.send_project_session_action(Name="proj", StepIndex=0,
                                         RecipeStep=step("RENAME", sourceColumn="id", targetColumn="key"))
    steps = databrew.describe_recipe(Name="proj-recipe", RecipeVersion="LATEST_WORKING")["Steps"]
    assert [s["Action"]["Operation"] for s in steps] == ["RENAME", "DELETE"]
    frame = result_frame(databrew.send_project_session_action(Name="proj", Preview=True,
                                                              ViewFrame={"StartColumnIndex": 0}))
    assert list(frame.columns)[:2] == ["key", "name"] and "city" not in frame.columns
    with pytest.raises(ClientError) as err:
        databrew.send_project_session_action(Name="proj", Preview=True, ClientSessionId="someone-else")
    assert err.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as err:
        databrew.send_project_session_action(Name="proj", Preview=True, RecipeStep=step("RENAME", sourceColumn="x",
                                                                                        targetColumn="y"))
    assert "Recipe step 3 (RENAME) failed" in err.value.response["Error"]["Message"]
    databrew.update_project(Name="proj", RoleArn=ROLE_ARN, Sample={"Size": 8, "Type": "LAST_N"})
    with pytest.raises(ClientError) as err:
        databrew.send_project_session_action(Name="proj", Preview=True)
    assert "StartProjectSession" in err.value.response["Error"]["Message"]
    databrew.start_project_session(Name="proj")
    assert json.loads(databrew.send_project_session_action(Name="proj", Preview=True)["Result"])["rowCount"] == 8
    assert [p["Name"] for p in databrew.list_projects()["Projects"]] == ["proj"]
    with pytest.raises(ClientError) as err:
        databrew.create_project(Name="proj", DatasetName="people", RecipeName="x", RoleArn=ROLE_ARN)
    assert err.value.response["Error"]["Code"] == "ConflictException"
    databrew.delete_project(Name="proj")
    with pytest.raises(ClientError) as err:
        databrew.describe_project(Name="proj")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_recipe_job_from_a_project_runs_its_working_recipe(brew, databrew):
    put_dataset(brew, "people", people())
    open_project(brew)
    databrew.send_project_session_action(Name="proj", RecipeStep=step("DELETE", sourceColumns=["city", "joined"]))
    databrew.create_recipe_job(Name="from-project", ProjectName="proj", RoleArn=ROLE_ARN,
                               Outputs=[{"Location": {"Bucket": BUCKET, "Key": "proj-out/"}, "Format": "CSV"}])
    run = run_job(databrew, "from-project")
    assert run["State"] == "SUCCEEDED" and run["DatasetName"] == "people"
    body = brew("s3").get_object(Bucket=BUCKET, Key=keys(brew("s3"), "proj-out/")[0])["Body"].read().decode()
    assert "city" not in body.splitlines()[0] and "name" in body.splitlines()[0]


def test_describe_job_keeps_what_moto_drops(brew, databrew):
    put_dataset(brew, "people", people())
    databrew.create_profile_job(Name="p", DatasetName="people", RoleArn=ROLE_ARN, OutputLocation={"Bucket": BUCKET},
                                JobSample={"Mode": "CUSTOM_ROWS", "Size": 7}, Timeout=30,
                                Configuration={"ProfileColumns": [{"Name": "id"}]})
    job = databrew.describe_job(Name="p")
    assert job["JobSample"] == {"Mode": "CUSTOM_ROWS", "Size": 7} and job["Timeout"] == 30
    assert job["Outputs"] == [{"Location": {"Bucket": BUCKET}}]
    assert job["ProfileConfiguration"] == {"ProfileColumns": [{"Name": "id"}]}
    databrew.update_profile_job(Name="p", RoleArn=ROLE_ARN, OutputLocation={"Bucket": BUCKET},
                                JobSample={"Mode": "FULL_DATASET"})
    assert databrew.list_jobs()["Jobs"][0]["JobSample"] == {"Mode": "FULL_DATASET"}
    databrew.delete_job(Name="p")
    assert databrew.list_jobs()["Jobs"] == []


def test_a_job_with_log_subscription_disabled_writes_no_logs(brew, databrew):
    put_dataset(brew, "people", people())
    recipe_job(databrew, LogSubscription="DISABLE")
    run = run_job(databrew, "job")
    assert run["State"] == "SUCCEEDED" and "LogGroupName" not in run and run["LogSubscription"] == "DISABLE"
    groups = brew("logs").describe_log_groups(logGroupNamePrefix="/aws-glue-databrew/")["logGroups"]
    assert groups == []
