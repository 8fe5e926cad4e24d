"""sagemaker training jobs through boto3: the built-in XGBoost algorithm really trains, as its role."""
from __future__ import annotations

import io
import json
import os
import re
import time

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from lab_helpers.stack.provision import root_only_key_policy

from .support import (ACCOUNT, BUCKET, IMAGE, ROLE, ROLE_ARN, auc, channel, create_job, csv_rows, libsvm_rows,
                      log_lines, model_file, put_split, setup_account, signal_data, wait_training)


@pytest.fixture
def sm(client):
    setup_account(client)
    return client("sagemaker")


def _worker_processes(job: str) -> list[int]:
    """Live training processes of one job (their cwd is the job's own directory)."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if b"xgboost_worker.py" not in f.read():
                        continue
                with open(f"/proc/{name}/stat", "rb") as f:
                    if f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                        continue
                if f"/training/{job}-" in os.readlink(f"/proc/{name}/cwd"):
                    pids.append(int(name))
            except OSError:
                pass
    return pids


def test_create_training_job_trains_and_reports_statuses_metrics_logs_and_model(client, sm):
    X, y = signal_data()
    put_split(client, X, y)
    arn = create_job(sm, "xgb-signal")["TrainingJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/xgb-signal"
    first = sm.describe_training_job(TrainingJobName="xgb-signal")
    assert first["TrainingJobStatus"] == "InProgress"          # moto alone says Completed at once
    desc = wait_training(sm, "xgb-signal")
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    assert [t["Status"] for t in desc["SecondaryStatusTransitions"]] == \
        ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert desc["SecondaryStatusTransitions"][2]["StatusMessage"] == \
        "Training image download completed. Training in progress."
    metrics = {m["MetricName"]: m["Value"] for m in desc["FinalMetricDataList"]}
    assert set(metrics) == {"train:auc", "validation:auc"} and metrics["validation:auc"] > 0.9
    assert desc["TrainingEndTime"] >= desc["TrainingStartTime"] and desc["BillableTimeInSeconds"] >= 1
    definitions = {d["Name"]: d["Regex"] for d in desc["AlgorithmSpecification"]["MetricDefinitions"]}
    assert set(definitions) == {"train:auc", "validation:auc"}
    # the log stream the SDK tails, with the container's per-round lines the metric regexes read
    logs = client("logs").describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs")["logStreams"]
    assert [s["logStreamName"] for s in logs][0].startswith("xgb-signal/algo-1-")
    lines = log_lines(client, "/aws/sagemaker/TrainingJobs", "xgb-signal/")
    rounds = [line for line in lines if line.startswith("[")  and "#011train-auc:" in line]
    assert len(rounds) == 30 and re.match(definitions["validation:auc"], rounds[-1])
    assert float(re.match(definitions["validation:auc"], rounds[-1]).group(1)) == \
        pytest.approx(metrics["validation:auc"], abs=1e-5)
    assert any("Train matrix has 450 rows and 5 columns" in line for line in lines)
    # model.tar.gz holds xgboost-model, which plain xgboost loads
    assert desc["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{BUCKET}/output/xgb-signal/output/model.tar.gz"
    booster = xgb.Booster()
    booster.load_model(bytearray(model_file(client, desc["ModelArtifacts"]["S3ModelArtifacts"])))
    assert booster.num_boosted_rounds() == 30 and booster.num_features() == 5


def test_the_engine_really_learns_high_auc_on_signal_and_chance_on_shuffled_labels(client, sm):
    X, y = signal_data(n=900)
    Xs, ys = signal_data(n=900, shuffle_labels=True)
    put_split(client, X[:600], y[:600], prefix="signal")
    put_split(client, Xs[:600], ys[:600], prefix="shuffled")
    create_job(sm, "learns-signal", prefix="signal")
    create_job(sm, "learns-shuffled", prefix="shuffled")
    scores = {}
    for name, (Xt, yt) in {"learns-signal": (X[600:], y[600:]), "learns-shuffled": (Xs[600:], ys[600:])}.items():
        desc = wait_training(sm, name)
        assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
        booster = xgb.Booster()
        booster.load_model(bytearray(model_file(client, desc["ModelArtifacts"]["S3ModelArtifacts"])))
        scores[name] = auc(yt, booster.predict(xgb.DMatrix(Xt)))
    assert scores["learns-signal"] > 0.9
    assert abs(scores["learns-shuffled"] - 0.5) < 0.1


def test_a_csv_with_a_header_row_fails_with_the_containers_message(client, sm):
    X, y = signal_data(n=200)
    put_split(client, X, y, header="at_risk,f1,f2,f3,f4,f5")
    create_job(sm, "with-header")
    desc = wait_training(sm, "with-header")
    assert desc["TrainingJobStatus"] == "Failed" and desc["SecondaryStatus"] == "Failed"
    assert desc["FailureReason"] == (
        "ClientError: Non-numeric value 'a' found in the header line 'at_risk,f1,f2,f3,f4,f5...' of file "
        "'train.csv'. CSV format require no header line in it. If header line is already removed, XGBoost does not "
        "accept non-numeric value in the data., exit code: 1")
    assert "ModelArtifacts" in desc and "FinalMetricDataList" not in desc
    assert any("Non-numeric value" in line for line in log_lines(client, "/aws/sagemaker/TrainingJobs"))


def test_a_csv_without_content_type_is_read_as_libsvm_and_fails(client, sm):
    X, y = signal_data(n=200)
    put_split(client, X, y)
    create_job(sm, "no-content-type", channels=[channel("train", "data/train/", content_type=None)])
    desc = wait_training(sm, "no-content-type")
    assert desc["TrainingJobStatus"] == "Failed"
    assert desc["FailureReason"].startswith("ClientError: Blankspace and colon not found in firstline '")
    assert "ContentType by defaullt is in libsvm" in desc["FailureReason"]


def test_libsvm_channels_train(client, sm):
    X, y = signal_data(n=400)
    client("s3").put_object(Bucket=BUCKET, Key="svm/train/part-0", Body=libsvm_rows(X[:300], y[:300]))
    client("s3").put_object(Bucket=BUCKET, Key="svm/validation/part-0", Body=libsvm_rows(X[300:], y[300:]))
    create_job(sm, "libsvm", channels=[channel("train", "svm/train/", "text/libsvm"),
                                       channel("validation", "svm/validation/", "text/x-libsvm")])
    desc = wait_training(sm, "libsvm")
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    assert {m["MetricName"] for m in desc["FinalMetricDataList"]} == {"train:auc", "validation:auc"}


@pytest.mark.parametrize("hyperparameters, reason", [
    ({"objective": "binary:logistic"}, "ClientError: Missing required hyperparameter: num_round, exit code: 1"),
    ({"num_round": "5", "eta": "2"}, "ClientError: Hyperparameter eta: 2.0 is not in [0, 1], exit code: 1"),
    ({"num_round": "5", "depth": "3"}, "ClientError: Extraneous hyperparameter found: depth, exit code: 1"),
    ({"num_round": "five"}, "ClientError: Hyperparameter num_round: could not parse value (caused by ValueError), "
                            "exit code: 1"),
    ({"num_round": "5", "objective": "multi:softprob"},
     "ClientError: Require input for parameter 'num_class' for multi-classification, exit code: 1"),
    ({"num_round": "5", "objective": "reg:squarederror", "eval_metric": "auc"},
     "ClientError: Metric 'auc' can only be applied for classification and ranking problems., exit code: 1"),
])
def test_hyperparameters_are_checked_as_the_container_does(client, sm, hyperparameters, reason):
    X, y = signal_data(n=100)
    put_split(client, X, y)
    create_job(sm, "bad-hp", hyperparameters=hyperparameters)
    desc = wait_training(sm, "bad-hp")
    assert (desc["TrainingJobStatus"], desc["FailureReason"]) == ("Failed", reason)


def test_early_stopping_and_default_metric(client, sm):
    X, y = signal_data(n=500)
    put_split(client, X, y)
    create_job(sm, "early", hyperparameters={"num_round": "500", "objective": "binary:logistic",
                                             "early_stopping_rounds": "5", "eta": "0.5"})
    desc = wait_training(sm, "early")
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    assert {m["MetricName"] for m in desc["FinalMetricDataList"]} == {"train:logloss", "validation:logloss"}
    rounds = [line for line in log_lines(client, "/aws/sagemaker/TrainingJobs") if line.startswith("[")
              and "#011" in line]
    assert 5 < len(rounds) < 500


def test_the_job_reads_its_channels_as_its_role_and_a_role_without_key_rights_is_denied(client, sm):
    kms, s3 = client("kms"), client("s3")
    key = kms.create_key(Policy=json.dumps(root_only_key_policy(ACCOUNT)))["KeyMetadata"]["Arn"]
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})
    X, y = signal_data(n=200)
    put_split(client, X, y)                    # the learner (admin) may use the key
    create_job(sm, "no-key-user")
    desc = wait_training(sm, "no-key-user")
    assert desc["TrainingJobStatus"] == "Failed"
    assert desc["FailureReason"].startswith("ClientError: Data download failed:Failed to download data. AccessDenied (403):")
    assert "kms:Decrypt" in desc["FailureReason"] and ROLE in desc["FailureReason"]
    assert [t["Status"] for t in desc["SecondaryStatusTransitions"]] == ["Starting", "Downloading", "Failed"]
    # make the role a key user (as lab 01 does): the same job definition now trains and uploads
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": [ROLE_ARN]},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"})
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    create_job(sm, "key-user")
    desc = wait_training(sm, "key-user")
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    head = s3.head_object(Bucket=BUCKET, Key="output/key-user/output/model.tar.gz")
    assert head["ServerSideEncryption"] == "aws:kms"


def test_an_empty_channel_fails_the_download(client, sm):
    create_job(sm, "empty", channels=[channel("train", "nothing-here/")])
    desc = wait_training(sm, "empty")
    assert desc["FailureReason"].startswith(
        f'ClientError: Data download failed:No S3 objects found under S3 URL "s3://{BUCKET}/nothing-here/"')


def test_stop_training_job_kills_the_worker(client, sm):
    X, y = signal_data(n=2000, features=20)
    put_split(client, X, y)
    create_job(sm, "long", hyperparameters={"num_round": "100000", "max_depth": "8", "objective": "binary:logistic"})
    deadline = time.monotonic() + 120
    while sm.describe_training_job(TrainingJobName="long")["SecondaryStatus"] != "Training":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    while not _worker_processes("long"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sm.stop_training_job(TrainingJobName="long")
    assert sm.describe_training_job(TrainingJobName="long")["TrainingJobStatus"] in ("Stopping", "Stopped")
    desc = wait_training(sm, "long", timeout=30)
    assert (desc["TrainingJobStatus"], desc["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert "Stopping" in [t["Status"] for t in desc["SecondaryStatusTransitions"]]
    assert _worker_processes("long") == []
    with pytest.raises(ClientError) as err:
        sm.stop_training_job(TrainingJobName="long")
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_max_runtime_stops_the_job(client, sm):
    X, y = signal_data(n=2000, features=20)
    put_split(client, X, y)
    create_job(sm, "too-long", max_runtime=3,
               hyperparameters={"num_round": "100000", "max_depth": "8", "objective": "binary:logistic"})
    desc = wait_training(sm, "too-long", timeout=60)
    assert (desc["TrainingJobStatus"], desc["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")


def test_create_training_job_refuses_what_aws_refuses(client, sm):
    X, y = signal_data(n=100)
    put_split(client, X, y)
    create_job(sm, "twice")
    with pytest.raises(ClientError) as err:
        create_job(sm, "twice")
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    assert "training job with this name already exists" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        create_job(sm, "custom", image="123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own-algorithm:latest")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "LABKIT_TARGET=aws" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        create_job(sm, "ghost-role", role_arn=f"arn:aws:iam::{ACCOUNT}:role/does-not-exist")
    assert err.value.response["Error"]["Message"].startswith("Could not assume role")
    wait_training(sm, "twice")


def test_list_training_jobs_shows_real_statuses_and_filters_by_them(client, sm):
    X, y = signal_data(n=100)
    put_split(client, X, y)
    create_job(sm, "list-ok")
    create_job(sm, "list-bad", hyperparameters={"objective": "binary:logistic"})
    wait_training(sm, "list-ok")
    wait_training(sm, "list-bad")
    by_name = {s["TrainingJobName"]: s["TrainingJobStatus"] for s in sm.list_training_jobs()["TrainingJobSummaries"]}
    assert by_name == {"list-ok": "Completed", "list-bad": "Failed"}
    failed = sm.list_training_jobs(StatusEquals="Failed")["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in failed] == ["list-bad"]
    page = sm.list_training_jobs(MaxResults=1, SortBy="Name", SortOrder="Ascending")
    assert [s["TrainingJobName"] for s in page["TrainingJobSummaries"]] == ["list-bad"] and page["NextToken"]


def test_reset_stops_running_training(client, sm, endpoint):
    from tests.conftest import reset_endpoint

    X, y = signal_data(n=2000, features=20)
    put_split(client, X, y)
    create_job(sm, "reset-me", hyperparameters={"num_round": "100000", "max_depth": "8"})
    deadline = time.monotonic() + 120
    while not _worker_processes("reset-me"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    reset_endpoint(endpoint)
    assert time.monotonic() - started < 30
    assert _worker_processes("reset-me") == []
