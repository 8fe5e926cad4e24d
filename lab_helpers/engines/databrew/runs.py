"""runs: DataBrew job runs (profile and recipe jobs) on the engine's job table.

A run is snapshotted when it starts (the job, its dataset and every dataset a JOIN or UNION may
name, the recipe version, the ruleset), then executed on a worker thread acting as the job's
role: STARTING (queued) → RUNNING → SUCCEEDED | FAILED | STOPPED (StopJobRun: STOPPING first).
A recipe runs completely in memory before anything is written, so a bad step writes nothing.
Logs go to CloudWatch ``/aws-glue-databrew/jobs/<job name>``, one stream per run.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from botocore.exceptions import ClientError

from ..platform.acting import RoleNotAssumable
from ..platform.jobs import Job, JobCancelled
from ..ports import StoreError, split_s3_uri
from . import outputs as out_mod
from . import profile as profile_mod
from . import recipe as recipe_mod
from . import rules as rules_mod
from . import sandbox
from .reader import DatasetError, read_dataset
from .steps import ParameterError

log = logging.getLogger("labkit.databrew")
LOG_GROUP_PREFIX = "/aws-glue-databrew/jobs/"
WORKERS = 2
DEFAULT_SAMPLE = {"Mode": "CUSTOM_ROWS", "Size": 20000}
ACTIVE = ("STARTING", "RUNNING", "STOPPING")


def new_run_id() -> str:
    return "db_" + secrets.token_hex(32)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Snapshot:
    """What a run needs, captured when it started (later edits do not change a running job)."""
    job: dict
    dataset: dict
    datasets: dict[str, dict]
    steps: list = field(default_factory=list)
    rulesets: list[dict] = field(default_factory=list)


@dataclass
class JobRun:
    run_id: str
    job_name: str
    job_type: str
    snapshot: Snapshot
    started_by: str
    region: str
    started_on: datetime = field(default_factory=now)
    state: str = "STARTING"
    completed_on: datetime | None = None
    error: str = ""
    job: Job | None = None
    written: list[str] = field(default_factory=list)
    report_location: str = ""

    @property
    def log_group(self) -> str:
        return LOG_GROUP_PREFIX + self.job_name

    def describe(self) -> dict:
        job = self.snapshot.job
        out = {"Attempt": 0, "DatasetName": job.get("DatasetName"), "JobName": self.job_name, "RunId": self.run_id,
               "State": self.state, "StartedOn": self.started_on, "StartedBy": self.started_by,
               "LogSubscription": job.get("LogSubscription", "ENABLE"),
               "LogGroupName": self.log_group if job.get("LogSubscription", "ENABLE") != "DISABLE" else None,
               "ExecutionTime": round(((self.completed_on or now()) - self.started_on).total_seconds())}
        if self.completed_on:
            out["CompletedOn"] = self.completed_on
        if self.error:
            out["ErrorMessage"] = self.error
        for key in ("Outputs", "DataCatalogOutputs", "DatabaseOutputs", "RecipeReference", "ValidationConfigurations",
                    "ProfileConfiguration"):
            if job.get(key):
                out[key] = job[key]
        if self.job_type == "PROFILE":
            out["JobSample"] = job.get("JobSample") or DEFAULT_SAMPLE
        return {k: v for k, v in out.items() if v is not None}


class Runs:
    """Every run of every job in one region (newest last)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_job: dict[str, list[JobRun]] = {}

    def add(self, run: JobRun) -> None:
        with self.lock:
            current = [r for r in self.by_job.get(run.job_name, []) if r.state in ACTIVE]
            if current:
                raise RuntimeError(current[0].run_id)
            self.by_job.setdefault(run.job_name, []).append(run)

    def of(self, job_name: str) -> list[JobRun]:
        with self.lock:
            return list(self.by_job.get(job_name, []))

    def drop(self, job_name: str) -> None:
        with self.lock:
            self.by_job.pop(job_name, None)


class RunFailed(Exception):
    pass


