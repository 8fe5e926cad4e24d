"""script_mode: the framework containers' script mode (scikit-learn, XGBoost), without containers.

With an ``SKLearn`` (or framework ``XGBoost``) estimator, the SDK uploads the entry point as
``sourcedir.tar.gz`` and passes ``sagemaker_program`` / ``sagemaker_submit_directory`` among the
hyperparameters (each value JSON-encoded). The container's training toolkit unpacks the code, sets
the ``SM_*`` variables (``SM_MODEL_DIR``, ``SM_CHANNEL_<NAME>``, ``SM_HPS``, ``SM_HP_<NAME>``,
``SM_USER_ARGS`` ...) and runs ``python <program> --<hyperparameter> <value> ...``; whatever the
script leaves in ``SM_MODEL_DIR`` becomes ``model.tar.gz``. Here the script runs the same way, in a
worker process, with the job's role credentials for its own AWS calls; a non-zero exit fails the
job with the toolkit's ``ExecuteUserScriptError``. Metrics come from the job's MetricDefinitions,
matched against the log as SageMaker does.

Serving a script-mode model (``SAGEMAKER_PROGRAM`` in the model's environment) imports the same
module and calls its ``model_fn``, ``input_fn``, ``predict_fn`` and ``output_fn`` (or the
framework's defaults: JSON, CSV and NPY in and out).

LIMITATIONS: the script runs on the kit's Python with the kit's packages (scikit-learn 1.9,
xgboost 3.2, pandas ...) whatever framework_version says; requirements.txt is not installed (no
network); paths are the job's own directories, not ``/opt/ml/...`` (scripts that read the ``SM_*``
variables, as the SDK's examples do, work); one host, no distributed training.
"""
from __future__ import annotations

import io
import json
import os
import re
import tarfile

from ..ports import StoreError
from .channels import split_s3

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT_WORKER = os.path.join(HERE, "script_worker.py")


