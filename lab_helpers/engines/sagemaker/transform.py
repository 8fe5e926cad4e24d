"""transform: batch transform jobs that run the model over S3 data and write ``<input>.out`` files.

CreateTransformJob is stored by moto (which marks it Completed at once); here the job runs on
``ctx.jobs("sagemaker")``: the model is fetched and loaded as for an endpoint (in batch mode, so
XGBoost answers one prediction per line), the input objects are read as the model's execution role,
split into records (SplitType), packed into mini-batches (BatchStrategy, MaxPayloadInMB), filtered
and joined (DataProcessing: InputFilter, JoinSource, OutputFilter with JSONPath on CSV records), and
each input object's answers are assembled (AssembleWith) into ``<S3OutputPath>/<relative key>.out``.
Logs go to ``/aws/sagemaker/TransformJobs``, stream ``<job>/i-<id>-<epoch>``.

LIMITATIONS: one instance, one request at a time (MaxConcurrentTransforms is recorded); the
JSONPath filters support ``$``, ``$[i]``, ``$[i:j]`` and ``$[i,j,...]`` on CSV records only; JSON
and RecordIO splitting are not emulated; output KmsKeyId is not applied (bucket default).
"""
from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field

from ...endpoint.registry import EngineError, EngineResponse
from ..platform.acting import RoleNotAssumable
from ..platform.jobs import Job
from ..ports import StoreError
from .api import TRAINING_WORKERS, list_filters, moto_json, page
from .channels import ChannelError, objects, split_s3
from .models import ModelUnavailable, ServingProcess, fetch, spec_from_description
from .state import engine_state
from .streamlog import StreamLog

LOG_GROUP = "/aws/sagemaker/TransformJobs"
_FILTER = re.compile(r"^\$(?:\[(?P<body>[-0-9:, ]*)\])?$")


class TransformFailed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class TransformRun:
    name: str
    region: str
    spec: dict
    created: float = field(default_factory=time.time)
    status: str = "InProgress"
    failure_reason: str = ""
    start: float | None = None
    end: float | None = None
    modified: float = field(default_factory=time.time)
    job: Job | None = None
    stream: str = ""

    def __post_init__(self):
        self.stream = f"{self.name}/i-{uuid.uuid4().hex[:17]}-{int(self.created)}"

    def finish(self, status: str, reason: str = "") -> None:
        if self.status in ("Completed", "Failed", "Stopped"):
            return
        self.status, self.failure_reason = status, reason
        self.end = self.modified = time.time()

    def view(self, moto_view: dict) -> dict:
        out = dict(moto_view)
        out.update({"TransformJobStatus": self.status, "LastModifiedTime": self.modified,
                    "CreationTime": self.created})
        for key in ("FailureReason", "TransformStartTime", "TransformEndTime"):
            out.pop(key, None)
        if self.start:
            out["TransformStartTime"] = self.start
        if self.end:
            out["TransformEndTime"] = self.end
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        return out


def json_filter(expression: str | None, values: list[str]) -> list[str]:
    """A JSONPath filter (the subset SageMaker's CSV examples use) applied to one CSV record."""
    if not expression or expression == "$":
        return values
    m = _FILTER.match(expression.strip())
    if not m or not m.group("body"):
        raise TransformFailed(f"ClientError: JSONPath filter '{expression}' is not emulated by the local target "
                              "(it supports $, $[i], $[i:j] and $[i,j,...] on CSV records).")
    body = m.group("body").replace(" ", "")
    try:
        if ":" in body:
            start, _, stop = body.partition(":")
            return values[int(start) if start else None:int(stop) if stop else None]
        return [values[int(i)] for i in body.split(",")]
    except (ValueError, IndexError):
        raise TransformFailed(f"ClientError: JSONPath filter '{expression}' does not fit a record of "
                              f"{len(values)} fields.") from None


def _records(data: bytes, split: str) -> list[bytes]:
    if split in (None, "", "None"):
        return [data]
    if split == "Line":
        return [line for line in data.split(b"\n") if line.strip()]
    raise TransformFailed(f"ClientError: SplitType {split} is not emulated by the local target (None and Line are).")


