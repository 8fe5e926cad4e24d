"""api: the Athena operations the engine answers (query executions, results, metadata, UpdateWorkGroup)."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from sqlglot import exp

from ...endpoint.registry import EngineError, EngineResponse
from .results import (RequestError, invalid_request, output_uri, results_page, statement_kind, write_failure,
                             write_success)
from .query import parse_one, strip_statement
from .sql import AthenaQueryError, AthenaSQLEngine, AthenaSyntaxError, QueryCancelled, QueryResult, check_syntax
from ..platform.jobs import Job
from ..ports import split_s3_uri

log = logging.getLogger("labkit.athena")
WORKERS = 4            # queries over tables running at once; more wait QUEUED
LIGHT_WORKERS = 2      # DDL, SHOW/DESCRIBE and a SELECT with no FROM: a lane of their own
QUERY_TIMEOUT_S = 30 * 60   # Athena's default DML query timeout quota
ENGINE_VERSION = {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}


@dataclass
class Execution:
    id: str
    query: str
    database: str
    catalog: str
    workgroup: str
    output_location: str
    submitted: float
    state: str = "QUEUED"
    statement_type: str = "DML"
    substatement: str = "SELECT"
    output_uri: str = ""
    manifest: str | None = None
    reason: str = ""
    error: dict | None = None
    started: float | None = None
    completed: float | None = None
    result: QueryResult | None = None
    engine_ms: int = 0
    scan_limit: int | None = None   # the workgroup's BytesScannedCutoffPerQuery
    cancel: threading.Event = field(default_factory=threading.Event)   # the job's cancel event
    encryption: dict | None = None
    texts: list | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    store: object = None            # S3 as the caller: Athena reads and writes with the caller's rights
    timed_out: bool = False


class _State:
    """Query executions and one SQL engine per region; the queries run on ``ctx.jobs("athena")``."""

    def __init__(self, ctx):
        self.lock = threading.Lock()
        self.executions: dict[str, Execution] = {}
        self.order: list[str] = []
        self.engines: dict[str, AthenaSQLEngine] = {}
        self.ctx = ctx
        self.timeout_s: float = QUERY_TIMEOUT_S

    def engine(self, region: str) -> AthenaSQLEngine:
        with self.lock:
            if region not in self.engines:
                self.engines[region] = AthenaSQLEngine(self.ctx.catalog(region), self.ctx.store(region),
                                                       work_dir=str(self.ctx.home / "cache" / "athena"))
            return self.engines[region]

    def shutdown(self) -> None:
        # The context's reset has already cancelled and waited for the job table's queries.
        for engine in self.engines.values():
            engine.close()  # DuckDB connections left open leak at interpreter exit


def _state(ctx) -> _State:
    return ctx.state("athena", lambda: _State(ctx))


def _get(ctx, execution_id: str) -> Execution:
    ex = _state(ctx).executions.get(execution_id)
    if ex is None:
        raise RequestError(f"QueryExecution {execution_id} was not found", "QUERY_EXECUTION_NOT_FOUND")
    return ex


def _answers_invalid_requests(handler):
    """RequestError -> InvalidRequestException carrying Athena's AthenaErrorCode."""
    def wrapped(request, ctx):
        try:
            return handler(request, ctx)
        except RequestError as err:
            return invalid_request(err.message, err.code)
    wrapped.__name__, wrapped.__doc__ = handler.__name__, handler.__doc__
    return wrapped


# --- start --------------------------------------------------------------------------------------

def _workgroup(ctx, region: str, name: str) -> dict:
    athena = ctx.client("athena", region)
    try:
        found = athena.get_work_group(WorkGroup=name).get("WorkGroup")   # moto answers {} for an unknown name
    except athena.exceptions.ClientError:
        found = None
    if found:
        return found
    if name == "primary":
        return {"Name": "primary", "State": "ENABLED", "Configuration": {}}
    raise EngineError("InvalidRequestException", f"WorkGroup {name} is not found.", 400)