class ScriptFailed(Exception):
    """The script-mode job fails; ``reason`` is its FailureReason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_script_mode(hyperparameters: dict | None) -> bool:
    return "sagemaker_program" in (hyperparameters or {})


def decode(hyperparameters: dict[str, str]) -> dict:
    """The SDK JSON-encodes every hyperparameter value of a framework estimator ('"train.py"', '100')."""
    out = {}
    for key, value in (hyperparameters or {}).items():
        try:
            out[key] = json.loads(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


def fetch_code(store, submit_directory: str, dest: str) -> str:
    """Unpack ``sourcedir.tar.gz`` (an s3:// URI) into ``dest`` through the role's store."""
    os.makedirs(dest, exist_ok=True)
    if not submit_directory:
        return dest
    if not submit_directory.startswith("s3://"):
        raise ScriptFailed(f"ClientError: sagemaker_submit_directory must be an s3:// URI on the local target, not "
                           f"{submit_directory!r} (local mode's file:// needs Docker).")
    bucket, key = split_s3(submit_directory)
    try:
        data = store.get_object(bucket, key)
    except StoreError as exc:
        raise ScriptFailed(f"ClientError: Could not download the source code {submit_directory}: {exc.code}: "
                           f"{exc.message}") from None
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise ScriptFailed(f"ClientError: {submit_directory} is not a tar.gz of the source directory: {exc}") from None
    return dest


def _value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def training_env(job_name: str, region: str, workdir: str, code_dir: str, channels: dict, hyperparameters: dict,
                 instance_type: str) -> tuple[dict[str, str], list[str]]:
    """(the SM_* variables the training toolkit sets, the script's command-line arguments)."""
    user = {k: v for k, v in hyperparameters.items() if not k.startswith("sagemaker_")}
    args = [part for key in sorted(user) for part in (f"--{key}", _value(user[key]))]
    program = hyperparameters.get("sagemaker_program", "")
    paths = {"model": os.path.join(workdir, "model"), "output": os.path.join(workdir, "output"),
             "data": os.path.join(workdir, "output", "data"), "input": os.path.join(workdir, "input"),
             "config": os.path.join(workdir, "input", "config"),
             "intermediate": os.path.join(workdir, "output", "intermediate")}
    for path in paths.values():
        os.makedirs(path, exist_ok=True)
    resource = {"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0",
                "current_instance_type": instance_type}
    data_config = {name: {"ContentType": c.content_type, "TrainingInputMode": c.input_mode,
                          "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}
                   for name, c in channels.items()}
    for name, content in (("hyperparameters.json", {k: _value(v) for k, v in hyperparameters.items()}),
                          ("resourceconfig.json", resource), ("inputdataconfig.json", data_config)):
        with open(os.path.join(paths["config"], name), "w") as f:
            json.dump(content, f)
    env = {
        "SM_MODEL_DIR": paths["model"], "SM_OUTPUT_DIR": paths["output"], "SM_OUTPUT_DATA_DIR": paths["data"],
        "SM_OUTPUT_INTERMEDIATE_DIR": paths["intermediate"], "SM_INPUT_DIR": paths["input"],
        "SM_INPUT_CONFIG_DIR": paths["config"], "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_HPS": json.dumps(user, sort_keys=True), "SM_USER_ARGS": json.dumps(args),
        "SM_HOSTS": json.dumps(["algo-1"]), "SM_CURRENT_HOST": "algo-1", "SM_NUM_CPUS": str(os.cpu_count() or 1),
        "SM_NUM_GPUS": "0", "SM_NUM_NEURONS": "0", "SM_NETWORK_INTERFACE_NAME": "eth0",
        "SM_CURRENT_INSTANCE_TYPE": instance_type, "SM_RESOURCE_CONFIG": json.dumps(resource),
        "SM_INPUT_DATA_CONFIG": json.dumps(data_config), "SM_LOG_LEVEL": str(hyperparameters.get(
            "sagemaker_container_log_level", 20)), "SM_MODULE_NAME": re.sub(r"\.py$", "", program),
        "SM_MODULE_DIR": str(hyperparameters.get("sagemaker_submit_directory", "")), "SM_USER_ENTRY_POINT": program,
        "SM_IS_HETERO": "false", "TRAINING_JOB_NAME": job_name, "SAGEMAKER_REGION": region,
        "PYTHONPATH": code_dir,
    }
    env.update({f"SM_CHANNEL_{name.upper()}": c.directory for name, c in channels.items()})
    env.update({f"SM_HP_{key.upper()}": _value(value) for key, value in user.items()})
    env["SM_TRAINING_ENV"] = json.dumps({
        "channel_input_dirs": {n: c.directory for n, c in channels.items()}, "current_host": "algo-1",
        "hosts": ["algo-1"], "hyperparameters": user, "input_data_config": data_config, "job_name": job_name,
        "model_dir": paths["model"], "module_name": env["SM_MODULE_NAME"], "num_cpus": int(env["SM_NUM_CPUS"]),
        "num_gpus": 0, "output_data_dir": paths["data"], "resource_config": resource, "user_entry_point": program})
    return env, args


def user_script_error(exit_code: int, stderr_tail: str, command: str) -> ScriptFailed:
    """FailureReason as the training toolkit words a script that exits non-zero."""
    message = stderr_tail.strip().splitlines()[-1] if stderr_tail.strip() else ""
    return ScriptFailed(f'AlgorithmError: ExecuteUserScriptError:\nExitCode {exit_code}\nErrorMessage "{message}"\n'
                        f'Command "{command}", exit code: {exit_code}')


def final_metrics(definitions: list[dict], lines: list[str], when: float) -> list[dict]:
    """FinalMetricDataList: each MetricDefinition's regex over the log, last value wins (as SageMaker does)."""
    out = []
    for definition in definitions or []:
        try:
            pattern = re.compile(definition.get("Regex", ""))
        except re.error:
            continue
        value = None
        for line in lines:
            found = pattern.search(line)
            if found and found.groups():
                try:
                    value = float(found.group(1))
                except ValueError:
                    pass
        if value is not None:
            out.append({"MetricName": definition.get("Name", ""), "Value": value, "Timestamp": when})
    return out