def _batches(records: list[bytes], strategy: str, max_bytes: int) -> list[list[bytes]]:
    if strategy != "MultiRecord":
        return [[r] for r in records]
    out, current, size = [], [], 0
    for record in records:
        if current and size + len(record) + 1 > max_bytes:
            out.append(current)
            current, size = [], 0
        current.append(record)
        size += len(record) + 1
    if current:
        out.append(current)
    return out


def _transform_object(run: TransformRun, server: ServingProcess, data: bytes, log: StreamLog) -> bytes:
    spec = run.spec
    source = spec.get("TransformInput") or {}
    processing = spec.get("DataProcessing") or {}
    accept = (spec.get("TransformOutput") or {}).get("Accept")
    assemble = (spec.get("TransformOutput") or {}).get("AssembleWith") or "None"
    max_bytes = int(spec.get("MaxPayloadInMB") or 6) * 1024 * 1024
    in_filter, out_filter = processing.get("InputFilter"), processing.get("OutputFilter")
    join = processing.get("JoinSource") or "None"
    records = _records(data, source.get("SplitType") or "None")
    outputs: list[bytes] = []
    for batch in _batches(records, spec.get("BatchStrategy") or "MultiRecord", max_bytes):
        payload = b"\n".join(",".join(json_filter(in_filter, r.decode().split(","))).encode() if in_filter else r
                             for r in batch)
        if len(payload) > max_bytes:
            raise TransformFailed(f"ClientError: Too much data for max payload size: a mini-batch is "
                                  f"{len(payload):,} bytes, MaxPayloadInMB allows {max_bytes:,}.")
        status, _, body = server.invoke(payload, source.get("ContentType"), accept)
        if status != 200:
            log.write(f"Bad HTTP status received from algorithm: {status}", body.decode("utf-8", "replace"))
            raise TransformFailed("ClientError: See job logs for more information")
        answers = [a for a in body.split(b"\n") if a.strip()] if assemble == "Line" or join == "Input" else [body]
        if join == "Input" or out_filter:
            if len(answers) != len(batch):
                raise TransformFailed("ClientError: The model answered a different number of records than it was sent.")
            rows = []
            for record, answer in zip(batch, answers):
                fields = (record.decode().split(",") if join == "Input" else []) + answer.decode().split(",")
                rows.append(",".join(json_filter(out_filter, fields)).encode())
            answers = rows
        outputs.extend(answers)
    if assemble == "Line":
        return b"".join(a.rstrip(b"\n") + b"\n" for a in outputs)
    return b"".join(outputs)


def execute(ctx, request, run: TransformRun, job: Job) -> None:
    """The job's work: every outcome ends in a final status; the log is complete before it does."""
    workdir = os.path.join(ctx.home, "sagemaker", "transform", f"{run.name}-{uuid.uuid4().hex[:8]}")
    log = StreamLog(ctx.logs(run.region), LOG_GROUP, run.stream)
    server = None
    outcome = ("Completed", "")
    run.start = time.time()
    try:
        desc = moto_json(ctx, request, "DescribeModel", {"ModelName": run.spec.get("ModelName", "")})
        spec = spec_from_description(desc)
        model_dir = fetch(ctx, spec, run.region, os.path.join(workdir, "model"))
        server = ServingProcess(spec, model_dir, log.line, batch=True)
        job.on_cancel(server.close)
        server.start()
        store = ctx.acting_as(spec.role_arn, run.region, "SageMaker").store()
        source = ((run.spec.get("TransformInput") or {}).get("DataSource") or {}).get("S3DataSource") or {}
        out_bucket, out_prefix = split_s3((run.spec.get("TransformOutput") or {}).get("S3OutputPath", ""))
        for bucket, key, relative in objects(store, source.get("S3Uri", ""), source.get("S3DataType", "S3Prefix"),
                                             run.region, spec.role_arn):
            job.check_cancelled()
            result = _transform_object(run, server, store.get_object(bucket, key), log)
            out_key = "/".join(p for p in (out_prefix.strip("/"), relative + ".out") if p)
            store.put_object(out_bucket, out_key, result)
    except (TransformFailed, ChannelError, ModelUnavailable) as exc:
        outcome = ("Failed", exc.reason)
    except (StoreError, RoleNotAssumable) as exc:
        outcome = ("Failed", f"ClientError: {getattr(exc, 'code', 'AccessDenied')}: {exc}")
    except EngineError as exc:
        outcome = ("Failed", f"ClientError: {exc.message}")
    except Exception as exc:
        outcome = ("Failed", f"InternalServerError: the local transform engine failed: {type(exc).__name__}: {exc}")
    finally:
        if server is not None:
            server.close()
        log.flush()
        shutil.rmtree(workdir, ignore_errors=True)
    run.finish(*(("Stopped", "") if job.cancelled else outcome))


