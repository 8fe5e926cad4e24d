"""Batch transform through boto3: the model runs over S3 data and writes <input>.out files as the container does."""
from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from tests.conftest import reset_endpoint

from .support import (BUCKET, IMAGE, ROLE_ARN, create_job, csv_rows, log_lines, model_file, put_split, setup_account,
                      signal_data, wait_training, wait_transform)

pytestmark = pytest.mark.shared_account   # one trained model, one transform job per test
X, Y = signal_data(n=600)


@pytest.fixture(scope="module")
def model(endpoint_server, session):
    reset_endpoint(endpoint_server)
    client = lambda service: session.client(service, endpoint_url=endpoint_server.url)  # noqa: E731
    setup_account(client)
    sm, s3 = client("sagemaker"), client("s3")
    put_split(client, X[:450], Y[:450])
    create_job(sm, "tf-model")
    desc = wait_training(sm, "tf-model")
    sm.create_model(ModelName="tf-model", ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": desc["ModelArtifacts"]["S3ModelArtifacts"]})
    s3.put_object(Bucket=BUCKET, Key="batch/features/part-1.csv", Body=csv_rows(X[450:520]))
    s3.put_object(Bucket=BUCKET, Key="batch/features/part-2.csv", Body=csv_rows(X[520:]))
    s3.put_object(Bucket=BUCKET, Key="batch/labelled/test.csv", Body=csv_rows(X[450:], Y[450:]))
    booster = xgb.Booster()
    booster.load_model(bytearray(model_file(client, desc["ModelArtifacts"]["S3ModelArtifacts"])))
    yield booster.predict(xgb.DMatrix(np.round(X[450:], 6)))
    reset_endpoint(endpoint_server)


def transform(sm, name, uri, output, **extra):
    sm.create_transform_job(
        TransformJobName=name, ModelName="tf-model",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": output, "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1}, **extra)
    return wait_transform(sm, name)


def test_batch_transform_writes_one_out_file_per_input_with_one_prediction_per_line(model, client):
    sm, s3 = client("sagemaker"), client("s3")
    desc = transform(sm, "tf-plain", f"s3://{BUCKET}/batch/features/", f"s3://{BUCKET}/predictions/plain/",
                     BatchStrategy="MultiRecord", MaxPayloadInMB=1)
    assert desc["TransformJobStatus"] == "Completed", desc.get("FailureReason")
    assert desc["TransformEndTime"] >= desc["TransformStartTime"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="predictions/plain/")["Contents"])
    assert keys == ["predictions/plain/part-1.csv.out", "predictions/plain/part-2.csv.out"]
    lines = []
    for key in keys:
        text = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        assert text.endswith("\n")
        lines += text.splitlines()
    assert [float(v) for v in lines] == [float(v) for v in model.tolist()]
    assert [s["TransformJobStatus"] for s in sm.list_transform_jobs(NameContains="tf-plain")["TransformJobSummaries"]] \
        == ["Completed"]


def test_filters_drop_the_label_and_join_it_back_to_the_prediction(model, client):
    sm, s3 = client("sagemaker"), client("s3")
    desc = transform(sm, "tf-join", f"s3://{BUCKET}/batch/labelled/test.csv", f"s3://{BUCKET}/predictions/join",
                     BatchStrategy="SingleRecord",
                     DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"})
    assert desc["TransformJobStatus"] == "Completed", desc.get("FailureReason")
    rows = s3.get_object(Bucket=BUCKET, Key="predictions/join/test.csv.out")["Body"].read().decode().splitlines()
    assert [r.split(",")[0] for r in rows] == [str(v) for v in Y[450:]]
    assert [float(r.split(",")[1]) for r in rows] == [float(v) for v in model.tolist()]


def test_a_record_the_container_refuses_fails_the_job_with_its_log(model, client):
    sm = client("sagemaker")
    desc = transform(sm, "tf-label-kept", f"s3://{BUCKET}/batch/labelled/", f"s3://{BUCKET}/predictions/bad/")
    assert (desc["TransformJobStatus"], desc["FailureReason"]) == ("Failed", "ClientError: See job logs for more information")
    lines = log_lines(client, "/aws/sagemaker/TransformJobs", "tf-label-kept/")
    assert "Bad HTTP status received from algorithm: 400" in lines
    assert any("Feature size of csv inference data 6 is not consistent with feature size of trained model 5" in line
               for line in lines)


def test_transform_job_names_are_unique_and_the_model_must_exist(model, client):
    sm = client("sagemaker")
    transform(sm, "tf-once", f"s3://{BUCKET}/batch/features/", f"s3://{BUCKET}/predictions/once/")
    with pytest.raises(ClientError) as err:
        transform(sm, "tf-once", f"s3://{BUCKET}/batch/features/", f"s3://{BUCKET}/predictions/once/")
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    with pytest.raises(ClientError) as err:
        sm.create_transform_job(TransformJobName="tf-no-model", ModelName="no-such-model",
                                TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                                "S3Uri": f"s3://{BUCKET}/x"}}},
                                TransformOutput={"S3OutputPath": f"s3://{BUCKET}/y"},
                                TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    assert "Could not find model" in err.value.response["Error"]["Message"]


def test_an_unsupported_filter_fails_with_a_clear_reason(model, client):
    desc = transform(client("sagemaker"), "tf-jsonpath", f"s3://{BUCKET}/batch/labelled/",
                     f"s3://{BUCKET}/predictions/jp/", DataProcessing={"InputFilter": "$.features"})
    assert desc["TransformJobStatus"] == "Failed"
    assert "JSONPath filter '$.features' is not emulated" in desc["FailureReason"]