def _resolver(snap: Snapshot, store, catalog, con, cache: dict):
    def resolve(spec: dict) -> pa.Table:
        name = spec.get("DatasetName")
        if name and name in snap.datasets:
            definition = snap.datasets[name]
        elif spec.get("Input"):
            definition = {"Name": name or "secondary", "Input": spec["Input"]}
        elif spec.get("Location"):
            bucket, key = split_s3_uri(spec["Location"])
            definition = {"Name": name or "secondary", "Input": {"S3InputDefinition": {"Bucket": bucket, "Key": key}}}
        else:
            raise ParameterError(f"the dataset {name!r} does not exist in this account and region")
        key = json.dumps(definition.get("Input"), sort_keys=True, default=str) + str(definition.get("Format"))
        if key not in cache:
            try:
                cache[key] = read_dataset(definition, store, catalog, con)[0]
            except DatasetError as err:
                raise ParameterError(f"could not read the dataset {definition.get('Name')}: "
                                                f"{err.message}") from None
        return cache[key]
    return resolve


def sample(table: pa.Table, job_sample: dict | None) -> pa.Table:
    job_sample = job_sample or DEFAULT_SAMPLE
    if job_sample.get("Mode") == "FULL_DATASET":
        return table
    return table.slice(0, int(job_sample.get("Size") or DEFAULT_SAMPLE["Size"]))


def execute(ctx, run: JobRun, job: Job) -> None:
    """The work function on the job table: never raises, always ends the run in a state."""
    logs = []

    def say(line: str) -> None:
        logs.append(f"{now().strftime('%Y-%m-%d %H:%M:%S')} {line}")

    con, stop_hook, state = None, None, "FAILED"
    try:
        run.state = "RUNNING"
        say(f"Job run {run.run_id} of {run.job_name} ({run.job_type}) started")
        snap = run.snapshot
        try:
            acting = ctx.acting_as(snap.job.get("RoleArn", ""), run.region, f"AWSGlueDataBrew-{run.job_name}"[:64])
        except RoleNotAssumable as exc:
            raise RunFailed(f"Unable to assume role {snap.job.get('RoleArn')}: {exc}") from None
        store, catalog = acting.store(), ctx.catalog(run.region)
        con = sandbox.connect()
        stop_hook = job.on_cancel(con.interrupt)
        try:
            table, source = read_dataset(snap.dataset, store, catalog, con)
        except DatasetError as err:
            raise RunFailed(err.message) from None
        say(f"Read dataset {snap.dataset.get('Name')}: {table.num_rows} rows, {table.num_columns} columns "
            f"from {len(source.uris)} object(s)")
        job.check_cancelled()
        if run.job_type == "PROFILE":
            _profile(ctx, run, job, table, store, con, say)
        else:
            _recipe(run, job, table, store, catalog, con, say)
        state = "SUCCEEDED"
        say(f"Job run {run.run_id} succeeded")
    except (JobCancelled, KeyboardInterrupt):
        state = "STOPPED"
        say(f"Job run {run.run_id} was stopped")
    except RunFailed as err:
        state, run.error = "FAILED", str(err)
        say(f"Job run {run.run_id} failed: {err}")
    except recipe_mod.RecipeStepError as err:
        if job.cancelled:   # DuckDB interrupted by StopJobRun
            state = "STOPPED"
            say(f"Job run {run.run_id} was stopped")
        else:
            state, run.error = "FAILED", err.message
            say(err.message)
    except ClientError as err:   # an S3 or Glue call of the job refused (e.g. a write the bucket policy denies)
        error = err.response.get("Error", {})
        state, run.error = "FAILED", f"{error.get('Code')}: {error.get('Message')} ({err.operation_name})"
        say(f"Job run {run.run_id} failed: {run.error}")
    except (out_mod.OutputError, StoreError) as err:
        state, run.error = "FAILED", _store_text(err)
        say(f"Job run {run.run_id} failed: {run.error}")
    except Exception as err:
        if job.cancelled:
            state = "STOPPED"
        else:
            log.exception("databrew run %s crashed", run.run_id)
            state, run.error = "FAILED", f"Internal error in the local DataBrew engine: {type(err).__name__}: {err}"
        say(f"Job run {run.run_id} ended: {state} {run.error}")
    finally:
        if stop_hook is not None:
            stop_hook()
        if con is not None:
            con.close()
        run.completed_on = now()
        if run.snapshot.job.get("LogSubscription", "ENABLE") != "DISABLE":
            ctx.logs(run.region).write_quietly(run.log_group, run.run_id, logs)
        # The terminal state is published last: a client that sees it can read the outputs and the log.
        run.state = state


def _store_text(err) -> str:
    code = getattr(err, "code", "")
    message = getattr(err, "message", str(err))
    if code == "AccessDenied":
        return f"AccessDenied: writing the job output failed: {message} (Service: Amazon S3; Status Code: 403)"
    return f"{code}: {message}" if code else message


