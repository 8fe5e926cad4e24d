"""Lab 07: every check fails on a workspace at the start of the lab and passes once its step is done.

The steps are done here with boto3 on a provisioned workspace (what the lab's SDK calls send), so
each check is tested on its own: the full notebook runs under nbval and catch-up.
"""
from __future__ import annotations

import json

from tests.engines.sagemaker.support import csv_rows, signal_data, wait_endpoint, wait_training, wait_transform

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/dataedu-sagemaker-role"
LAB = "07_sagemaker"


def _results(workspace):
    return {r.check_id: r for r in workspace.run_lab_checks(LAB, record=False)}


def _make_key_user(client):
    """Lab 01's step: the SageMaker role may use dataedu-key (it reads and writes the curated zone)."""
    kms = client("kms")
    key = kms.describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": [ROLE_ARN]},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"})
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))


def _channel(name, uri):
    return {"ChannelName": name, "ContentType": "text/csv",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}


def test_every_lab_07_check_fails_on_a_workspace_at_the_start_of_the_lab(workspace):
    results = _results(workspace)
    assert set(results) == {"training_set", "training_job", "endpoint", "batch_predictions", "endpoint_deleted"}
    for r in results.values():
        assert not r.passed and r.points == 0, str(r)
        assert r.message.startswith("Not done yet") and r.hint, str(r)
    assert "step 2" in results["training_set"].hint


def test_lab_07_checks_pass_step_by_step(workspace, client):
    _make_key_user(client)
    s3, sm = client("s3"), client("sagemaker")
    bucket = workspace.names.buckets["curated"]
    X, y = signal_data(n=700)

    # step 2, first with a header row: the check says what is wrong
    s3.put_object(Bucket=bucket, Key="ml/at-risk/train/train.csv", Body=csv_rows(X[:400], y[:400], header="at_risk,a,b,c,d,e"))
    s3.put_object(Bucket=bucket, Key="ml/at-risk/validation/validation.csv", Body=csv_rows(X[400:500], y[400:500]))
    result = workspace.run_check(LAB, "training_set", record=False)
    assert not result.passed and 0 < result.points < result.max_points
    assert any(f.startswith("✘ train: the first line is a header: at_risk") for f in result.found), result.found
    s3.put_object(Bucket=bucket, Key="ml/at-risk/train/train.csv", Body=csv_rows(X[:400], y[:400]))
    assert workspace.run_check(LAB, "training_set", record=False).passed

    # step 4: a completed job that learns
    sm.create_training_job(
        TrainingJobName="at-risk-xgboost-1", RoleArn=ROLE_ARN,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        InputDataConfig=[_channel("train", f"s3://{bucket}/ml/at-risk/train/"),
                         _channel("validation", f"s3://{bucket}/ml/at-risk/validation/")],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/ml/at-risk/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters={"objective": "binary:logistic", "eval_metric": "auc", "num_round": "30", "max_depth": "3"})
    job = wait_training(sm, "at-risk-xgboost-1")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert workspace.run_check(LAB, "training_job", record=False).passed
    assert not workspace.run_check(LAB, "endpoint", record=False).passed

    # step 6: deployed; while it runs, endpoint_deleted fails with the cost hint
    model_data = job["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(ModelName="at-risk-model", ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": model_data})
    sm.create_endpoint_config(EndpointConfigName="at-risk-xgboost", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "at-risk-model", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="at-risk-xgboost", EndpointConfigName="at-risk-xgboost")
    assert wait_endpoint(sm, "at-risk-xgboost")["EndpointStatus"] == "InService"
    assert workspace.run_check(LAB, "endpoint", record=False).passed
    running = workspace.run_check(LAB, "endpoint_deleted", record=False)
    assert not running.passed and 0 < running.points < running.max_points
    assert "bills every hour" in running.hint

    # step 8: batch predictions
    assert not workspace.run_check(LAB, "batch_predictions", record=False).passed
    s3.put_object(Bucket=bucket, Key="ml/at-risk/test/test.csv", Body=csv_rows(X[500:]))
    sm.create_transform_job(
        TransformJobName="at-risk-batch", ModelName="at-risk-model",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{bucket}/ml/at-risk/test/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/ml/at-risk/batch", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    assert wait_transform(sm, "at-risk-batch")["TransformJobStatus"] == "Completed"
    assert workspace.run_check(LAB, "batch_predictions", record=False).passed

    # step 9: deleted, and the endpoint check still credits the deployment
    sm.delete_endpoint(EndpointName="at-risk-xgboost")
    sm.delete_endpoint_config(EndpointConfigName="at-risk-xgboost")
    results = _results(workspace)
    assert all(r.passed and r.points == r.max_points for r in results.values()), [str(r) for r in results.values()]


def test_a_failed_job_and_a_weak_model_do_not_pass(workspace, client):
    _make_key_user(client)
    s3, sm = client("s3"), client("sagemaker")
    bucket = workspace.names.buckets["curated"]
    X, y = signal_data(n=300, shuffle_labels=True)          # nothing to learn
    s3.put_object(Bucket=bucket, Key="ml/at-risk/train/train.csv", Body=csv_rows(X[:200], y[:200]))
    s3.put_object(Bucket=bucket, Key="ml/at-risk/validation/validation.csv", Body=csv_rows(X[200:], y[200:]))
    base = dict(RoleArn=ROLE_ARN, AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
                InputDataConfig=[_channel("train", f"s3://{bucket}/ml/at-risk/train/"),
                                 _channel("validation", f"s3://{bucket}/ml/at-risk/validation/")],
                OutputDataConfig={"S3OutputPath": f"s3://{bucket}/ml/at-risk/output"},
                ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
                StoppingCondition={"MaxRuntimeInSeconds": 600})
    sm.create_training_job(TrainingJobName="at-risk-no-rounds", HyperParameters={"objective": "binary:logistic"}, **base)
    wait_training(sm, "at-risk-no-rounds")
    failed = workspace.run_check(LAB, "training_job", record=False)
    assert not failed.passed and "is Failed" in failed.found[0]
    sm.create_training_job(TrainingJobName="at-risk-shuffled", **base,
                           HyperParameters={"objective": "binary:logistic", "eval_metric": "auc", "num_round": "20"})
    wait_training(sm, "at-risk-shuffled")
    weak = workspace.run_check(LAB, "training_job", record=False)
    assert not weak.passed and 0 < weak.points < weak.max_points
    assert any(f.startswith("✘ validation AUC 0.") for f in weak.found), weak.found
