"""Lab 05: the AccessDenied the lab shows on purpose gets a hint (fail before / pass after the lab and
partial credit: tests/grading/test_lab_walk.py)."""
import time


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
