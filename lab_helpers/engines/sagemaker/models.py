"""models: a SageMaker model made ready to predict: its artifact fetched as its role, loaded in a serving process.

Endpoints and batch transform jobs both start from a model (CreateModel's PrimaryContainer: image,
ModelDataUrl, Environment, and ExecutionRoleArn). ``fetch`` downloads and unpacks ``model.tar.gz``
as the model's role (iam_lite applies) and ``ServingProcess`` runs the container's inference side in
a worker process: ``xgboost_worker.py`` (the built-in algorithm's model server) or
``script_worker.py`` (a script-mode model's ``model_fn``/``input_fn``/``predict_fn``/``output_fn``).
"""
from __future__ import annotations

import io
import os
import shutil
import sys
import tarfile
import threading
from dataclasses import dataclass, field

from ..platform.acting import RoleNotAssumable
from ..platform.workers import WorkerError, WorkerProcess
from ..ports import StoreError
from . import images
from . import script_mode
from .channels import split_s3
from .training import XGBOOST_WORKER, worker_env

LOAD_TIMEOUT_S = 300
INVOKE_TIMEOUT_S = 60          # SageMaker's limit for a real-time container's answer


class ModelUnavailable(Exception):
    """The model cannot be served; ``reason`` is the FailureReason SageMaker would give."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ModelSpec:
    name: str
    role_arn: str
    image: images.Image
    model_data_url: str
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def script_mode(self) -> bool:
        return bool(self.environment.get("SAGEMAKER_PROGRAM"))


def spec_from_description(desc: dict) -> ModelSpec:
    """DescribeModel's answer as a ModelSpec; ModelUnavailable for what the kit cannot serve."""
    container = desc.get("PrimaryContainer") or (desc.get("Containers") or [{}])[0]
    try:
        image = images.parse(container.get("Image", ""))
    except images.UnsupportedImage as exc:
        raise ModelUnavailable(str(exc)) from None
    if len(desc.get("Containers") or []) > 1:
        raise ModelUnavailable("Inference pipelines (several Containers) are not emulated by the local target.")
    return ModelSpec(desc.get("ModelName", ""), desc.get("ExecutionRoleArn", ""), image,
                     container.get("ModelDataUrl", ""), dict(container.get("Environment") or {}))


def fetch(ctx, spec: ModelSpec, region: str, dest: str) -> str:
    """Download and unpack the model artifact into ``dest`` as the model's role; returns ``dest``."""
    if not spec.model_data_url:
        raise ModelUnavailable(f"Model {spec.name} has no ModelDataUrl: the local target serves trained models only.")
    bucket, key = split_s3(spec.model_data_url)
    failed = ModelUnavailable(f"Failed to download model data(bucket: {bucket}, key: {key}). Please ensure that there is "
                              "an object located at the URL and that the role passed to CreateModel has permissions "
                              "to download the model.")
    try:
        store = ctx.acting_as(spec.role_arn, region, "SageMaker").store()
        data = store.get_object(bucket, key)
    except (RoleNotAssumable, StoreError):
        raise failed from None
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise ModelUnavailable(f"The model artifact {spec.model_data_url} is not a tar.gz archive: {exc}") from None
    if spec.script_mode:   # the inference script: SAGEMAKER_SUBMIT_DIRECTORY, or code/ inside a repacked model
        try:
            script_mode.fetch_code(store, spec.environment.get("SAGEMAKER_SUBMIT_DIRECTORY", ""),
                                   os.path.join(dest, "code"))
        except script_mode.ScriptFailed as exc:
            raise ModelUnavailable(exc.reason) from None
    return dest


class ServingProcess:
    """One model server (the container of one production variant instance). One call at a time."""

    def __init__(self, spec: ModelSpec, model_dir: str, on_output, batch: bool = False):
        self.spec, self.model_dir, self.on_output, self.batch = spec, model_dir, on_output, batch
        self._lock = threading.Lock()
        self._worker: WorkerProcess | None = None

    def _bootstrap(self) -> str:
        return script_mode.SCRIPT_WORKER if self.spec.script_mode else XGBOOST_WORKER

    def start(self) -> None:
        """Start the server and load the model; ModelUnavailable if it does not come up."""
        env = worker_env(self.model_dir, {k: str(v) for k, v in self.spec.environment.items()})
        if self.batch:
            env["SAGEMAKER_BATCH"] = "true"
        worker = WorkerProcess(self._bootstrap(), env=env, cwd=self.model_dir, on_output=self.on_output,
                               python=sys.executable)
        try:
            answer, _ = worker.call({"op": "load", "model_dir": self.model_dir, "framework": self.spec.image.framework,
                                     "code_dir": os.path.join(self.model_dir, "code"),
                                     "program": self.spec.environment.get("SAGEMAKER_PROGRAM", "")},
                                    timeout=LOAD_TIMEOUT_S)
        except WorkerError:
            worker.kill()
            answer = {"ok": False, "reason": "the model server process ended while loading the model"}
        if not answer.get("ok"):
            worker.close(grace=0)
            self.on_output(f"ERROR: {answer.get('reason', '')}\n".encode())
            raise ModelUnavailable(answer.get("reason", "the model did not load"))
        self._worker = worker

    def invoke(self, payload: bytes, content_type: str | None, accept: str | None,
               timeout: float = INVOKE_TIMEOUT_S) -> tuple[int, str, bytes]:
        """(status, content type, body) as the container answered; a dead server is started again."""
        with self._lock:
            if self._worker is None or self._worker.returncode is not None:
                self.start()
            message = {"op": "predict", "content_type": content_type, "accept": accept, "batch": self.batch}
            try:
                answer, body = self._worker.call(message, payload, timeout=timeout)
            except WorkerError as exc:
                self._worker = None
                return 0, "text/plain", (f"Your invocation timed out while waiting for a response from container "
                                         f"primary. ({exc})").encode()
            return int(answer.get("status", 500)), answer.get("content_type", "text/plain"), body

    def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close(grace=1)
