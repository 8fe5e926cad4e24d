"""The SageMaker Python SDK 2.x, unchanged, against the local endpoint: fit, deploy, predict, transform, delete.

The process gets the local target's environment exactly as a lab kernel does (``Target.apply``);
the test code is what a learner writes. Every host the SDK looks up is recorded: nothing may leave
the machine (the SDK's STS regional endpoint and its telemetry included).
"""
from __future__ import annotations

import contextlib
import io
import time

import numpy as np

from lab_helpers.targets.local_clients import FastClock

from .support import BUCKET, ROLE_ARN, auc, csv_rows, setup_account, signal_data


def test_estimator_fit_deploy_predict_transform_and_delete_with_the_sdk_unchanged(client, kernel_env):
    setup_account(client)
    X, y = signal_data(n=800)
    s3 = client("s3")
    s3.put_object(Bucket=BUCKET, Key="sdk/train/train.csv", Body=csv_rows(X[:500], y[:500]))
    s3.put_object(Bucket=BUCKET, Key="sdk/validation/validation.csv", Body=csv_rows(X[500:650], y[500:650]))
    s3.put_object(Bucket=BUCKET, Key="sdk/test/test.csv", Body=csv_rows(X[650:]))
    started = time.monotonic()

    # -- what a learner writes ------------------------------------------------------------------
    import sagemaker
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.serializers import CSVSerializer

    session = sagemaker.Session()
    bucket = session.default_bucket()
    image = sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
    xgb = Estimator(image_uri=image, role=ROLE_ARN, instance_count=1, instance_type="ml.m5.large",
                    output_path=f"s3://{bucket}/xgboost/output", sagemaker_session=session)
    xgb.set_hyperparameters(objective="binary:logistic", num_round=40, max_depth=3, eval_metric="auc")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        xgb.fit({"train": TrainingInput(f"s3://{BUCKET}/sdk/train/", content_type="text/csv"),
                 "validation": TrainingInput(f"s3://{BUCKET}/sdk/validation/", content_type="text/csv")})
    fitted = time.monotonic()
    predictor = xgb.deploy(initial_instance_count=1, instance_type="ml.m5.large", serializer=CSVSerializer())
    deployed = time.monotonic()
    scores = np.array(predictor.predict(X[650:700]).decode().split(","), dtype=float)
    transformer = xgb.transformer(instance_count=1, instance_type="ml.m5.large",
                                  output_path=f"s3://{bucket}/xgboost/batch")
    transformer.transform(f"s3://{BUCKET}/sdk/test/", content_type="text/csv", split_type="Line")
    transformer.wait(logs=False)
    predictor.delete_endpoint()
    # --------------------------------------------------------------------------------------------

    assert bucket == "sagemaker-us-east-1-123456789012"          # from STS, through the local endpoint
    log = printed.getvalue()
    assert "Training - Training image download completed. Training in progress." in log
    assert "[39]#011train-auc:" in log and "Completed - Training job completed" in log
    job = xgb.latest_training_job.describe()
    assert job["TrainingJobStatus"] == "Completed"
    assert xgb.model_data == f"s3://{bucket}/xgboost/output/{job['TrainingJobName']}/output/model.tar.gz"
    assert auc(y[650:700], scores) > 0.9
    batch = s3.get_object(Bucket=bucket, Key="xgboost/batch/test.csv.out")["Body"].read().decode().split()
    assert np.allclose(np.array(batch[:50], dtype=float), scores)
    endpoint_name = predictor.endpoint_name
    assert endpoint_name not in [e["EndpointName"] for e in client("sagemaker").list_endpoints()["Endpoints"]]
    # no 30-second waiter sleeps: the SDK's clock in sagemaker.session skipped them
    assert isinstance(sagemaker.session.time, FastClock) and sagemaker.session.time.skipped >= 30
    assert fitted - started < 60 and deployed - fitted < 30, (fitted - started, deployed - fitted)
    assert kernel_env == []                                      # no STS, telemetry or S3 host outside
