"""Checks for lab 07_sagemaker: the training set, the training job, the deployment, batch predictions and
the endpoint's deletion. Read-only SageMaker and S3 calls, so they run on any target."""
from __future__ import annotations

import re

from ..checks import Check, Part, key_name

ML_PREFIX = "ml/at-risk/"
# The workshop's names; a check asks ctx.names.of(...) for the workspace's own (scoped in a shared account).
ROLE = "dataedu-sagemaker-role"
JOB_PREFIX = "at-risk"
JOB_NAME = "at-risk-xgboost"
MIN_AUC = 0.75
ENDPOINT_LOGS = "/aws/sagemaker/Endpoints/"
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def _first_lines(ctx, key: str, count: int = 50) -> list[str]:
    body = ctx.client("s3").get_object(Bucket=ctx.buckets["curated"], Key=key, Range="bytes=0-65535")["Body"].read()
    return body.decode("utf-8", "replace").splitlines()[:count]


def _ours(ctx, name: str) -> bool:
    """Does the resource name carry the workspace's scope? (Always, without a scope: the account is the
    learner's.) In an account shared with a class, other learners' jobs and endpoints are not the learner's."""
    return ctx.names.of(name) == name


def _all(ctx, operation: str, key: str, **params) -> list[dict]:
    """Every item of a SageMaker List* call, page after page (a shared account has more than one page)."""
    pages = ctx.client("sagemaker").get_paginator(operation).paginate(**params)
    return [item for page in pages for item in page.get(key, [])]


def training_set(ctx) -> list[Part]:
    s3, bucket = ctx.client("s3"), ctx.buckets["curated"]
    parts, widths = [], set()
    for channel in ("train", "validation"):
        prefix = f"{ML_PREFIX}{channel}/"
        objects = [o for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
                   if not o["Key"].endswith("/")]
        if not objects:
            parts.append(Part(False, f"no {channel} file under s3://{bucket}/{prefix}",
                              f"Write the {channel} split as CSV to that prefix (step 2).", 2))
            continue
        lines = _first_lines(ctx, objects[0]["Key"])
        fields = [line.split(",") for line in lines if line.strip()]
        header = bool(fields) and not all(_NUMBER.match(v.strip()) or v.strip() == "" for v in fields[0])
        labels_ok = bool(fields) and all(f[0].strip() in ("0", "1", "0.0", "1.0") for f in fields[1 if header else 0:])
        widths |= {len(f) for f in fields}
        parts.append(Part(not header, f"{channel}: " + ("the first line is a header: " + lines[0][:40] if header
                                                        else "no header row"),
                          "Write the CSV without its header (to_csv(..., header=False, index=False)).", 2))
        parts.append(Part(labels_ok and not header, f"{channel}: the first column is "
                          + ("the 0/1 label" if labels_ok else "not a 0/1 label"),
                          "Put at_risk (0 or 1) in the first column, then the numeric features."))
        head = s3.head_object(Bucket=bucket, Key=objects[0]["Key"])
        parts.append(Part(head.get("ServerSideEncryption") == "aws:kms",
                          f"{channel}: encrypted with {head.get('ServerSideEncryption') or 'nothing'}",
                          "Upload without SSE headers so the bucket default (SSE-KMS with "
                          f"{key_name(ctx)}) applies.", 0.5))
    if len(parts) == 6:
        parts.append(Part(len(widths) == 1, f"every row has {sorted(widths)} columns",
                          "train and validation must have the same columns in the same order."))
    return parts


def _training_jobs(ctx, **filters) -> list[dict]:
    """The workspace's training jobs named <JOB_PREFIX>..., the latest first."""
    jobs = _all(ctx, "list_training_jobs", "TrainingJobSummaries", NameContains=ctx.names.of(JOB_PREFIX),
                SortBy="CreationTime", SortOrder="Descending", **filters)
    return [j for j in jobs if _ours(ctx, j["TrainingJobName"])]


def _completed_job(ctx) -> dict | None:
    jobs = _training_jobs(ctx, StatusEquals="Completed")
    return ctx.client("sagemaker").describe_training_job(TrainingJobName=jobs[0]["TrainingJobName"]) if jobs else None