def start_query_execution(request, ctx):
    body = request.json()
    query = body.get("QueryString", "")
    if not query.strip():
        raise EngineError("InvalidRequestException", "QueryString must not be empty", 400)
    for value in body.get("ExecutionParameters") or []:
        query = query.replace("?", value, 1)
    wg_name = body.get("WorkGroup") or "primary"
    wg = _workgroup(ctx, request.region, wg_name)
    if wg.get("State") == "DISABLED":
        raise EngineError("InvalidRequestException", f"WorkGroup {wg_name} is disabled.", 400)
    config = wg.get("Configuration") or {}
    wg_result = config.get("ResultConfiguration") or {}
    req_result = body.get("ResultConfiguration") or {}
    chosen = wg_result if config.get("EnforceWorkGroupConfiguration") else {**wg_result, **req_result}
    output = chosen.get("OutputLocation", "")
    if not output:
        return invalid_request("No output location provided. An output location is required either through the "
                               "Workgroup result configuration setting or as an API input.", "INVALID_INPUT")
    try:
        bucket, _ = split_s3_uri(output)
    except ValueError:
        return invalid_request("outputLocation is not a valid S3 path.", "INVALID_INPUT")
    try:
        ctx.client("s3", request.region).head_bucket(Bucket=bucket)
    except Exception:   # noqa: BLE001 - missing bucket or no access: Athena cannot write results there
        return invalid_request(f"Unable to verify/create output bucket {bucket}", "INVALID_INPUT")
    try:
        check_syntax(query)
    except AthenaSyntaxError as err:
        return invalid_request(err.message, "MALFORMED_QUERY")
    context = body.get("QueryExecutionContext") or {}
    kind, substatement = statement_kind(query)
    qid = str(uuid.uuid4())
    output = output if output.endswith("/") else output + "/"
    ex = Execution(
        id=qid, query=query, database=context.get("Database") or "default",
        catalog=context.get("Catalog") or "AwsDataCatalog", workgroup=wg_name, output_location=output,
        submitted=time.time(), encryption=chosen.get("EncryptionConfiguration"), statement_type=kind,
        substatement=substatement, output_uri=output_uri(output, qid, kind, substatement),
        scan_limit=config.get("BytesScannedCutoffPerQuery"), store=ctx.as_caller(request).store())
    state = _state(ctx)
    with state.lock:
        state.executions[ex.id] = ex
        state.order.append(ex.id)
    job = Job(id=ex.id, kind="query")
    ex.cancel = job.cancel_event   # StopQueryExecution → the SQL engine interrupts its DuckDB cursor
    # Light statements (DDL, SHOW, a SELECT over no table) get their own lane, so a learner's
    # `SELECT 1` never waits behind four long scans.
    lane = ("athena-light", LIGHT_WORKERS) if _is_light(query, kind, substatement) else ("athena", WORKERS)
    ctx.jobs(*lane).submit(lambda job: _run(ctx, request.region, ex), job=job)
    return EngineResponse.json({"QueryExecutionId": ex.id})


def _is_light(query: str, kind: str, substatement: str) -> bool:
    """Metadata statements and a SELECT with no FROM at all: they cannot run long."""
    if substatement in ("CREATE_TABLE_AS_SELECT", "INSERT", "UNLOAD"):
        return False                                  # these scan like a query
    if kind != "DML":
        return True                                   # DDL and utility statements touch metadata only
    try:
        tree = parse_one(strip_statement(query))
    except AthenaQueryError:
        return True                                   # fails at once
    return tree.find(exp.From) is None


def _time_out(ex: Execution) -> None:
    ex.timed_out = True
    ex.cancel.set()


def _run(ctx, region: str, ex: Execution) -> None:
    if ex.cancel.is_set():
        ex.state, ex.completed = "CANCELLED", time.time()
        return
    ex.state, ex.started = "RUNNING", time.time()
    t0 = time.perf_counter()
    timer = threading.Timer(_state(ctx).timeout_s, _time_out, args=(ex,))
    timer.daemon = True
    timer.start()
    try:
        result = _state(ctx).engine(region).execute(
            ex.query, database=ex.database, catalog_name=ex.catalog, query_id=ex.id,
            default_ctas_location=f"{ex.output_location}tables/{ex.id}/", cancel=ex.cancel, store=ex.store)
        ex.engine_ms = int((time.perf_counter() - t0) * 1000)
        if ex.scan_limit and result.data_scanned_bytes > ex.scan_limit:
            # The workgroup's per-query data usage control cancels the query (no results written).
            # LIMITATION: the engine measures the bytes after running, so a CTAS or INSERT over the
            # limit has already written its files; Athena stops while scanning.
            ex.result = result
            ex.state, ex.reason = "CANCELLED", "Query cancelled! : Bytes scanned limit was exceeded"
            return
        ex.manifest = write_success(ex.store, ex, result)
        ex.result = result
        ex.state = "SUCCEEDED"
    except QueryCancelled:
        if ex.timed_out:
            minutes = _state(ctx).timeout_s / 60
            ex.state, ex.reason = "FAILED", (f"Query timeout: the query ran longer than the {minutes:g} minute "
                                             "limit for DML queries and was stopped.")
            ex.error = {"ErrorCategory": 1, "ErrorType": 206, "Retryable": False, "ErrorMessage": ex.reason}  # 206: Query timed out
        else:
            ex.state = "CANCELLED"
            ex.reason = "Query cancelled by user"
    except AthenaQueryError as err:
        ex.reason = err.message
        ex.error = {"ErrorCategory": err.error_category, "ErrorType": err.error_type, "Retryable": False,
                    "ErrorMessage": err.message}
        try:
            write_failure(ex.store, ex)
        except Exception:   # noqa: BLE001 - the reason file is a courtesy; the state is what matters
            log.warning("could not write the failure text of %s", ex.id)
        ex.state = "FAILED"   # after the reason file (as SUCCEEDED after the results): whoever sees it finds the file
    except Exception as exc:  # a broken query never takes the endpoint down
        log.exception("query %s crashed", ex.id)
        ex.state = "FAILED"
        ex.reason = f"GENERIC_INTERNAL_ERROR: {type(exc).__name__}: {exc}"
        ex.error = {"ErrorCategory": 1, "ErrorType": 401, "Retryable": False, "ErrorMessage": ex.reason}
    finally:
        timer.cancel()
        ex.engine_ms = ex.engine_ms or int((time.perf_counter() - t0) * 1000)
        ex.completed = time.time()