def output_key(job: dict, dataset_name: str, run_id: str, suffix: str = ".json") -> tuple[str, str]:
    loc = job.get("OutputLocation") or ((job.get("Outputs") or [{}])[0].get("Location")) or {}
    folder = loc.get("Key", "") or ""
    if folder and not folder.endswith("/"):
        folder += "/"
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:12]
    return loc.get("Bucket", ""), f"{folder}{dataset_name}_{digest}{suffix}"


def _profile(ctx, run: JobRun, job: Job, table: pa.Table, store, con, say) -> None:
    snap = run.snapshot
    rows = sample(table, snap.job.get("JobSample"))
    say(f"Profiling {rows.num_rows} of {table.num_rows} rows "
        f"({(snap.job.get('JobSample') or DEFAULT_SAMPLE).get('Mode')})")
    bucket, key = output_key(snap.job, snap.dataset.get("Name", "dataset"), run.run_id)
    if not bucket:
        raise RunFailed("The profile job has no OutputLocation")
    doc = profile_mod.profile(rows, con, job_name=run.job_name, run_id=run.run_id, location=f"s3://{bucket}/{key}",
                              started_on=run.started_on, config=snap.job.get("ProfileConfiguration"),
                              check_cancel=job.check_cancelled)
    reports = [rules_mod.validate(rows, con, ruleset) for ruleset in snap.rulesets]
    job.check_cancelled()
    store.put_object(bucket, key, json.dumps(doc, indent=2).encode(), "application/json")
    run.written.append(f"s3://{bucket}/{key}")
    say(f"Wrote the profile to s3://{bucket}/{key}")
    for report in reports:
        rkey = key[:-len(".json")] + "_dq-validation-report.json"
        report.update({"datasetName": snap.dataset.get("Name"), "jobName": run.job_name, "jobRunId": run.run_id,
                       "location": f"s3://{bucket}/{rkey}", "startedOn": run.started_on.isoformat(),
                       "writtenOn": now().isoformat()})
        store.put_object(bucket, rkey, json.dumps(report, indent=2).encode(), "application/json")
        run.written.append(f"s3://{bucket}/{rkey}")
        run.report_location = f"s3://{bucket}/{rkey}"
        say(f"Data quality validation of {report['rulesetName']}: {report['status']} "
            f"(report s3://{bucket}/{rkey})")


def _recipe(run: JobRun, job: Job, table: pa.Table, store, catalog, con, say) -> None:
    snap = run.snapshot
    resolve = _resolver(snap, store, catalog, con, {})
    runner = recipe_mod.Runner(con, resolve, job.check_cancelled)
    started = time.perf_counter()
    result = recipe_mod.run(table, snap.steps, runner,
                            on_step=lambda i, step, t: say(f"Step {i} {step['Action']['Operation']}: "
                                                           f"{t.num_rows} rows, {t.num_columns} columns"))
    say(f"Recipe of {len(snap.steps)} steps done in {time.perf_counter() - started:.2f} s")
    job.check_cancelled()
    if not snap.job.get("Outputs") and not snap.job.get("DataCatalogOutputs"):
        raise RunFailed("The recipe job has no Outputs or DataCatalogOutputs")
    for output in snap.job.get("Outputs") or []:
        written = out_mod.write_output(result, output, store, job_name=run.job_name, started=run.started_on, con=con,
                                       check_cancel=job.check_cancelled)
        loc = output.get("Location") or {}
        run.written += [f"s3://{loc.get('Bucket')}/{k}" for k in written.keys]
        say(f"Wrote {len(written.keys)} {output.get('Format', 'CSV')} file(s), {written.bytes} bytes, "
            f"to s3://{loc.get('Bucket')}/{loc.get('Key', '')}")
    for output in snap.job.get("DataCatalogOutputs") or []:
        written, uri = out_mod.write_catalog_output(result, output, store, catalog, job_name=run.job_name,
                                                    started=run.started_on, con=con, check_cancel=job.check_cancelled)
        bucket = split_s3_uri(uri)[0]
        run.written += [f"s3://{bucket}/{k}" for k in written.keys]
        say(f"Wrote {len(written.keys)} file(s) to {uri} and registered "
            f"{output.get('DatabaseName')}.{output.get('TableName')}")
