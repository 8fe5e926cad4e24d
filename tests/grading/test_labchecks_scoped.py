"""Labs 05-07 in an account shared with a class: a workspace with a scope (l07) passes the checks with
resources that carry its scope, and fails them, naming its own scoped names, when the resources exist
only under the workshop's plain names (another learner's, or code that forgot ``lab.name``).

The resources are made with boto3, the minimum each check reads; the notebooks themselves run with a
scope in ``labkit catch-up`` (by hand) and without one under nbval.
"""
from __future__ import annotations

import json
import time

import pytest

from lab_helpers import datasets
from lab_helpers.stack import recipes
from lab_helpers.stack.provision import _generated
from tests.conftest import new_learner
from tests.engines.sagemaker.support import IMAGE, csv_rows, signal_data, wait_endpoint, wait_training, wait_transform

SCOPE = "l07"
ACCOUNT = "123456789012"
LMS_TABLES = ("requests", "user_dim", "account_dim", "assignment_dim", "assignment_fact", "course_dim",
              "enrollment_dim", "enrollment_fact", "submission_dim", "submission_fact")
PARTITIONS = ["first_semester_school_year_name", "first_semester_term_name"]


@pytest.fixture
def scoped(endpoint, monkeypatch):
    """A new learner whose workspace has the scope l07 (LABKIT_SCOPE), its stack provisioned."""
    monkeypatch.setenv("LABKIT_SCOPE", SCOPE)
    monkeypatch.setenv("LABKIT_REDSHIFT_PORT", "0")   # a workgroup's wire port on a free port
    ws = new_learner(endpoint, monkeypatch)
    assert ws.names.scope == SCOPE and ws.names.kms_alias == "alias/l07-dataedu-key"
    return ws


def _arn(role: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role}"


def _results(ws, lab: str) -> dict:
    return {r.check_id: r for r in ws.run_lab_checks(lab, record=False)}


def _key_users(client, ws, *roles: str) -> None:
    """Lab 01's step for these roles: key users of the workspace's key (alias/l07-dataedu-key)."""
    kms = client("kms")
    key = kms.describe_key(KeyId=ws.names.kms_alias)["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "Allow use of the key", "Effect": "Allow",
                                "Principal": {"AWS": [_arn(r) for r in roles]},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"})
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))


def _sis_catalog(client, ws, database: str) -> None:
    """The 12 SIS tables (lab 02's data in the raw zone, lab 03's catalog) in ``database``."""
    s3, glue = client("s3"), client("glue")
    raw = ws.names.buckets["raw"]
    glue.create_database(DatabaseInput={"Name": database})
    for obj in _generated(1.0, 2020):
        if not obj.key.startswith("sisdb/sisdemo/"):
            continue
        table = obj.key.split("/")[2]
        s3.put_object(Bucket=raw, Key=obj.key, Body=obj.body)
        glue.create_table(DatabaseName=database, TableInput={
            "Name": table, "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {
                "Columns": [{"Name": f.name, "Type": datasets.glue_type(f.type)} for f in datasets.SIS_SCHEMAS[table]],
                "Location": f"s3://{raw}/sisdb/sisdemo/{table}/",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})


def _run_databrew(databrew, job: str) -> dict:
    run_id = databrew.start_job_run(Name=job)["RunId"]
    for _ in range(600):
        run = databrew.describe_job_run(Name=job, RunId=run_id)
        if run["State"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"{job} did not finish")


# -- lab 05: DataBrew -------------------------------------------------------------------------------