# --- describe -----------------------------------------------------------------------------------

def _describe(ex: Execution) -> dict:
    status = {"State": ex.state, "SubmissionDateTime": ex.submitted}
    if ex.completed:
        status["CompletionDateTime"] = ex.completed
    if ex.reason:
        status["StateChangeReason"] = ex.reason
    if ex.error:
        status["AthenaError"] = ex.error
    queue_ms = int(((ex.started or ex.completed or time.time()) - ex.submitted) * 1000)
    total_ms = int(((ex.completed or time.time()) - ex.submitted) * 1000)
    scanned = ex.result.data_scanned_bytes if ex.result else 0
    stats = {"EngineExecutionTimeInMillis": ex.engine_ms, "DataScannedInBytes": scanned,
             "TotalExecutionTimeInMillis": total_ms, "QueryQueueTimeInMillis": queue_ms,
             "ServicePreProcessingTimeInMillis": 0, "QueryPlanningTimeInMillis": 0,
             "ServiceProcessingTimeInMillis": max(0, total_ms - queue_ms - ex.engine_ms),
             "ResultReuseInformation": {"ReusedPreviousResult": False}}
    if ex.manifest:
        stats["DataManifestLocation"] = ex.manifest
    result_conf = {"OutputLocation": ex.output_uri}
    if ex.encryption:
        result_conf["EncryptionConfiguration"] = ex.encryption
    return {"QueryExecutionId": ex.id, "Query": ex.query, "StatementType": ex.statement_type,
            "SubstatementType": ex.substatement, "ResultConfiguration": result_conf,
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": {"Database": ex.database, "Catalog": ex.catalog},
            "Status": status, "Statistics": stats, "WorkGroup": ex.workgroup, "EngineVersion": ENGINE_VERSION}


@_answers_invalid_requests
def get_query_execution(request, ctx):
    return EngineResponse.json({"QueryExecution": _describe(_get(ctx, request.json().get("QueryExecutionId", "")))})


