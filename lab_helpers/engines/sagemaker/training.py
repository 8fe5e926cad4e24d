"""training: a training job's life, from InProgress/Starting to Completed, Failed or Stopped.

A job runs on ``ctx.jobs("sagemaker")``. It moves through SageMaker's secondary statuses with their
messages (Starting → Downloading → Training → Uploading → Completed; Failed; Stopping → Stopped;
MaxRuntimeExceeded), downloads its channels as its execution role (``channels``), trains in a
worker process (``xgboost_worker.py`` for the built-in algorithm, ``script_worker.py`` for script
mode, see ``script_mode``), streams the algorithm's output to ``/aws/sagemaker/TrainingJobs`` stream
``<job>/algo-1-<epoch>``, and uploads ``model.tar.gz`` (``xgboost-model`` inside, for XGBoost) to
the ModelArtifacts path as the role. StopTrainingJob and an endpoint reset kill the worker.
"""
from __future__ import annotations

import io
import os
import shutil
import sys
import tarfile
import time
import uuid
from dataclasses import dataclass, field

from ..platform.acting import RoleNotAssumable
from ..platform.jobs import Job
from ..platform.workers import WorkerExited, WorkerProcess, WorkerTimeout
from ..ports import StoreAccessDenied, StoreError
from . import channels as channels_mod
from . import hyperparameters as hp
from . import script_mode
from .images import Image
from .streamlog import StreamLog

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
HERE = os.path.dirname(os.path.abspath(__file__))
XGBOOST_WORKER = os.path.join(HERE, "xgboost_worker.py")
DEFAULT_MAX_RUNTIME_S = 86400
_MESSAGES = {
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Job stopped because max runtime exceeded.",
}


class TrainingFailed(Exception):
    """The job fails; ``reason`` is its FailureReason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class TrainingRun:
    name: str
    region: str
    role_arn: str
    image: Image
    spec: dict                         # the CreateTrainingJob request, as parsed
    model_uri: str                     # moto's ModelArtifacts.S3ModelArtifacts
    created: float = field(default_factory=time.time)
    status: str = "InProgress"
    secondary: str = "Starting"
    transitions: list[dict] = field(default_factory=list)
    failure_reason: str = ""
    training_start: float | None = None
    end: float | None = None
    modified: float = field(default_factory=time.time)
    metrics: list[dict] = field(default_factory=list)
    metric_definitions: list[dict] = field(default_factory=list)
    job: Job | None = None
    stream: str = ""

    def __post_init__(self):
        self.stream = f"{self.name}/algo-1-{int(self.created)}"
        self.transitions.append({"Status": "Starting", "StartTime": self.created,
                                 "StatusMessage": _MESSAGES["Starting"]})

    def move(self, secondary: str, message: str | None = None) -> None:
        now = time.time()
        if self.transitions and "EndTime" not in self.transitions[-1]:
            self.transitions[-1]["EndTime"] = now
        entry = {"Status": secondary, "StartTime": now, "StatusMessage": message or _MESSAGES.get(secondary, "")}
        if secondary in ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded"):
            entry["EndTime"] = now
        self.transitions.append(entry)
        self.secondary, self.modified = secondary, now
        if secondary == "Training":
            self.training_start = now

    def finish(self, status: str, secondary: str, reason: str = "") -> None:
        if self.status in ("Completed", "Failed", "Stopped"):
            return
        self.failure_reason = reason
        self.move(secondary, None if not reason or secondary != "Failed" else _MESSAGES["Failed"])
        self.status, self.end = status, time.time()

    def view(self, moto_view: dict) -> dict:
        """moto's DescribeTrainingJob answer patched with what really happened."""
        out = dict(moto_view)
        out.update({"TrainingJobStatus": self.status, "SecondaryStatus": self.secondary,
                    "SecondaryStatusTransitions": [dict(t) for t in self.transitions],
                    "LastModifiedTime": self.modified, "CreationTime": self.created})
        for key in ("TrainingStartTime", "TrainingEndTime", "FailureReason", "FinalMetricDataList",
                    "TrainingTimeInSeconds", "BillableTimeInSeconds"):
            out.pop(key, None)
        if self.training_start:
            out["TrainingStartTime"] = self.training_start
        if self.end is not None:
            out["TrainingEndTime"] = self.end
            seconds = max(1, int(round(self.end - (self.training_start or self.created))))
            out["TrainingTimeInSeconds"] = out["BillableTimeInSeconds"] = seconds
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        if self.metrics:
            out["FinalMetricDataList"] = [dict(m) for m in self.metrics]
        algorithm = dict(out.get("AlgorithmSpecification") or {})
        algorithm.pop("MetricDefinitions", None)     # moto invents a test:dcg definition
        if self.metric_definitions:
            algorithm["MetricDefinitions"] = self.metric_definitions
        out["AlgorithmSpecification"] = algorithm
        return out

    def summary(self, moto_summary: dict) -> dict:
        out = dict(moto_summary)
        out.update({"TrainingJobStatus": self.status, "SecondaryStatus": self.secondary,
                    "LastModifiedTime": self.modified, "CreationTime": self.created})
        out.pop("TrainingEndTime", None)
        if self.end is not None:
            out["TrainingEndTime"] = self.end
        return out