def training_job(ctx) -> list[Part]:
    job = _completed_job(ctx)
    prefix, role = ctx.names.of(JOB_PREFIX), ctx.names.of(ROLE)
    if job is None:
        tried = _training_jobs(ctx)
        found = (f"no completed training job named {prefix}-...; the latest, {tried[0]['TrainingJobName']}, "
                 f"is {tried[0]['TrainingJobStatus']}") if tried else f"no training job named {prefix}-..."
        return [Part(False, found, f"Train with the Estimator in step 4 (base_job_name='{ctx.names.of(JOB_NAME)}').",
                     4)]
    image = job["AlgorithmSpecification"].get("TrainingImage", "")
    channels = {c["ChannelName"]: c for c in job.get("InputDataConfig", [])}
    uris = {n: c["DataSource"]["S3DataSource"]["S3Uri"] for n, c in channels.items()}
    metrics = {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])}
    auc = metrics.get("validation:auc")
    return [
        Part(True, f"training job {job['TrainingJobName']} completed"),
        Part("xgboost" in image.rsplit("/", 1)[-1], f"image {image.rsplit('/', 1)[-1]}",
             "Use the built-in algorithm: sagemaker.image_uris.retrieve('xgboost', region, '1.7-1')."),
        Part(job.get("RoleArn", "").endswith(f"/{role}"), f"runs as {job.get('RoleArn', '').rsplit('/', 1)[-1]}",
             f"Pass role=<the ARN of {role}>."),
        Part(set(uris) == {"train", "validation"} and all(ML_PREFIX in u for u in uris.values())
             and all(c.get("ContentType", "").startswith("text/csv") for c in channels.values()),
             "channels " + ", ".join(f"{n} ({channels[n].get('ContentType', 'no content type')})" for n in sorted(uris)),
             "Give fit() a train and a validation TrainingInput under ml/at-risk/ with content_type='text/csv'."),
        Part(auc is not None and auc >= MIN_AUC, f"validation AUC {auc:.3f}" if auc is not None else
             "no validation:auc metric", f"Set eval_metric='auc'; a model that learns reaches {MIN_AUC} or more."),
    ]


def _deployments(ctx, model_data: str) -> tuple[set[str], list[dict]]:
    """(endpoint configs serving a model of ``model_data``, endpoints using one of them)."""
    sm = ctx.client("sagemaker")
    models = _models_of(ctx, model_data)
    configs = set()
    for summary in _all(ctx, "list_endpoint_configs", "EndpointConfigs"):
        if not _ours(ctx, summary["EndpointConfigName"]):
            continue
        config = sm.describe_endpoint_config(EndpointConfigName=summary["EndpointConfigName"])
        if any(v.get("ModelName") in models for v in config.get("ProductionVariants", [])):
            configs.add(config["EndpointConfigName"])
    endpoints = [sm.describe_endpoint(EndpointName=e["EndpointName"]) for e in _all(ctx, "list_endpoints", "Endpoints")
                 if _ours(ctx, e["EndpointName"])]
    return configs, [e for e in endpoints if e.get("EndpointConfigName") in configs]


def _models_of(ctx, model_data: str) -> set[str]:
    """The workspace's models that serve ``model_data`` (the trained job's artifact)."""
    sm = ctx.client("sagemaker")
    models = set()
    for summary in _all(ctx, "list_models", "Models"):
        if not _ours(ctx, summary["ModelName"]):
            continue
        desc = sm.describe_model(ModelName=summary["ModelName"])
        if (desc.get("PrimaryContainer") or {}).get("ModelDataUrl") == model_data:
            models.add(desc["ModelName"])
    return models


def _served_before(ctx) -> list[str]:
    """Endpoints that served and are gone: their CloudWatch log groups outlive them (on AWS too)."""
    pages = ctx.client("logs").get_paginator("describe_log_groups").paginate(logGroupNamePrefix=ENDPOINT_LOGS)
    names = [g["logGroupName"][len(ENDPOINT_LOGS):] for page in pages for g in page.get("logGroups", [])]
    live = {e["EndpointName"] for e in _all(ctx, "list_endpoints", "Endpoints")}
    return [name for name in names if name not in live and _ours(ctx, name)]