def batch_get_query_execution(request, ctx):
    found, missing = [], []
    for qid in request.json().get("QueryExecutionIds", []):
        ex = _state(ctx).executions.get(qid)
        if ex:
            found.append(_describe(ex))
        else:
            missing.append({"QueryExecutionId": qid, "ErrorCode": "INVALID_INPUT",
                            "ErrorMessage": f"QueryExecution {qid} was not found"})
    return EngineResponse.json({"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing})


@_answers_invalid_requests
def list_query_executions(request, ctx):
    body = request.json()
    wg = body.get("WorkGroup") or "primary"
    ids = [i for i in reversed(_state(ctx).order) if _state(ctx).executions[i].workgroup == wg]
    token = body.get("NextToken") or "0"
    if not token.isdigit():   # a token this endpoint never gave out, as in results_page
        raise RequestError(f"Malformed nextPageToken {token}", "INVALID_INPUT")
    start = int(token)
    size = min(int(body.get("MaxResults") or 50), 50)
    page = {"QueryExecutionIds": ids[start:start + size]}
    if start + size < len(ids):
        page["NextToken"] = str(start + size)
    return EngineResponse.json(page)


@_answers_invalid_requests
def stop_query_execution(request, ctx):
    ex = _get(ctx, request.json().get("QueryExecutionId", ""))
    ex.cancel.set()
    if ex.state == "QUEUED":
        ex.state, ex.completed = "CANCELLED", time.time()
    return EngineResponse.json({})


# --- results ------------------------------------------------------------------------------------

@_answers_invalid_requests
def get_query_results(request, ctx):
    body = request.json()
    return EngineResponse.json(results_page(_get(ctx, body.get("QueryExecutionId", "")), body))


# --- workgroups ----------------------------------------------------------------------------------

_REMOVABLE = {"RemoveOutputLocation": "OutputLocation", "RemoveEncryptionConfiguration": "EncryptionConfiguration",
              "RemoveExpectedBucketOwner": "ExpectedBucketOwner", "RemoveAclConfiguration": "AclConfiguration"}


def update_work_group(request, ctx):
    """UpdateWorkGroup (moto stores workgroups but cannot update them): ConfigurationUpdates are
    merged into the stored configuration the way Athena applies them."""
    from ...endpoint.moto import athena as moto_athena

    body = request.json()
    name = body.get("WorkGroup", "")
    current = ctx.call_moto(request, "GetWorkGroup", {"WorkGroup": name}).json().get("WorkGroup")
    if not current:
        raise EngineError("InvalidRequestException", f"WorkGroup {name} is not found.", 400)
    config = dict(current.get("Configuration") or {})
    updates = dict(body.get("ConfigurationUpdates") or {})
    result_updates = updates.pop("ResultConfigurationUpdates", None) or {}
    if result_updates:
        result = dict(config.get("ResultConfiguration") or {})
        for flag, key in _REMOVABLE.items():
            if result_updates.pop(flag, False):
                result.pop(key, None)
        result.update(result_updates)
        config["ResultConfiguration"] = result
    if updates.pop("RemoveBytesScannedCutoffPerQuery", False):
        config.pop("BytesScannedCutoffPerQuery", None)
    config.update(updates)
    state = body.get("State")
    if state not in (None, "ENABLED", "DISABLED"):
        raise EngineError("InvalidRequestException", f"Invalid workgroup state {state}", 400)
    moto_athena.update_athena_work_group(name, request.region, config, body.get("Description"), state)
    return EngineResponse.json({})


# --- metadata APIs over the Glue catalog ---------------------------------------------------------

def list_data_catalogs(request, ctx):
    return EngineResponse.json({"DataCatalogsSummary": [{"CatalogName": "AwsDataCatalog", "Type": "GLUE"}]})


def list_databases(request, ctx):
    dbs = ctx.catalog(request.region).list_databases()
    return EngineResponse.json({"DatabaseList": [{"Name": d["Name"], "Description": d.get("Description", ""),
                                                  "Parameters": d.get("Parameters", {})} for d in dbs]})


def get_database(request, ctx):
    name = request.json().get("DatabaseName", "")
    db = ctx.catalog(request.region).get_database(name)
    if db is None:
        raise EngineError("MetadataException", f"Database {name} not found.", 400)
    return EngineResponse.json({"Database": {"Name": db["Name"], "Description": db.get("Description", ""),
                                             "Parameters": db.get("Parameters", {})}})


def _table_metadata(t: dict) -> dict:
    sd = t.get("StorageDescriptor") or {}
    created = t.get("CreateTime")
    return {"Name": t["Name"], "CreateTime": created.timestamp() if isinstance(created, dt.datetime) else created,
            "TableType": t.get("TableType", "EXTERNAL_TABLE"),
            "Columns": [{"Name": c["Name"], "Type": c["Type"]} for c in sd.get("Columns", [])],
            "PartitionKeys": [{"Name": c["Name"], "Type": c["Type"]} for c in t.get("PartitionKeys", [])],
            "Parameters": {**t.get("Parameters", {}), **({"location": sd["Location"]} if sd.get("Location") else {})}}


def list_table_metadata(request, ctx):
    body = request.json()
    import fnmatch

    try:
        tables = ctx.catalog(request.region).list_tables(body.get("DatabaseName", ""))
    except Exception:
        raise EngineError("MetadataException", f"Database {body.get('DatabaseName')} not found.", 400) from None
    pattern = body.get("Expression")
    if pattern:
        tables = [t for t in tables if fnmatch.fnmatch(t["Name"], pattern.replace(".*", "*"))]
    return EngineResponse.json({"TableMetadataList": [_table_metadata(t) for t in tables]})


def get_table_metadata(request, ctx):
    body = request.json()
    table = ctx.catalog(request.region).get_table(body.get("DatabaseName", ""), body.get("TableName", ""))
    if table is None:
        raise EngineError("MetadataException", f"Table {body.get('TableName')} not found.", 400)
    return EngineResponse.json({"TableMetadata": _table_metadata(table)})
