"""Script mode through the SageMaker Python SDK's SKLearn estimator: the learner's script trains and serves."""
from __future__ import annotations

import contextlib
import io
import json
import textwrap

import numpy as np
import pytest

from .support import BUCKET, ROLE_ARN, csv_rows, setup_account, signal_data, wait_training

TRAIN_PY = '''
import argparse
import json
import os

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
    parser.add_argument("--train", default=os.environ["SM_CHANNEL_TRAIN"])
    args = parser.parse_args()
    data = np.loadtxt(os.path.join(args.train, "train.csv"), delimiter=",")
    y, X = data[:, 0], data[:, 1:]
    if args.C <= 0:
        raise ValueError(f"C must be positive, got {args.C}")
    model = LogisticRegression(C=args.C).fit(X, y)
    print(f"train accuracy: {model.score(X, y):.4f}")
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
    seen = {k: v for k, v in os.environ.items() if k.startswith(("SM_", "AWS_"))}
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "env.json"), "w") as f:
        json.dump(seen, f)
'''


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(textwrap.dedent(TRAIN_PY))
    return str(src)


def _estimator(source, C):
    import sagemaker
    from sagemaker.sklearn.estimator import SKLearn

    return SKLearn(entry_point="train.py", source_dir=source, framework_version="1.2-1", py_version="py3",
                   instance_type="ml.m5.large", instance_count=1, role=ROLE_ARN, hyperparameters={"C": C},
                   output_path=f"s3://{BUCKET}/sklearn", sagemaker_session=sagemaker.Session(),
                   metric_definitions=[{"Name": "train:accuracy", "Regex": r"train accuracy: ([0-9.]+)"}])


def test_sklearn_estimator_runs_the_script_and_deploys_its_model(client, kernel_env, source):
    setup_account(client)
    X, y = signal_data(n=400)
    client("s3").put_object(Bucket=BUCKET, Key="sk/train/train.csv", Body=csv_rows(X[:300], y[:300]))
    from sagemaker.inputs import TrainingInput

    estimator = _estimator(source, C=0.5)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        estimator.fit({"train": TrainingInput(f"s3://{BUCKET}/sk/train/", content_type="text/csv")})
    assert "train accuracy: 0." in printed.getvalue()
    job = estimator.latest_training_job.describe()
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    [metric] = job["FinalMetricDataList"]
    assert metric["MetricName"] == "train:accuracy" and metric["Value"] > 0.8
    # the toolkit's environment, and the role's credentials for the script's own AWS calls
    output = client("s3").get_object(Bucket=BUCKET, Key=f"sklearn/{job['TrainingJobName']}/output/output.tar.gz")
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(output["Body"].read())) as tar:
        env = json.loads(tar.extractfile("env.json").read())
    assert json.loads(env["SM_HPS"]) == {"C": 0.5} and json.loads(env["SM_USER_ARGS"]) == ["--C", "0.5"]
    assert json.loads(env["SM_CHANNELS"]) == ["train"] and env["SM_CURRENT_HOST"] == "algo-1"
    assert env["AWS_SESSION_TOKEN"] and env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    predictor = estimator.deploy(initial_instance_count=1, instance_type="ml.m5.large")
    predicted = predictor.predict(X[300:])              # NumpySerializer / NumpyDeserializer: application/x-npy
    assert predicted.shape == (100,) and (predicted == y[300:]).mean() > 0.8
    predictor.delete_endpoint()
    assert kernel_env == []


def test_a_script_that_raises_fails_the_job_with_the_toolkits_error(client, kernel_env, source):
    setup_account(client)
    X, y = signal_data(n=100)
    client("s3").put_object(Bucket=BUCKET, Key="sk/train/train.csv", Body=csv_rows(X, y))
    from sagemaker.inputs import TrainingInput

    estimator = _estimator(source, C=-1)
    estimator.fit({"train": TrainingInput(f"s3://{BUCKET}/sk/train/", content_type="text/csv")}, wait=False)
    job = wait_training(client("sagemaker"), estimator.latest_training_job.name)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("AlgorithmError: ExecuteUserScriptError:\nExitCode 1\n")
    assert 'ErrorMessage "ValueError: C must be positive, got -1.0"' in job["FailureReason"]
    assert 'Command "python train.py --C -1", exit code: 1' in job["FailureReason"]
