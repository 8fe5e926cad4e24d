"""Helpers for the SageMaker engine tests: data with a known signal, roles, channels, waiting."""
from __future__ import annotations

import io
import json
import tarfile
import time

import numpy as np

ACCOUNT = "123456789012"
BUCKET = "sm-lab-data"
ROLE = "sm-exec-role"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def signal_data(n: int = 600, features: int = 5, seed: int = 7, shuffle_labels: bool = False):
    """(X, y): y depends on the first two features (plus noise); optionally with the labels shuffled."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, features))
    y = ((X[:, 0] + 0.7 * X[:, 1] + rng.normal(0, 0.3, n)) > 0).astype(int)
    if shuffle_labels:
        y = rng.permutation(y)
    return X, y


def csv_rows(X, y=None, header: str | None = None) -> bytes:
    lines = [header] if header else []
    for i, row in enumerate(X):
        values = [f"{v:.6f}" for v in row]
        lines.append(",".join(([str(int(y[i]))] if y is not None else []) + values))
    return ("\n".join(lines) + "\n").encode()


def libsvm_rows(X, y) -> bytes:
    return ("\n".join(f"{int(label)} " + " ".join(f"{j}:{v:.6f}" for j, v in enumerate(row))
                      for label, row in zip(y, X)) + "\n").encode()


def setup_account(client, bucket: str = BUCKET, role: str = ROLE) -> None:
    client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    client("s3").create_bucket(Bucket=bucket)


def channel(name: str, prefix: str, content_type: str | None = "text/csv", bucket: str = BUCKET) -> dict:
    out = {"ChannelName": name, "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}", "S3DataDistributionType": "FullyReplicated"}}}
    if content_type:
        out["ContentType"] = content_type
    return out


def put_split(client, X, y, prefix: str = "data", bucket: str = BUCKET, split: int | None = None, **kwargs) -> None:
    """train/ and validation/ CSV files under ``prefix``."""
    s3 = client("s3")
    split = split or int(len(y) * 0.75)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/train/train.csv", Body=csv_rows(X[:split], y[:split], **kwargs))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/validation/validation.csv",
                  Body=csv_rows(X[split:], y[split:], **kwargs))


def create_job(sm, name: str, prefix: str = "data", hyperparameters: dict | None = None, channels=None,
               image: str = IMAGE, role_arn: str = ROLE_ARN, max_runtime: int = 600, bucket: str = BUCKET) -> dict:
    return sm.create_training_job(
        TrainingJobName=name, AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        RoleArn=role_arn,
        InputDataConfig=channels if channels is not None else [channel("train", f"{prefix}/train/", bucket=bucket),
                                                              channel("validation", f"{prefix}/validation/", bucket=bucket)],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": max_runtime},
        HyperParameters=hyperparameters if hyperparameters is not None else
        {"num_round": "30", "objective": "binary:logistic", "eval_metric": "auc", "max_depth": "3"})


def wait_training(sm, name: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desc = sm.describe_training_job(TrainingJobName=name)
        if desc["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return desc
        time.sleep(0.1)
    raise AssertionError(f"training job {name} did not finish: {desc['TrainingJobStatus']} {desc['SecondaryStatus']}")


def wait_endpoint(sm, name: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desc = sm.describe_endpoint(EndpointName=name)
        if desc["EndpointStatus"] not in ("Creating", "Updating"):
            return desc
        time.sleep(0.1)
    raise AssertionError(f"endpoint {name} is still {desc['EndpointStatus']}")


def wait_transform(sm, name: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desc = sm.describe_transform_job(TransformJobName=name)
        if desc["TransformJobStatus"] in ("Completed", "Failed", "Stopped"):
            return desc
        time.sleep(0.1)
    raise AssertionError(f"transform job {name} did not finish")


def model_file(client, model_uri: str, member: str = "xgboost-model") -> bytes:
    bucket, _, key = model_uri[5:].partition("/")
    body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        return tar.extractfile(member).read()


def auc(labels, scores) -> float:
    """Area under the ROC curve (Mann-Whitney U), ties counted half."""
    labels, scores = np.asarray(labels), np.asarray(scores)
    pos, neg = scores[labels == 1], scores[labels == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def log_lines(client, group: str, prefix: str = "") -> list[str]:
    logs = client("logs")
    try:
        kwargs = {"logStreamNamePrefix": prefix} if prefix else {}
        streams = logs.describe_log_streams(logGroupName=group, **kwargs)["logStreams"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    out = []
    for stream in streams:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"],
                                     startFromHead=True)["events"]
        out += [e["message"] for e in events]
    return out