def test_lab_05_checks_pass_with_the_scoped_names(scoped, client):
    names, databrew, glue = scoped.names, client("databrew"), client("glue")
    role = names.of("dataedu-databrew-role")
    assert role == "l07-dataedu-databrew-role"
    _key_users(client, scoped, role)
    _sis_catalog(client, scoped, names.of("db_raw_sisdemo"))
    for base, table in recipes.DATASETS.items():
        databrew.create_dataset(Name=names.of(base), Input={"DataCatalogInputDefinition": {
            "DatabaseName": names.of("db_raw_sisdemo"), "TableName": table}})

    profile_job = names.of("student-profile-job")
    databrew.create_profile_job(Name=profile_job, DatasetName=names.of("student"), RoleArn=_arn(role),
                                OutputLocation={"Bucket": names.buckets["results"], "Key": "databrew/profiles/"})
    assert _run_databrew(databrew, profile_job)["State"] == "SUCCEEDED"

    recipe = names.of(recipes.RECIPE_NAME)
    databrew.create_project(Name=names.of("student-ext-2-project"), DatasetName=names.of("student"),
                            RecipeName=recipe, RoleArn=_arn(role))
    databrew.update_recipe(Name=recipe, Steps=recipes.student_ext_2(names=names))   # JOINs name l07-department ...
    databrew.publish_recipe(Name=recipe)

    recipe_job = names.of("student-ext-2-recipe-job")
    databrew.create_recipe_job(Name=recipe_job, DatasetName=names.of("student"), RoleArn=_arn(role),
                               RecipeReference={"Name": recipe, "RecipeVersion": "1.0"},
                               Outputs=[{"Location": {"Bucket": names.buckets["curated"], "Key": "sisdemo/student_ext_2/"},
                                         "Format": "PARQUET", "PartitionColumns": PARTITIONS, "Overwrite": True}])
    run = _run_databrew(databrew, recipe_job)
    assert run["State"] == "SUCCEEDED", run.get("ErrorMessage")

    # lab 05's crawler, as its result: the table over the job's output in the scoped curated database
    curated = names.of("db_cur_sisdemo")
    columns = [c for c in recipes.output_columns() if c not in PARTITIONS]
    location = f"s3://{names.buckets['curated']}/sisdemo/student_ext_2/"
    glue.create_database(DatabaseInput={"Name": curated})
    glue.create_table(DatabaseName=curated, TableInput={
        "Name": "student_ext_2", "PartitionKeys": [{"Name": p, "Type": "string"} for p in PARTITIONS],
        "StorageDescriptor": {"Columns": [{"Name": c, "Type": "string"} for c in columns], "Location": location}})
    glue.create_partition(DatabaseName=curated, TableName="student_ext_2", PartitionInput={
        "Values": ["2020-21", "Fall"], "StorageDescriptor": {"Location": location + "x/y/"}})

    results = _results(scoped, "05_databrew")
    assert all(r.passed for r in results.values()), [str(r) for r in results.values()]
    assert "✔ dataset l07-student reads l07_db_raw_sisdemo.student" in results["datasets"].found
    assert "✔ project l07-student-ext-2-project edits recipe l07-student-ext-2 on l07-student" in results["recipe"].found


