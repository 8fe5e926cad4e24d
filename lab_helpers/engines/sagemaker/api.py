"""api: the training-job operations the engine answers (moto stores the definitions; the engine runs them)."""
from __future__ import annotations

from ...endpoint.registry import EngineError, EngineResponse
from ..platform.acting import RoleNotAssumable
from . import images, training
from .state import engine_state

TRAINING_WORKERS = 2     # training and transform jobs at once (2 shared cores); more wait InProgress/Starting


def moto_error(answer) -> EngineError:
    return EngineError(answer.error_code or "InternalFailure", answer.error_message or "moto failed", answer.status)


def moto_json(ctx, request, operation: str | None = None, params: dict | None = None) -> dict:
    """moto's own answer (to this request, or to another operation as the same caller), or its error."""
    answer = ctx.call_moto(request, operation, params) if operation else ctx.call_moto(request)
    if not answer.ok:
        raise moto_error(answer)
    return answer.json()


_LIST_FILTERS = ("NameContains", "CreationTimeAfter", "CreationTimeBefore", "LastModifiedTimeAfter",
                 "LastModifiedTimeBefore")


def list_filters(params: dict) -> dict:
    """The filters of a List*Jobs request that moto applies itself."""
    return {k: params[k] for k in _LIST_FILTERS if k in params}


def check_role(ctx, role_arn: str, region: str) -> None:
    """CreateTrainingJob, CreateModel ... refuse a role SageMaker cannot assume, as on AWS."""
    try:
        ctx.acting_as(role_arn, region, "SageMaker")
    except RoleNotAssumable:
        raise EngineError("ValidationException", f"Could not assume role {role_arn}. Please ensure that the role "
                          "exists and allows principal 'sagemaker.amazonaws.com' to assume the role.", 400) from None


def page(items: list[dict], params: dict, key: str, sort_keys: dict[str, str], default_sort: str = "CreationTime"):
    """Sort and page a List* answer as SageMaker does (NextToken = the next index)."""
    sort_by = params.get("SortBy") or default_sort
    field = sort_keys.get(sort_by, sort_keys.get(default_sort))

    def order(item):
        value = item.get(field)
        if isinstance(value, (int, float)):
            return (0, float(value), "")
        return (1, 0.0, str(value or ""))

    items = sorted(items, key=order, reverse=(params.get("SortOrder") or "Ascending") == "Descending")
    token = params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise EngineError("ValidationException", f'Invalid pagination token because "{token}".', 400) from None
    size = int(params.get("MaxResults") or 10)
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


# -- training jobs --------------------------------------------------------------------------------

def create_training_job(request, ctx):
    params = request.json()
    name = params.get("TrainingJobName", "")
    if ctx.call_moto(request, "DescribeTrainingJob", {"TrainingJobName": name}).ok:
        arn = f"arn:aws:sagemaker:{request.region}:{request.account_id}:training-job/{name}"
        raise EngineError("ResourceInUse", "Training job names must be unique within an AWS account and region, and "
                          f"a training job with this name already exists ({arn})", 400)
    algorithm = params.get("AlgorithmSpecification") or {}
    if algorithm.get("AlgorithmName"):
        raise EngineError("ValidationException", f"Algorithm '{algorithm['AlgorithmName']}' (AWS Marketplace or "
                          "your own algorithm resource) is not emulated by the local target; pass TrainingImage. "
                          f"{images.RUN_ON_AWS}", 400)
    try:
        image = images.parse(algorithm.get("TrainingImage", ""))
    except images.UnsupportedImage as exc:
        raise EngineError("ValidationException", str(exc), 400) from None
    check_role(ctx, params.get("RoleArn", ""), request.region)
    created = moto_json(ctx, request)
    stored = moto_json(ctx, request, "DescribeTrainingJob", {"TrainingJobName": name})
    run = training.TrainingRun(name, request.region, params["RoleArn"], image, params,
                               stored["ModelArtifacts"]["S3ModelArtifacts"])
    state = engine_state(ctx)
    with state.lock:
        state.training[(request.region, name)] = run
    run.job = ctx.jobs("sagemaker", workers=TRAINING_WORKERS).submit(
        lambda job: training.execute(ctx, run, job), kind="training", job_id=f"training:{request.region}:{name}")
    return EngineResponse.json(created)


def describe_training_job(request, ctx):
    body = moto_json(ctx, request)
    run = engine_state(ctx).training.get((request.region, body.get("TrainingJobName", "")))
    return EngineResponse.json(run.view(body) if run else body)


def list_training_jobs(request, ctx):
    params = request.json()
    filters = list_filters(params)
    runs = engine_state(ctx).training
    items = []
    for summary in moto_json(ctx, request, "ListTrainingJobs", filters).get("TrainingJobSummaries") or []:
        run = runs.get((request.region, summary["TrainingJobName"]))
        items.append(run.summary(summary) if run else summary)
    if params.get("StatusEquals"):
        items = [i for i in items if i.get("TrainingJobStatus") == params["StatusEquals"]]
    return EngineResponse.json(page(items, params, "TrainingJobSummaries",
                                    {"Name": "TrainingJobName", "CreationTime": "CreationTime",
                                     "Status": "TrainingJobStatus"}))


def stop_training_job(request, ctx):
    name = request.json().get("TrainingJobName", "")
    run = engine_state(ctx).training.get((request.region, name))
    if run is None:
        moto_json(ctx, request, "DescribeTrainingJob", {"TrainingJobName": name})   # moto's not-found error
        raise EngineError("ValidationException", f"The training job {name} is not running.", 400)
    if run.status != "InProgress":
        raise EngineError("ValidationException", f"The request was rejected because the training job is in status "
                          f"{run.status}.", 400)
    run.status = "Stopping"
    run.move("Stopping")
    job = run.job
    ctx.jobs("sagemaker", workers=TRAINING_WORKERS).cancel(job.id)
    if job.started is None:         # still waiting for a free slot: it never runs
        run.finish("Stopped", "Stopped")
    return EngineResponse.json({})