def worker_env(home: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A worker's whole environment: no AWS credentials or kit settings leak from the endpoint."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8",
           "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    if os.environ.get("SYSTEMROOT"):                    # Windows needs it to start Python at all
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    env.update(extra or {})
    return env


def _model_tarball(model_dir: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for root, _, files in os.walk(model_dir):
            for name in sorted(files):
                path = os.path.join(root, name)
                tar.add(path, arcname=os.path.relpath(path, model_dir))
    return buf.getvalue()


def _final_metrics(history: dict, when: float) -> list[dict]:
    out = []
    for channel, metrics in (history or {}).items():
        for metric, values in metrics.items():
            if values:
                out.append({"MetricName": f"{channel}:{metric}", "Value": float(values[-1]), "Timestamp": when})
    return out


def execute(ctx, run: TrainingRun, job: Job) -> None:
    """The job's work (on the job table): every outcome ends in a final status, never an exception.
    The log is complete before the status is final (the SDK stops tailing once it is)."""
    workdir = os.path.join(ctx.home, "sagemaker", "training", f"{run.name}-{uuid.uuid4().hex[:8]}")
    log = StreamLog(ctx.logs(run.region), LOG_GROUP, run.stream)
    outcome = ("Completed", "Completed", "")
    try:
        _run(ctx, run, job, workdir, log)
    except TrainingFailed as failed:
        if not job.cancelled:
            log.write(f"ERROR: {failed.reason}")
        outcome = ("Stopped", "Stopped", "") if job.cancelled else ("Failed", "Failed", failed.reason)
    except WorkerTimeout:
        log.write("Job stopped because max runtime exceeded.")
        outcome = ("Stopped", "MaxRuntimeExceeded", "")
    except Exception as exc:  # the job must end in a state, whatever broke
        outcome = ("Stopped", "Stopped", "") if job.cancelled else \
            ("Failed", "Failed", f"InternalServerError: the local training engine failed: {type(exc).__name__}: {exc}")
    finally:
        log.flush()
        shutil.rmtree(workdir, ignore_errors=True)
    run.finish(*outcome)


def _run(ctx, run: TrainingRun, job: Job, workdir: str, log: StreamLog) -> None:
    spec = run.spec
    job.check_cancelled()
    run.move("Downloading")
    try:
        store = ctx.acting_as(run.role_arn, run.region, "SageMaker").store()
    except RoleNotAssumable as exc:
        raise TrainingFailed(f"ClientError: {exc}") from None
    channels = {}
    try:
        for config in spec.get("InputDataConfig") or []:
            job.check_cancelled()
            channel = channels_mod.download(store, config, os.path.join(workdir, "input", "data"),
                                            run.region, run.role_arn)
            channels[channel.name] = channel
    except channels_mod.ChannelError as exc:
        raise TrainingFailed(exc.reason) from None
    job.check_cancelled()
    run.move("Training")
    model_dir = os.path.join(workdir, "model")
    scripted = script_mode.is_script_mode(spec.get("HyperParameters"))
    if scripted:
        try:
            _train_script(ctx, run, job, channels, workdir, store, log)
        except script_mode.ScriptFailed as exc:
            raise TrainingFailed(exc.reason) from None
    elif run.image.framework != "xgboost":
        raise TrainingFailed("ClientError: The scikit-learn container runs script mode only: pass an entry point "
                             "(the SDK's SKLearn estimator sets sagemaker_program).")
    else:
        history = _train_xgboost(ctx, run, job, channels, workdir, model_dir, log)
    job.check_cancelled()
    run.move("Uploading")
    uploads = [(run.model_uri, model_dir)]
    output_data = os.path.join(workdir, "output", "data")
    if scripted and os.path.isdir(output_data) and os.listdir(output_data):   # SM_OUTPUT_DATA_DIR
        uploads.append((run.model_uri.rsplit("/", 1)[0] + "/output.tar.gz", output_data))
    for uri, directory in uploads:
        bucket, key = channels_mod.split_s3(uri)
        try:
            store.put_object(bucket, key, _model_tarball(directory), "application/x-tar")
        except StoreAccessDenied as exc:
            raise TrainingFailed(f"ClientError: Failed to upload model artifact to {uri}: "
                                 f"{exc.code} (403): {exc.message}") from None
        except StoreError as exc:
            raise TrainingFailed(f"ClientError: Failed to upload model artifact to {uri}: "
                                 f"{exc.code}: {exc.message}") from None
    if scripted:
        definitions = (spec.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
        run.metric_definitions = definitions
        run.metrics = script_mode.final_metrics(definitions, log.lines, time.time())
    else:
        run.metrics = _final_metrics(history, time.time())


def _algorithm_error(reason: str) -> TrainingFailed:
    return TrainingFailed(f"{reason}, exit code: 1" if not reason.endswith("exit code: 1") else reason)


def _train_script(ctx, run, job, channels, workdir, store, log) -> None:
    """Script mode: the entry point runs with the SM_* environment and the role's credentials."""
    hyperparameters = script_mode.decode(run.spec.get("HyperParameters") or {})
    program = str(hyperparameters.get("sagemaker_program", ""))
    code_dir = script_mode.fetch_code(store, str(hyperparameters.get("sagemaker_submit_directory") or ""),
                                      os.path.join(workdir, "code"))
    if not os.path.isfile(os.path.join(code_dir, program)):
        raise TrainingFailed(f"AlgorithmError: ExecuteUserScriptError: the entry point {program} is not in the "
                             "source directory, exit code: 2")
    if os.path.exists(os.path.join(code_dir, "requirements.txt")):
        log.write("requirements.txt: the local target installs no packages (it has no network); the script runs "
                  "with the kit's own Python packages.")
    instance_type = (run.spec.get("ResourceConfig") or {}).get("InstanceType", "ml.m5.large")
    env, args = script_mode.training_env(run.name, run.region, workdir, code_dir, channels, hyperparameters,
                                         instance_type)
    env.update(ctx.acting_as(run.role_arn, run.region, "SageMaker").env())   # the script's own AWS calls
    max_runtime = (run.spec.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or DEFAULT_MAX_RUNTIME_S
    worker = WorkerProcess(script_mode.SCRIPT_WORKER, env=worker_env(workdir, env), cwd=code_dir,
                           on_output=log.line, python=sys.executable)
    result = _train_in(worker, job, {"op": "train", "program": program, "args": args}, max_runtime, log)
    if result.get("exit_code") != 0:
        raise TrainingFailed(script_mode.user_script_error(result.get("exit_code"), result.get("stderr_tail", ""),
                                                           result.get("command", "")).reason)


def _train_in(worker, job, message: dict, timeout: float, log) -> dict:
    """One training call in ``worker``: StopTrainingJob kills it; a worker that dies fails the job
    ("Stopped" when it was stopped); the worker is closed and the job's log flushed either way."""
    remove = job.on_cancel(worker.kill)
    try:
        result, _ = worker.call(message, timeout=timeout)
    except WorkerExited as exc:
        raise TrainingFailed("Stopped" if job.cancelled else
                             f"AlgorithmError: the training process ended unexpectedly (exit status "
                             f"{exc.returncode})") from None
    finally:
        remove()
        worker.close(grace=1)
        log.flush()
    return result


def _train_xgboost(ctx, run, job, channels, workdir, model_dir, log) -> dict:
    try:
        channels_mod.check_channels(channels)
        for channel in channels.values():
            channels_mod.check_files(channel)
        kind = channels_mod.content_type(channels["train"].content_type)
        validated = hp.validate(run.spec.get("HyperParameters") or {})
    except channels_mod.ChannelError as exc:
        raise _algorithm_error(exc.reason) from None
    except hp.HyperparameterError as exc:
        raise _algorithm_error(f"ClientError: {exc}") from None
    if channels["train"].input_mode == "Pipe" and kind == "libsvm":
        raise _algorithm_error("ClientError: Pipe mode not supported for LibSVM.")
    max_runtime = (run.spec.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or DEFAULT_MAX_RUNTIME_S
    message = {"op": "train", "train": channels["train"].directory, "kind": kind,
               "validation": channels["validation"].directory if "validation" in channels else None,
               "params": validated.params, "num_round": validated.num_round,
               "early_stopping_rounds": validated.early_stopping_rounds, "csv_weights": validated.csv_weights,
               "model_dir": model_dir}
    worker = WorkerProcess(XGBOOST_WORKER, env=worker_env(workdir), cwd=workdir, on_output=log.line,
                           python=sys.executable)
    result = _train_in(worker, job, message, max_runtime, log)
    if not result.get("ok"):
        raise _algorithm_error(result.get("reason", "AlgorithmError: training failed"))
    history = result.get("history") or {}
    metrics = sorted({m for per_channel in history.values() for m in per_channel})
    run.metric_definitions = hp.metric_definitions(list(history), metrics)
    return history