def test_lab_05_checks_ask_for_the_scoped_names_when_only_the_plain_ones_exist(scoped, client):
    databrew, glue = client("databrew"), client("glue")
    _sis_catalog(client, scoped, "db_raw_sisdemo")                       # another learner's lab 03 ...
    for name, table in recipes.DATASETS.items():                          # ... and lab 05
        databrew.create_dataset(Name=name, Input={"DataCatalogInputDefinition": {
            "DatabaseName": "db_raw_sisdemo", "TableName": table}})
    client("iam").create_role(RoleName="dataedu-databrew-role", AssumeRolePolicyDocument="{}")
    databrew.create_profile_job(Name="student-profile-job", DatasetName="student", RoleArn=_arn("dataedu-databrew-role"),
                                OutputLocation={"Bucket": scoped.names.buckets["results"], "Key": "databrew/"})
    databrew.create_project(Name="student-ext-2-project", DatasetName="student", RecipeName="student-ext-2",
                            RoleArn=_arn("dataedu-databrew-role"))
    databrew.update_recipe(Name="student-ext-2", Steps=recipes.student_ext_2())
    databrew.publish_recipe(Name="student-ext-2")
    databrew.create_recipe_job(Name="student-ext-2-recipe-job", DatasetName="student",
                               RoleArn=_arn("dataedu-databrew-role"),
                               RecipeReference={"Name": "student-ext-2", "RecipeVersion": "1.0"},
                               Outputs=[{"Location": {"Bucket": scoped.names.buckets["curated"],
                                                      "Key": "sisdemo/student_ext_2/"}, "Format": "PARQUET"}])
    glue.create_database(DatabaseInput={"Name": "db_cur_sisdemo"})
    glue.create_table(DatabaseName="db_cur_sisdemo", TableInput={"Name": "student_ext_2", "StorageDescriptor": {
        "Columns": [{"Name": "student_id", "Type": "bigint"}]}})

    results = _results(scoped, "05_databrew")
    for r in results.values():
        assert not r.passed and r.points == 0, str(r)
    assert "✘ dataset l07-student is missing" in results["datasets"].found
    assert results["datasets"].hint == "Create the dataset l07-student on the Data Catalog table l07_db_raw_sisdemo.student."
    assert results["profile_job"].found == ["✘ no profile job l07-student-profile-job"]
    assert results["recipe"].found == ["✘ no project l07-student-ext-2-project",
                                       "✘ recipe l07-student-ext-2 has no published version"]
    assert results["recipe_job"].found == ["✘ no recipe job l07-student-ext-2-recipe-job"]
    assert results["curated_table"].found == ["✘ no table l07_db_cur_sisdemo.student_ext_2"]
    assert "into l07_db_cur_sisdemo (step 7)" in results["curated_table"].hint


# -- lab 06: Redshift -------------------------------------------------------------------------------

def _sql(client, workgroup: str, statement: str) -> dict:
    rd = client("redshift-data")
    sid = rd.execute_statement(WorkgroupName=workgroup, Database="dev", Sql=statement)["Id"]
    for _ in range(1200):
        d = rd.describe_statement(Id=sid)
        if d["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            return d
        time.sleep(0.05)
    raise AssertionError(f"{statement} did not finish")


def _warehouse(client, ws, namespace: str, workgroup: str, role: str) -> None:
    """Lab 06's step 1: the role (lake access, no KMS), a namespace with it and an AVAILABLE workgroup."""
    iam, rs = client("iam"), client("redshift-serverless")
    buckets = ws.names.buckets.values()
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]}}]}))
    iam.put_role_policy(RoleName=role, PolicyName="lake-access", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
             "Resource": [f"arn:aws:s3:::{b}" for b in buckets] + [f"arn:aws:s3:::{b}/*" for b in buckets]},
            {"Effect": "Allow", "Action": ["glue:Get*", "glue:BatchGet*"], "Resource": "*"}]}))
    rs.create_namespace(namespaceName=namespace, dbName="dev", adminUsername="awsuser", manageAdminPassword=True,
                        iamRoles=[_arn(role)], defaultIamRoleArn=_arn(role))
    rs.create_workgroup(workgroupName=workgroup, namespaceName=namespace, baseCapacity=8)
    for _ in range(200):
        if rs.get_workgroup(workgroupName=workgroup)["workgroup"]["status"] == "AVAILABLE":
            return
        time.sleep(0.05)
    raise AssertionError(f"{workgroup} is not AVAILABLE")


def _catalogs(client, ws, sis_db: str, lms_db: str) -> None:
    _sis_catalog(client, ws, sis_db)
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": lms_db})
    for table in LMS_TABLES:   # the check counts them; no query reads them
        glue.create_table(DatabaseName=lms_db, TableInput={"Name": table, "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "string"}],
            "Location": f"s3://{ws.names.buckets['raw']}/lmsapi/{table}/"}})