def endpoint(ctx) -> list[Part]:
    job = _completed_job(ctx)
    if job is None:
        return [Part(False, "no trained model yet", "Train the model first (step 4), then deploy() it.", 3)]
    configs, endpoints = _deployments(ctx, job["ModelArtifacts"]["S3ModelArtifacts"])
    if not endpoints:
        gone = _served_before(ctx)
        if gone:
            return [Part(True, f"endpoint {gone[0]} served a model and has been deleted since (step 9)")]
        return [Part(False, f"the model of {job['TrainingJobName']} is not deployed",
                     "Call deploy() on the estimator with a CSVSerializer (step 6).", 3)]
    return [Part(True, f"endpoint configuration {sorted(configs)[0]} serves the trained model")] + [
        Part(ep["EndpointStatus"] == "InService", f"endpoint {ep['EndpointName']} is {ep['EndpointStatus']}"
             + (f": {ep['FailureReason']}" if ep.get("FailureReason") else ""),
             "Wait until it is InService; if it Failed, read FailureReason and deploy again.")
        for ep in endpoints]


def batch_predictions(ctx) -> list[Part]:
    sm, s3 = ctx.client("sagemaker"), ctx.client("s3")
    job = _completed_job(ctx)
    models = _models_of(ctx, job["ModelArtifacts"]["S3ModelArtifacts"]) if job is not None else set()
    runs = [sm.describe_transform_job(TransformJobName=t["TransformJobName"])
            for t in _all(ctx, "list_transform_jobs", "TransformJobSummaries", StatusEquals="Completed",
                          SortBy="CreationTime", SortOrder="Descending") if _ours(ctx, t["TransformJobName"])]
    runs = [r for r in runs if r.get("ModelName") in models]
    if not runs:
        return [Part(False, "no completed batch transform job with the trained model",
                     "Create a transformer from the estimator and transform the test set (step 8).", 3)]
    out = runs[0]["TransformOutput"]["S3OutputPath"]
    bucket, _, prefix = out[5:].partition("/")
    outputs = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
               if o["Key"].endswith(".out")]
    lines = []
    if outputs:
        body = s3.get_object(Bucket=bucket, Key=outputs[0])["Body"].read().decode("utf-8", "replace")
        lines = [line for line in body.splitlines() if line.strip()]
    scores_ok = bool(lines) and all(0.0 <= float(line.split(",")[-1]) <= 1.0 for line in lines
                                    if _NUMBER.match(line.split(",")[-1].strip()))
    return [Part(True, f"transform job {runs[0]['TransformJobName']} completed"),
            Part(bool(outputs), f"{len(outputs)} .out file(s) under {out}", "The job writes <input>.out files there."),
            Part(scores_ok, f"{len(lines)} predictions, one per line, scores between 0 and 1",
                 "Send the test features as text/csv with split_type='Line'.")]


def endpoint_deleted(ctx) -> list[Part]:
    job = _completed_job(ctx)
    if job is None:
        return [Part(False, "no trained model yet", "Train and deploy the model first.", 2)]
    _, endpoints = _deployments(ctx, job["ModelArtifacts"]["S3ModelArtifacts"])
    if not endpoints and not _served_before(ctx):
        return [Part(False, "the model was never deployed", "Deploy it (step 6), use it, then delete the endpoint.", 2)]
    live = [e for e in endpoints if e["EndpointStatus"] not in ("Failed", "Deleting")]
    return [Part(True, "the model was deployed"),
            Part(not live, ("endpoint " + ", ".join(e["EndpointName"] for e in live) + " still running") if live
                 else "no endpoint left running", "predictor.delete_endpoint(): an endpoint bills every hour it is "
                 "InService, whether it serves requests or not.", 2)]


CHECKS = [
    Check("training_set", "label-first, header-less CSV splits in the curated zone", training_set, 10),
    Check("training_job", "a completed built-in XGBoost training job that learns", training_job, 10),
    Check("endpoint", "the trained model deployed to a real-time endpoint", endpoint, 10),
    Check("batch_predictions", "the test set scored by a batch transform job", batch_predictions, 10),
    Check("endpoint_deleted", "the endpoint deleted once you are done", endpoint_deleted, 10),
]
