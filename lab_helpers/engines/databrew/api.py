"""api: the DataBrew operations the engine answers (job runs, projects) or patches (jobs, datasets)."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from ...endpoint.registry import EngineError, EngineResponse
from ..platform.acting import RoleNotAssumable
from ..ports import StoreError
from . import projects as proj
from . import recipe as recipe_mod
from .reader import FORMATS, DatasetError
from .runs import ACTIVE, WORKERS, JobRun, Runs, Snapshot, execute, new_run_id

_EXTRA_JOB_FIELDS = ("JobSample", "Timeout", "EncryptionKeyArn")


class _State:
    """Per-region engine state: job runs, projects, and the job fields moto does not keep."""

    def __init__(self):
        self.lock = threading.Lock()
        self.runs: dict[str, Runs] = {}
        self.projects: dict[str, proj.Projects] = {}
        self.extras: dict[tuple[str, str], dict] = {}

    def runs_in(self, region: str) -> Runs:
        with self.lock:
            return self.runs.setdefault(region, Runs())

    def projects_in(self, region: str) -> proj.Projects:
        with self.lock:
            return self.projects.setdefault(region, proj.Projects())


def _state(ctx) -> _State:
    return ctx.state("databrew", _State)


def _moto(request, ctx, operation: str | None = None, params: dict | None = None) -> dict:
    answer = ctx.call_moto(request, operation, params) if operation else ctx.call_moto(request)
    if not answer.ok:
        raise EngineError(answer.error_code or "InternalFailure", answer.error_message or "moto failed", answer.status)
    return answer.json()


def _passthrough(request, ctx) -> EngineResponse:
    answer = ctx.call_moto(request)
    return EngineResponse(answer.status, answer.body, {"Content-Type": "application/json"})


def _not_found(message: str) -> EngineError:
    return EngineError("ResourceNotFoundException", message, 404)


def _caller(request, ctx) -> str:
    try:
        return ctx.as_caller(request).arn
    except Exception:  # noqa: BLE001 - an unknown key still gets an answer
        return f"arn:aws:iam::{request.account_id}:root"


# --- datasets --------------------------------------------------------------------------------------

def _check_dataset_input(params: dict) -> None:
    fmt = params.get("Format")
    if fmt is not None and fmt not in FORMATS:
        raise EngineError("ValidationException", f"Format {fmt} is not one of {', '.join(FORMATS)}")
    inp = params.get("Input")
    if inp is not None:
        given = [k for k in ("S3InputDefinition", "DataCatalogInputDefinition", "DatabaseInputDefinition") if inp.get(k)]
        if len(given) != 1:
            raise EngineError("ValidationException", "Input must have exactly one of S3InputDefinition, "
                                                     "DataCatalogInputDefinition or DatabaseInputDefinition")


def _dataset_view(dataset: dict, request, ctx) -> dict:
    inp = dataset.get("Input") or {}
    source = "S3" if inp.get("S3InputDefinition") else "DATA-CATALOG" if inp.get("DataCatalogInputDefinition") \
        else "DATABASE"
    out = dict(dataset)
    out.update({"Source": source, "CreatedBy": _caller(request, ctx), "LastModifiedBy": _caller(request, ctx),
                "LastModifiedDate": dataset.get("CreateDate")})
    out.setdefault("Format", "PARQUET" if source == "DATA-CATALOG" else out.get("Format"))
    return {k: v for k, v in out.items() if v is not None}


def create_dataset(request, ctx):
    _check_dataset_input(request.json())
    return _passthrough(request, ctx)


def update_dataset(request, ctx):
    _check_dataset_input(request.json())
    return _passthrough(request, ctx)


def describe_dataset(request, ctx):
    return EngineResponse.json(_dataset_view(_moto(request, ctx), request, ctx))


def list_datasets(request, ctx):
    body = _moto(request, ctx)
    body["Datasets"] = [_dataset_view(d, request, ctx) for d in body.get("Datasets") or []]
    return EngineResponse.json(body)


def all_datasets(request, ctx) -> dict[str, dict]:
    out, token = {}, None
    while True:
        page = _moto(request, ctx, "ListDatasets", {"NextToken": token} if token else {})
        out.update({d["Name"]: d for d in page.get("Datasets") or []})
        token = page.get("NextToken")
        if not token:
            return out


# --- jobs ------------------------------------------------------------------------------------------

def _remember(request, ctx, name: str) -> None:
    body = request.json()
    extras = {k: body[k] for k in _EXTRA_JOB_FIELDS if k in body}
    with _state(ctx).lock:
        _state(ctx).extras.setdefault((request.region, name), {}).update(extras)


def _check_job(request, ctx, params: dict, create: bool) -> None:
    if create and params.get("DatasetName"):
        found = ctx.call_moto(request, "DescribeDataset", {"Name": params["DatasetName"]})
        if not found.ok:
            raise _not_found(f"Dataset {params['DatasetName']} wasn't found.")
    for output in params.get("Outputs") or []:
        if output.get("Format") in ("AVRO", "XML", "TABLEAUHYPER"):
            raise EngineError("ValidationException", f"Output format {output['Format']} is not emulated locally "
                                                     "(CSV, JSON, PARQUET, GLUEPARQUET and ORC are)")


def create_profile_job(request, ctx):
    params = request.json()
    _check_job(request, ctx, params, create=True)
    response = _passthrough(request, ctx)
    if response.status == 200:
        _remember(request, ctx, params["Name"])
    return response


def create_recipe_job(request, ctx):
    params = request.json()
    if not params.get("RecipeReference") and not params.get("ProjectName"):
        raise EngineError("ValidationException", "A recipe job needs a RecipeReference (recipe name and published "
                                                 "version) or a ProjectName")
    if not params.get("ProjectName") and not params.get("DatasetName"):
        raise EngineError("ValidationException", "A recipe job without a project needs a DatasetName")
    if not (params.get("Outputs") or params.get("DataCatalogOutputs") or params.get("DatabaseOutputs")):
        raise EngineError("ValidationException", "A recipe job needs Outputs or DataCatalogOutputs")
    _check_job(request, ctx, params, create=True)
    response = _passthrough(request, ctx)
    if response.status == 200:
        _remember(request, ctx, params["Name"])
    return response


def update_job(request, ctx):
    params = request.json()
    _check_job(request, ctx, params, create=False)
    response = _passthrough(request, ctx)
    if response.status == 200:
        _remember(request, ctx, params["Name"])
    return response


def _job_view(job: dict, region: str, ctx) -> dict:
    """moto's job with what DescribeJob returns on AWS (profile output as Outputs, the profile
    configuration, JobSample) and what moto drops."""
    out = dict(job)
    extras = _state(ctx).extras.get((region, job.get("Name")), {})
    out.update(extras)
    if out.get("Type") == "PROFILE":
        if out.get("OutputLocation") and not out.get("Outputs"):
            out["Outputs"] = [{"Location": out["OutputLocation"]}]
        if out.get("Configuration"):
            out["ProfileConfiguration"] = out["Configuration"]
        out.setdefault("JobSample", {"Mode": "CUSTOM_ROWS", "Size": 20000})
    return out


def _job(request, ctx, name: str) -> dict:
    answer = ctx.call_moto(request, "DescribeJob", {"Name": name})
    if not answer.ok:
        raise _not_found(f"Job {name} wasn't found.")
    return _job_view(answer.json(), request.region, ctx)


def describe_job(request, ctx):
    return EngineResponse.json(_job_view(_moto(request, ctx), request.region, ctx))


def list_jobs(request, ctx):
    body = _moto(request, ctx)
    body["Jobs"] = [_job_view(j, request.region, ctx) for j in body.get("Jobs") or []]
    return EngineResponse.json(body)


def delete_job(request, ctx):
    name = request.json().get("Name", "")
    runs = _state(ctx).runs_in(request.region)
    if any(r.state in ACTIVE for r in runs.of(name)):
        raise EngineError("ConflictException", f"Job {name} has a run in progress; stop it (StopJobRun) first.", 409)
    response = _passthrough(request, ctx)
    if response.status == 200:
        runs.drop(name)
        _state(ctx).extras.pop((request.region, name), None)
    return response


# --- job runs --------------------------------------------------------------------------------------

def _recipe_steps(request, ctx, job: dict) -> list:
    ref = job.get("RecipeReference")
    if ref:
        version = ref.get("RecipeVersion") or "LATEST_PUBLISHED"
        answer = ctx.call_moto(request, "DescribeRecipe", {"Name": ref.get("Name", ""), "RecipeVersion": version})
        if not answer.ok:
            raise EngineError("ValidationException", f"The job {job['Name']} names recipe {ref.get('Name')} version "
                                                     f"{version}, which does not exist: publish the recipe "
                                                     "(PublishRecipe) or name an existing version.")
        return answer.json().get("Steps") or []
    project = _state(ctx).projects_in(request.region).by_name.get(job.get("ProjectName", ""))
    if project is None:
        raise EngineError("ValidationException", f"The job {job['Name']} names project {job.get('ProjectName')}, "
                                                 "which does not exist")
    return _moto(request, ctx, "DescribeRecipe", {"Name": project.recipe_name,
                                                  "RecipeVersion": "LATEST_WORKING"}).get("Steps") or []


def _rulesets(request, ctx, job: dict) -> list[dict]:
    out = []
    for conf in job.get("ValidationConfigurations") or []:
        name = conf.get("RulesetArn", "").rsplit("/", 1)[-1]
        answer = ctx.call_moto(request, "DescribeRuleset", {"Name": name})
        if not answer.ok:
            raise EngineError("ValidationException", f"Ruleset {conf.get('RulesetArn')} wasn't found.")
        ruleset = answer.json()
        ruleset.setdefault("ResourceArn", conf.get("RulesetArn"))
        out.append(ruleset)
    return out


def start_job_run(request, ctx):
    name = request.json().get("Name", "")
    job = _job(request, ctx, name)
    datasets = all_datasets(request, ctx)
    dataset_name = job.get("DatasetName")
    if not dataset_name and job.get("ProjectName"):
        project = _state(ctx).projects_in(request.region).by_name.get(job["ProjectName"])
        dataset_name = project.dataset_name if project else None
        job["DatasetName"] = dataset_name
    if dataset_name not in datasets:
        raise EngineError("ValidationException", f"The job's dataset {dataset_name} does not exist")
    steps, rulesets = [], []
    if job.get("Type") == "RECIPE":
        steps = _recipe_steps(request, ctx, job)   # an unknown step fails the run, naming its step number
    else:
        rulesets = _rulesets(request, ctx, job)
    run = JobRun(new_run_id(), name, job.get("Type", "RECIPE"), Snapshot(job, datasets[dataset_name], datasets, steps,
                                                                           rulesets), _caller(request, ctx),
                 request.region)
    try:
        _state(ctx).runs_in(request.region).add(run)
    except RuntimeError as busy:
        raise EngineError("ConflictException", f"Job {name} is already running (run {busy}); wait for it or stop it "
                                               "(StopJobRun).", 409) from None
    run.job = ctx.jobs("databrew", workers=WORKERS).submit(lambda job_: execute(ctx, run, job_),
                                                           kind=run.job_type.lower(), job_id=run.run_id)
    return EngineResponse.json({"RunId": run.run_id})


def _run(request, ctx) -> JobRun:
    params = request.json()
    name, run_id = params.get("Name", ""), params.get("RunId", "")
    _job(request, ctx, name)
    found = next((r for r in _state(ctx).runs_in(request.region).of(name) if r.run_id == run_id), None)
    if found is None:
        raise _not_found(f"Job run {run_id} of job {name} wasn't found.")
    return found


def describe_job_run(request, ctx):
    return EngineResponse.json(_run(request, ctx).describe())


def list_job_runs(request, ctx):
    params = request.json()
    name = params.get("Name", "")
    _job(request, ctx, name)
    runs = list(reversed(_state(ctx).runs_in(request.region).of(name)))
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or 100)
    body = {"JobRuns": [r.describe() for r in runs[start:start + size]]}
    if start + size < len(runs):
        body["NextToken"] = str(start + size)
    return EngineResponse.json(body)


def stop_job_run(request, ctx):
    run = _run(request, ctx)
    if run.state not in ACTIVE:
        raise EngineError("ValidationException", f"Job run {run.run_id} is {run.state}; only a run that is starting "
                                                 "or running can be stopped.")
    job = run.job
    if job is not None and job.started is None:   # still queued: it never starts
        ctx.jobs("databrew", workers=WORKERS).cancel(job.id)
        run.state, run.completed_on = "STOPPED", datetime.now(UTC)
    else:
        run.state = "STOPPING"
        if job is not None:
            job.request_cancel()
    return EngineResponse.json({"RunId": run.run_id})


# --- projects --------------------------------------------------------------------------------------

def _project(request, ctx, name: str) -> proj.Project:
    found = _state(ctx).projects_in(request.region).by_name.get(name)
    if found is None:
        raise _not_found(f"Project {name} wasn't found.")
    return found


def create_project(request, ctx):
    params = request.json()
    name = params["Name"]
    projects = _state(ctx).projects_in(request.region)
    if name in projects.by_name:
        raise EngineError("ConflictException", f"The project {name} already exists.", 409)
    if not ctx.call_moto(request, "DescribeDataset", {"Name": params["DatasetName"]}).ok:
        raise _not_found(f"Dataset {params['DatasetName']} wasn't found.")
    recipe = params["RecipeName"]
    if not ctx.call_moto(request, "DescribeRecipe", {"Name": recipe, "RecipeVersion": "LATEST_WORKING"}).ok:
        _moto(request, ctx, "CreateRecipe", {"Name": recipe, "Steps": []})   # the console creates it empty
    project = proj.Project(name, params["DatasetName"], recipe, params["RoleArn"], request.account_id,
                           request.region, dict(params.get("Sample") or proj.DEFAULT_SAMPLE), params.get("Tags") or {},
                           created_by=_caller(request, ctx))
    with projects.lock:
        projects.by_name[name] = project
    return EngineResponse.json({"Name": name})


def describe_project(request, ctx):
    return EngineResponse.json(_project(request, ctx, request.json().get("Name", "")).describe())


def list_projects(request, ctx):
    items = sorted(_state(ctx).projects_in(request.region).by_name.values(), key=lambda p: p.name)
    return EngineResponse.json({"Projects": [p.describe() for p in items]})


def update_project(request, ctx):
    params = request.json()
    project = _project(request, ctx, params.get("Name", ""))
    if params.get("Sample"):
        project.sample = dict(params["Sample"])
        project.session = None   # a new sample needs a new session, as on AWS
    if params.get("RoleArn"):
        project.role_arn = params["RoleArn"]
    project.modified = datetime.now(UTC)
    return EngineResponse.json({"LastModifiedDate": project.modified, "Name": project.name})


def delete_project(request, ctx):
    name = request.json().get("Name", "")
    _project(request, ctx, name)
    projects = _state(ctx).projects_in(request.region)
    with projects.lock:
        projects.by_name.pop(name, None)
    return EngineResponse.json({"Name": name})


def _session_error(err) -> EngineError:
    if isinstance(err, RoleNotAssumable):
        return EngineError("ValidationException", f"Unable to assume the project's role: {err}")
    if isinstance(err, DatasetError) and err.code == "AccessDenied":
        return EngineError("AccessDeniedException", err.message, 403)
    if isinstance(err, (DatasetError, StoreError)):
        return EngineError("ValidationException", getattr(err, "message", str(err)))
    return EngineError("ValidationException", str(err))


def start_project_session(request, ctx):
    project = _project(request, ctx, request.json().get("Name", ""))
    datasets = all_datasets(request, ctx)
    try:
        project.session = proj.open_session(ctx, project, datasets[project.dataset_name], datasets)
    except KeyError:
        raise EngineError("ValidationException", f"The project's dataset {project.dataset_name} no longer exists") \
            from None
    except (RoleNotAssumable, DatasetError, StoreError) as err:
        raise _session_error(err) from None
    project.opened = datetime.now(UTC)
    return EngineResponse.json({"Name": project.name, "ClientSessionId": project.session.client_session_id})


def send_project_session_action(request, ctx):
    params = request.json()
    project = _project(request, ctx, params.get("Name", ""))
    session = project.session
    if session is None:
        raise EngineError("ValidationException", f"Project {project.name} has no open session: call "
                                                 "StartProjectSession first.")
    if params.get("ClientSessionId") and params["ClientSessionId"] != session.client_session_id:
        raise EngineError("ConflictException", "Another client has taken over this project's session "
                                               "(ClientSessionId does not match).", 409)
    working = _moto(request, ctx, "DescribeRecipe", {"Name": project.recipe_name, "RecipeVersion": "LATEST_WORKING"})
    steps = list(working.get("Steps") or [])
    step = params.get("RecipeStep")
    index = params.get("StepIndex")
    index = len(steps) if index is None else max(0, min(int(index), len(steps)))
    if params.get("Preview"):
        applied = steps[:index] + ([step] if step else [])
    else:
        if step:
            steps.insert(index, step)
        applied = steps
    try:
        started = time.perf_counter()
        doc = proj.preview(ctx, project, applied, params.get("ViewFrame"))
    except recipe_mod.RecipeStepError as err:
        raise EngineError("ValidationException", err.message) from None
    except (RoleNotAssumable, DatasetError, StoreError) as err:
        raise _session_error(err) from None
    doc["elapsedMs"] = int((time.perf_counter() - started) * 1000)
    if step and not params.get("Preview"):
        _moto(request, ctx, "UpdateRecipe", {"Name": project.recipe_name, "Steps": steps})
    session.action_id += 1
    return EngineResponse.json({"Result": proj.result_text(doc), "Name": project.name, "ActionId": session.action_id})


# --- tags ----------------------------------------------------------------------------------------

_DESCRIBE_BY_TYPE = {"dataset": "DescribeDataset", "recipe": "DescribeRecipe", "job": "DescribeJob",
                     "ruleset": "DescribeRuleset"}


def _arn_parts(arn: str) -> tuple[str, str]:
    kind, _, name = arn.split(":", 5)[-1].partition("/") if arn.count(":") >= 5 else ("", "", "")
    if not name or (kind != "project" and kind not in _DESCRIBE_BY_TYPE):
        raise EngineError("ValidationException", f"Invalid ResourceArn: {arn}", 400)
    return kind, name


def list_tags_for_resource(request, ctx):
    """Tags given at creation (moto keeps them on its objects; projects are this engine's)."""
    kind, name = _arn_parts(request.json().get("ResourceArn", ""))
    if kind == "project":
        return EngineResponse.json({"Tags": _project(request, ctx, name).tags})
    params = {"Name": name, **({"RecipeVersion": "LATEST_WORKING"} if kind == "recipe" else {})}
    answer = ctx.call_moto(request, _DESCRIBE_BY_TYPE[kind], params)
    if not answer.ok:
        raise _not_found(f"{kind.capitalize()} {name} wasn't found.")
    return EngineResponse.json({"Tags": answer.json().get("Tags") or {}})


def tag_resource(request, ctx):
    params = request.json()
    kind, name = _arn_parts(params.get("ResourceArn", ""))
    if kind != "project":
        raise EngineError("ValidationException", f"The local DataBrew engine keeps the tags a {kind} was created "
                          "with; pass Tags when you create it (TagResource works on projects).", 400)
    project = _project(request, ctx, name)
    project.tags = {**project.tags, **(params.get("Tags") or {})}
    return EngineResponse.json({})


def untag_resource(request, ctx):
    params = request.json()
    kind, name = _arn_parts(params.get("ResourceArn", ""))
    if kind != "project":
        raise EngineError("ValidationException", f"The local DataBrew engine keeps the tags a {kind} was created "
                          "with (UntagResource works on projects).", 400)
    project = _project(request, ctx, name)
    project.tags = {k: v for k, v in project.tags.items() if k not in set(params.get("TagKeys") or [])}
    return EngineResponse.json({})