def _external_schemas(client, workgroup: str, role: str, sis_db: str, lms_db: str) -> None:
    for schema, database in (("sisraw", sis_db), ("lmsraw", lms_db)):
        d = _sql(client, workgroup, f"CREATE EXTERNAL SCHEMA IF NOT EXISTS {schema} FROM DATA CATALOG "
                                    f"DATABASE '{database}' IAM_ROLE '{_arn(role)}'")
        assert d["Status"] == "FINISHED", d.get("Error")


def test_lab_06_checks_pass_with_the_scoped_names_and_not_on_the_plain_databases(scoped, client):
    names = scoped.names
    role, workgroup = names.of("RedshiftServerlessImmersionRole"), names.of("dataedu-wg")
    assert (role, workgroup) == ("l07-RedshiftServerlessImmersionRole", "l07-dataedu-wg")
    _warehouse(client, scoped, names.of("dataedu-ns"), workgroup, role)
    _catalogs(client, scoped, "db_raw_sisdemo", "db_raw_lmsdemo")                     # another learner's catalog
    _catalogs(client, scoped, names.of("db_raw_sisdemo"), names.of("db_raw_lmsdemo"))  # this learner's

    # the learner's workgroup, but external schemas on the plain databases: not this workspace's catalog
    _external_schemas(client, workgroup, role, "db_raw_sisdemo", "db_raw_lmsdemo")
    wrong = scoped.run_check("06_redshift", "external_schemas", record=False)
    assert not wrong.passed and "✘ external schema sisraw is missing" in wrong.found
    assert wrong.hint.startswith("CREATE EXTERNAL SCHEMA sisraw FROM DATA CATALOG DATABASE 'l07_db_raw_sisdemo'")
    for schema in ("sisraw", "lmsraw"):
        assert _sql(client, workgroup, f"DROP SCHEMA {schema}")["Status"] == "FINISHED"

    _external_schemas(client, workgroup, role, names.of("db_raw_sisdemo"), names.of("db_raw_lmsdemo"))
    denied = scoped.run_check("06_redshift", "spectrum_access", record=False)
    assert not denied.passed
    assert denied.found[0] == "✘ l07-RedshiftServerlessImmersionRole is not a key user of l07-dataedu-key"
    assert denied.hint.startswith("Add l07-RedshiftServerlessImmersionRole to the key users of l07-dataedu-key")
    _key_users(client, scoped, role)

    results = {c: scoped.run_check("06_redshift", c, record=False)
               for c in ("workgroup", "external_schemas", "spectrum_access")}
    assert all(r.passed for r in results.values()), [str(r) for r in results.values()]
    assert results["workgroup"].found == ["✔ namespace l07-dataedu-ns with database dev",
                                          "✔ l07-RedshiftServerlessImmersionRole is associated with the namespace",
                                          "✔ workgroup l07-dataedu-wg is AVAILABLE"]
    assert "✔ external schema sisraw on l07_db_raw_sisdemo" in results["external_schemas"].found


def test_lab_06_checks_ask_for_the_scoped_names_when_only_the_plain_ones_exist(scoped, client):
    _warehouse(client, scoped, "dataedu-ns", "dataedu-wg", "RedshiftServerlessImmersionRole")   # another learner's
    results = _results(scoped, "06_redshift")
    for check in ("workgroup", "external_schemas", "spectrum_access", "sis_tables", "late_binding_views", "copy_load"):
        assert not results[check].passed and results[check].points == 0, str(results[check])
    assert results["workgroup"].found == ["✘ no namespace l07-dataedu-ns"]
    assert results["external_schemas"].found == ["✘ no workgroup l07-dataedu-wg"]
    assert results["spectrum_access"].found == ["✘ l07-RedshiftServerlessImmersionRole is not a key user of "
                                                "l07-dataedu-key", "✘ no workgroup l07-dataedu-wg"]


# -- lab 07: SageMaker ------------------------------------------------------------------------------