# -- handlers -------------------------------------------------------------------------------------

def create_transform_job(request, ctx):
    params = request.json()
    name = params.get("TransformJobName", "")
    if ctx.call_moto(request, "DescribeTransformJob", {"TransformJobName": name}).ok:
        arn = f"arn:aws:sagemaker:{request.region}:{request.account_id}:transform-job/{name}"
        raise EngineError("ResourceInUse", f"Job name must be unique within an AWS account and region, and a job "
                          f"with this name already exists ({arn})", 400)
    moto_json(ctx, request, "DescribeModel", {"ModelName": params.get("ModelName", "")})   # AWS checks it exists
    created = moto_json(ctx, request)
    run = TransformRun(name, request.region, params)
    state = engine_state(ctx)
    with state.lock:
        state.transforms[(request.region, name)] = run
    run.job = ctx.jobs("sagemaker", workers=TRAINING_WORKERS).submit(
        lambda job: execute(ctx, request, run, job), kind="transform", job_id=f"transform:{request.region}:{name}")
    return EngineResponse.json(created)


def describe_transform_job(request, ctx):
    body = moto_json(ctx, request)
    run = engine_state(ctx).transforms.get((request.region, body.get("TransformJobName", "")))
    return EngineResponse.json(run.view(body) if run else body)


def list_transform_jobs(request, ctx):
    params = request.json()
    filters = list_filters(params)
    runs = engine_state(ctx).transforms
    items = []
    for summary in moto_json(ctx, request, "ListTransformJobs", filters).get("TransformJobSummaries") or []:
        run = runs.get((request.region, summary["TransformJobName"]))
        if run is not None:
            summary = {**summary, "TransformJobStatus": run.status, "LastModifiedTime": run.modified}
            summary.pop("TransformEndTime", None)
            if run.end:
                summary["TransformEndTime"] = run.end
            if run.failure_reason:
                summary["FailureReason"] = run.failure_reason
        items.append(summary)
    if params.get("StatusEquals"):
        items = [i for i in items if i.get("TransformJobStatus") == params["StatusEquals"]]
    return EngineResponse.json(page(items, params, "TransformJobSummaries",
                                    {"Name": "TransformJobName", "CreationTime": "CreationTime",
                                     "Status": "TransformJobStatus"}))


def stop_transform_job(request, ctx):
    name = request.json().get("TransformJobName", "")
    run = engine_state(ctx).transforms.get((request.region, name))
    if run is None:
        moto_json(ctx, request, "DescribeTransformJob", {"TransformJobName": name})
        raise EngineError("ValidationException", f"The transform job {name} is not running.", 400)
    if run.status != "InProgress":
        raise EngineError("ValidationException", f"The request was rejected because the transform job is in status "
                          f"{run.status}.", 400)
    run.status, run.modified = "Stopping", time.time()
    ctx.jobs("sagemaker", workers=TRAINING_WORKERS).cancel(run.job.id)
    if run.job.started is None:     # still waiting for a free slot: it never runs
        run.finish("Stopped")
    return EngineResponse.json({})
