"""Benchmark: SageMaker training (engine vs the same xgboost.train run directly), invoke latency,
and the SageMaker Python SDK's fit() + deploy() wall time.

Run: .venv/bin/python benchmarks/bench_sagemaker.py [--runs 3] [--invokes 200] [--large-rows 200000]
Everything goes through boto3 (or the SDK) to a fresh in-thread endpoint per measurement.
"""
import argparse
import io
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
logging.getLogger("werkzeug").setLevel(logging.ERROR)
logging.getLogger("labkit").setLevel(logging.ERROR)

import boto3  # noqa: E402
import numpy as np  # noqa: E402

from lab_helpers.endpoint import moto  # noqa: E402
from lab_helpers.endpoint.server import start_in_thread  # noqa: E402

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/bench-sm-role"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
BUCKET = "bench-sagemaker"
PARAMS = {"objective": "binary:logistic", "eval_metric": "auc", "max_depth": 6, "eta": 0.1}


def _session():
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


def _endpoint():
    moto.reset()
    return start_in_thread(Path(tempfile.mkdtemp(prefix="bench-sagemaker-")))


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _data(rows: int, features: int = 20, seed: int = 1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    y = ((X[:, 0] + 0.5 * X[:, 1] - 0.3 * X[:, 2] + rng.normal(0, 0.5, rows)) > 0).astype(int)
    return X, y


def _csv(X, y) -> bytes:
    buf = io.StringIO()
    np.savetxt(buf, np.column_stack([y, X]), delimiter=",", fmt=["%d"] + ["%.6f"] * X.shape[1])
    return buf.getvalue().encode()


def _setup(s, ep):
    s.client("iam", endpoint_url=ep.url).create_role(RoleName="bench-sm-role", AssumeRolePolicyDocument="{}")
    s.client("s3", endpoint_url=ep.url).create_bucket(Bucket=BUCKET)


def _train_job(sm, name: str, rounds: int) -> dict:
    channel = lambda n: {"ChannelName": n, "ContentType": "text/csv", "DataSource": {"S3DataSource": {  # noqa: E731
        "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{n}/"}}}
    sm.create_training_job(
        TrainingJobName=name, RoleArn=ROLE_ARN, AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        InputDataConfig=[channel("train"), channel("validation")], OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        HyperParameters={k: str(v) for k, v in {**PARAMS, "num_round": rounds}.items()})
    while True:
        desc = sm.describe_training_job(TrainingJobName=name)
        if desc["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
            return desc
        time.sleep(0.02)


def training(rows: int, rounds: int, runs: int) -> dict:
    """Wall time of CreateTrainingJob → Completed against xgboost.train on the same data in-process."""
    import xgboost as xgb

    X, y = _data(rows)
    split = int(rows * 0.8)
    engine, direct, phases = [], [], []
    for run in range(runs):
        ep = _endpoint()
        try:
            s = _session()
            _setup(s, ep)
            s3, sm = s.client("s3", endpoint_url=ep.url), s.client("sagemaker", endpoint_url=ep.url)
            s3.put_object(Bucket=BUCKET, Key="train/train.csv", Body=_csv(X[:split], y[:split]))
            s3.put_object(Bucket=BUCKET, Key="validation/validation.csv", Body=_csv(X[split:], y[split:]))
            t0 = time.perf_counter()
            desc = _train_job(sm, f"bench-{run}", rounds)
            engine.append(time.perf_counter() - t0)
            t = {x["Status"]: x for x in desc["SecondaryStatusTransitions"]}
            phases.append((t["Training"]["EndTime"] - t["Training"]["StartTime"]).total_seconds())
        finally:
            ep.stop()
        dtrain, dval = xgb.DMatrix(X[:split], label=y[:split]), xgb.DMatrix(X[split:], label=y[split:])
        t0 = time.perf_counter()
        xgb.train(PARAMS, dtrain, rounds, evals=[(dtrain, "train"), (dval, "validation")], verbose_eval=False)
        direct.append(time.perf_counter() - t0)
    e, d = statistics.median(engine), statistics.median(direct)
    return {"rows": rows, "features": X.shape[1], "rounds": rounds, "runs": runs,
            "engine_s": round(e, 2), "training_phase_s": round(statistics.median(phases), 2),
            "direct_xgboost_train_s": round(d, 3), "ratio": round(e / d, 1), "fixed_overhead_s": round(e - d, 2)}


def invoke(invokes: int, batch_rows: int = 100) -> dict:
    """InvokeEndpoint round trips (1 row, and ``batch_rows`` rows) on an InService endpoint."""
    X, y = _data(2000)
    ep = _endpoint()
    try:
        s = _session()
        _setup(s, ep)
        s3, sm = s.client("s3", endpoint_url=ep.url), s.client("sagemaker", endpoint_url=ep.url)
        rt = s.client("sagemaker-runtime", endpoint_url=ep.url)
        s3.put_object(Bucket=BUCKET, Key="train/train.csv", Body=_csv(X[:1600], y[:1600]))
        s3.put_object(Bucket=BUCKET, Key="validation/validation.csv", Body=_csv(X[1600:], y[1600:]))
        desc = _train_job(sm, "bench-invoke", 50)
        sm.create_model(ModelName="m", ExecutionRoleArn=ROLE_ARN,
                        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": desc["ModelArtifacts"]["S3ModelArtifacts"]})
        sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
        t0 = time.perf_counter()
        sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
        while sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Creating":
            time.sleep(0.02)
        in_service = time.perf_counter() - t0
        one = ",".join(f"{v:.6f}" for v in X[0])
        many = "\n".join(",".join(f"{v:.6f}" for v in row) for row in X[:batch_rows])
        results = {}
        for label, body in (("1 row", one), (f"{batch_rows} rows", many)):
            for _ in range(10):
                rt.invoke_endpoint(EndpointName="e", ContentType="text/csv", Body=body)["Body"].read()
            times = []
            for _ in range(invokes):
                t0 = time.perf_counter()
                rt.invoke_endpoint(EndpointName="e", ContentType="text/csv", Body=body)["Body"].read()
                times.append((time.perf_counter() - t0) * 1000)
            results[label] = {"median_ms": round(statistics.median(times), 1), "p95_ms": round(_percentile(times, 0.95), 1)}
        return {"invokes": invokes, "create_endpoint_to_inservice_s": round(in_service, 2), **results}
    finally:
        ep.stop()


def sdk_fit_deploy(runs: int) -> dict:
    """Estimator.fit() (logs tailed) and deploy() wall times with the SDK unchanged, in the local
    target's environment (its botocore plugin: STS stays local, the SDK's polling sleeps shrink)."""
    import contextlib

    from lab_helpers import config
    from lab_helpers.targets import get_target

    X, y = _data(600, features=10)
    fits, deploys = [], []
    for run in range(runs):
        ep = _endpoint()
        saved = dict(os.environ)
        try:
            os.environ.update(LABKIT_HOME=tempfile.mkdtemp(prefix="bench-sm-home-"), LABKIT_PORT=str(ep.port))
            os.environ.pop("LABKIT_TARGET", None)
            get_target(config.load()).apply()
            s = boto3.session.Session()
            _setup(s, ep)
            s3 = s.client("s3")
            s3.put_object(Bucket=BUCKET, Key="train/train.csv", Body=_csv(X[:480], y[:480]))
            s3.put_object(Bucket=BUCKET, Key="validation/validation.csv", Body=_csv(X[480:], y[480:]))
            import sagemaker
            from sagemaker.estimator import Estimator
            from sagemaker.inputs import TrainingInput
            from sagemaker.serializers import CSVSerializer

            session = sagemaker.Session(boto_session=boto3.session.Session())
            est = Estimator(image_uri=sagemaker.image_uris.retrieve("xgboost", "us-east-1", "1.7-1"), role=ROLE_ARN,
                            instance_count=1, instance_type="ml.m5.large", output_path=f"s3://{BUCKET}/sdk",
                            sagemaker_session=session)
            est.set_hyperparameters(objective="binary:logistic", num_round=50, eval_metric="auc")
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                est.fit({"train": TrainingInput(f"s3://{BUCKET}/train/", content_type="text/csv"),
                         "validation": TrainingInput(f"s3://{BUCKET}/validation/", content_type="text/csv")})
                fits.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                predictor = est.deploy(1, "ml.m5.large", serializer=CSVSerializer())
                deploys.append(time.perf_counter() - t0)
            predictor.delete_endpoint()
        finally:
            os.environ.clear()
            os.environ.update(saved)
            boto3.DEFAULT_SESSION = None
            ep.stop()
    return {"runs": runs, "fit_s": round(statistics.median(fits), 2), "deploy_s": round(statistics.median(deploys), 2),
            "fit_plus_deploy_s": round(statistics.median([f + d for f, d in zip(fits, deploys)]), 2),
            "all_fit_s": [round(v, 2) for v in fits], "all_deploy_s": [round(v, 2) for v in deploys]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--invokes", type=int, default=200)
    parser.add_argument("--large-rows", type=int, default=200_000)
    args = parser.parse_args()
    out = {"machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
           "training_small": training(600, 50, args.runs),
           "training_large": training(args.large_rows, 200, args.runs),
           "invoke": invoke(args.invokes),
           "sdk": sdk_fit_deploy(args.runs)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