def _train(client, ws, name: str, role: str, X, y) -> dict:
    s3, sm, bucket = client("s3"), client("sagemaker"), ws.names.buckets["curated"]
    s3.put_object(Bucket=bucket, Key="ml/at-risk/train/train.csv", Body=csv_rows(X[:400], y[:400]))
    s3.put_object(Bucket=bucket, Key="ml/at-risk/validation/validation.csv", Body=csv_rows(X[400:500], y[400:500]))
    channels = [{"ChannelName": c, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/ml/at-risk/{c}/"}}} for c in ("train", "validation")]
    sm.create_training_job(
        TrainingJobName=name, RoleArn=_arn(role), InputDataConfig=channels,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/ml/at-risk/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters={"objective": "binary:logistic", "eval_metric": "auc", "num_round": "30", "max_depth": "3"})
    job = wait_training(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    return job


def test_lab_07_checks_pass_with_the_scoped_names_and_ignore_a_classmates_endpoint(scoped, client):
    names, s3, sm, logs = scoped.names, client("s3"), client("sagemaker"), client("logs")
    bucket, role = names.buckets["curated"], names.of("dataedu-sagemaker-role")
    assert role == "l07-dataedu-sagemaker-role"
    _key_users(client, scoped, role)
    X, y = signal_data(n=700)
    job = _train(client, scoped, names.of("at-risk-xgboost") + "-1", role, X, y)
    assert scoped.run_check("07_sagemaker", "training_job", record=False).passed

    # a classmate deployed at-risk-xgboost and deleted it: its log group is no deployment of this learner's
    logs.create_log_group(logGroupName="/aws/sagemaker/Endpoints/at-risk-xgboost")
    assert not scoped.run_check("07_sagemaker", "endpoint", record=False).passed
    assert not scoped.run_check("07_sagemaker", "endpoint_deleted", record=False).passed

    model, endpoint = names.of("at-risk-model"), names.of("at-risk-xgboost")
    sm.create_model(ModelName=model, ExecutionRoleArn=_arn(role),
                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    sm.create_endpoint_config(EndpointConfigName=endpoint, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)
    assert wait_endpoint(sm, endpoint)["EndpointStatus"] == "InService"
    deployed = scoped.run_check("07_sagemaker", "endpoint", record=False)
    assert deployed.passed and "✔ endpoint l07-at-risk-xgboost is InService" in deployed.found

    s3.put_object(Bucket=bucket, Key="ml/at-risk/test/test.csv", Body=csv_rows(X[500:]))
    sm.create_transform_job(
        TransformJobName=names.of("at-risk-batch"), ModelName=model,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{bucket}/ml/at-risk/test/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/ml/at-risk/batch", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    assert wait_transform(sm, names.of("at-risk-batch"))["TransformJobStatus"] == "Completed"

    sm.delete_endpoint(EndpointName=endpoint)
    sm.delete_endpoint_config(EndpointConfigName=endpoint)
    results = _results(scoped, "07_sagemaker")
    assert all(r.passed and r.points == r.max_points for r in results.values()), [str(r) for r in results.values()]
    assert "✔ runs as l07-dataedu-sagemaker-role" in results["training_job"].found
    assert results["endpoint"].found == ["✔ endpoint l07-at-risk-xgboost served a model and has been deleted since "
                                         "(step 9)"]


def test_lab_07_checks_ask_for_the_scoped_names_when_only_the_plain_ones_exist(scoped, client):
    role = scoped.names.of("dataedu-sagemaker-role")
    _key_users(client, scoped, role)
    X, y = signal_data(n=700)
    _train(client, scoped, "at-risk-xgboost-1", role, X, y)   # the workshop's plain name: not this workspace's
    results = _results(scoped, "07_sagemaker")
    assert results["training_set"].passed                     # S3 keys inside the learner's bucket need no scope
    training = results["training_job"]
    assert not training.passed and training.found == ["✘ no training job named l07-at-risk-..."]
    assert training.hint == "Train with the Estimator in step 4 (base_job_name='l07-at-risk-xgboost')."
    for check in ("endpoint", "batch_predictions", "endpoint_deleted"):
        assert not results[check].passed and results[check].points == 0, str(results[check])
