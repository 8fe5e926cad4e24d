"""athena: query executions on the local endpoint, executed for real by the DuckDB SQL core.

moto answers StartQueryExecution with an empty, instantly SUCCEEDED query. This engine owns
the execution lifecycle: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED on worker threads,
the result CSV (``<OutputLocation>/<id>.csv`` or ``.txt``) and its ``.metadata`` written when
the query completes (awswrangler and PyAthena read that file directly), GetQueryResults paging
with a header row and typed ColumnInfo, real Statistics (engine time, DataScannedInBytes),
workgroup result locations (EnforceWorkGroupConfiguration honoured), Stop/Batch/List calls,
and the Athena metadata APIs (ListDatabases, ListTableMetadata, …) over the Glue catalog.
Workgroups themselves (Create/Get/List/Update) stay in moto.

LIMITATIONS: see ``athena_sql`` for SQL coverage. Executions live in memory (cleared by
reset); no result reuse, no query queue limits, no per-query data usage limits, no
prepared statements or ExecutionParameters beyond simple ``?`` substitution.
"""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from ..endpoint.registry import EngineError, EngineResponse
from .athena_sql import (AthenaQueryError, AthenaSQLEngine, AthenaSyntaxError, QueryCancelled, QueryResult,
                         check_syntax, result_csv, result_text_rows)
from .ports import split_s3_uri

log = logging.getLogger("labkit.athena")
WORKERS = 4
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
    reason: str = ""
    error: dict | None = None
    started: float | None = None
    completed: float | None = None
    result: QueryResult | None = None
    engine_ms: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    encryption: dict | None = None
    texts: list | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class _State:
    def __init__(self, ctx):
        self.lock = threading.Lock()
        self.executions: dict[str, Execution] = {}
        self.order: list[str] = []
        self.pool = concurrent.futures.ThreadPoolExecutor(WORKERS, thread_name_prefix="athena")
        self.engines: dict[str, AthenaSQLEngine] = {}
        self.ctx = ctx

    def engine(self, region: str) -> AthenaSQLEngine:
        with self.lock:
            if region not in self.engines:
                self.engines[region] = AthenaSQLEngine(self.ctx.catalog(region), self.ctx.store(region),
                                                       work_dir=str(self.ctx.home / "cache" / "athena"))
            return self.engines[region]

    def shutdown(self) -> None:
        for ex in self.executions.values():
            ex.cancel.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        for engine in self.engines.values():
            engine.close()  # DuckDB connections left open leak at interpreter exit


def _state(ctx) -> _State:
    return ctx.state("athena", lambda: _State(ctx))


def _get(ctx, execution_id: str) -> Execution:
    ex = _state(ctx).executions.get(execution_id)
    if ex is None:
        raise EngineError("InvalidRequestException", f"QueryExecution {execution_id} was not found", 400)
    return ex


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
        raise EngineError("InvalidRequestException",
                          "No output location provided. An output location is required either through the Workgroup "
                          "result configuration setting or as an API input.", 400)
    try:
        check_syntax(query)
    except AthenaSyntaxError as err:
        return _invalid_request(err.message, "MALFORMED_QUERY")
    context = body.get("QueryExecutionContext") or {}
    ex = Execution(
        id=str(uuid.uuid4()), query=query, database=context.get("Database") or "default",
        catalog=context.get("Catalog") or "AwsDataCatalog", workgroup=wg_name,
        output_location=output if output.endswith("/") else output + "/", submitted=time.time(),
        encryption=chosen.get("EncryptionConfiguration"))
    state = _state(ctx)
    with state.lock:
        state.executions[ex.id] = ex
        state.order.append(ex.id)
    state.pool.submit(_run, ctx, request.region, ex)
    return EngineResponse.json({"QueryExecutionId": ex.id})


def _invalid_request(message: str, athena_code: str) -> EngineResponse:
    """InvalidRequestException with Athena's extra ``AthenaErrorCode`` member (botocore exposes it
    as ``err.response["AthenaErrorCode"]``)."""
    return EngineResponse.json({"__type": "InvalidRequestException", "Message": message, "message": message,
                                "AthenaErrorCode": athena_code}, status=400,
                               headers={"x-amzn-ErrorType": "InvalidRequestException",
                                        "x-amzn-RequestId": str(uuid.uuid4())})


def _run(ctx, region: str, ex: Execution) -> None:
    if ex.cancel.is_set():
        ex.state, ex.completed = "CANCELLED", time.time()
        return
    ex.state, ex.started = "RUNNING", time.time()
    t0 = time.perf_counter()
    try:
        result = _state(ctx).engine(region).execute(
            ex.query, database=ex.database, catalog_name=ex.catalog, query_id=ex.id,
            default_ctas_location=f"{ex.output_location}tables/{ex.id}/", cancel=ex.cancel)
        ex.engine_ms = int((time.perf_counter() - t0) * 1000)
        ex.statement_type = result.statement_type
        _write_result_file(ctx, region, ex, result)
        ex.result = result
        ex.state = "SUCCEEDED"
    except QueryCancelled:
        ex.state = "CANCELLED"
        ex.reason = "Query cancelled by user"
    except AthenaQueryError as err:
        ex.state, ex.reason = "FAILED", err.message
        ex.error = {"ErrorCategory": err.error_category, "ErrorType": err.error_type, "Retryable": False,
                    "ErrorMessage": err.message}
    except Exception as exc:  # a broken query never takes the endpoint down
        log.exception("query %s crashed", ex.id)
        ex.state = "FAILED"
        ex.reason = f"GENERIC_INTERNAL_ERROR: {type(exc).__name__}: {exc}"
        ex.error = {"ErrorCategory": 1, "ErrorType": 401, "Retryable": False, "ErrorMessage": ex.reason}
    finally:
        ex.engine_ms = ex.engine_ms or int((time.perf_counter() - t0) * 1000)
        ex.completed = time.time()


def _result_key(ex: Execution, result: QueryResult | None = None) -> str:
    ext = "txt" if (result and result.output_format == "txt") else "csv"
    return f"{ex.output_location}{ex.id}.{ext}"


def _write_result_file(ctx, region: str, ex: Execution, result: QueryResult) -> None:
    uri = _result_key(ex, result)
    bucket, key = split_s3_uri(uri)
    store = ctx.store(region)
    store.put_object(bucket, key, result_csv(result), "text/csv" if uri.endswith(".csv") else "text/plain")
    meta = json.dumps({"columns": [{"name": c["Name"], "type": c["Type"], "precision": c["Precision"],
                                    "scale": c["Scale"]} for c in column_infos(result)]}).encode()
    store.put_object(bucket, key + ".metadata", meta, "application/octet-stream")


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
    stats = {"EngineExecutionTimeInMillis": ex.engine_ms, "DataScannedInBytes": ex.result.data_scanned_bytes if ex.result else 0,
             "TotalExecutionTimeInMillis": total_ms, "QueryQueueTimeInMillis": queue_ms,
             "ServicePreProcessingTimeInMillis": 0, "QueryPlanningTimeInMillis": 0,
             "ServiceProcessingTimeInMillis": max(0, total_ms - queue_ms - ex.engine_ms),
             "ResultReuseInformation": {"ReusedPreviousResult": False}}
    result_conf = {"OutputLocation": _result_key(ex, ex.result)}
    if ex.encryption:
        result_conf["EncryptionConfiguration"] = ex.encryption
    return {"QueryExecutionId": ex.id, "Query": ex.query, "StatementType": ex.statement_type,
            "ResultConfiguration": result_conf,
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": {"Database": ex.database, "Catalog": ex.catalog},
            "Status": status, "Statistics": stats, "WorkGroup": ex.workgroup, "EngineVersion": ENGINE_VERSION}


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


def list_query_executions(request, ctx):
    body = request.json()
    wg = body.get("WorkGroup") or "primary"
    ids = [i for i in reversed(_state(ctx).order) if _state(ctx).executions[i].workgroup == wg]
    start = int(body.get("NextToken") or 0)
    size = min(int(body.get("MaxResults") or 50), 50)
    page = {"QueryExecutionIds": ids[start:start + size]}
    if start + size < len(ids):
        page["NextToken"] = str(start + size)
    return EngineResponse.json(page)


def stop_query_execution(request, ctx):
    ex = _get(ctx, request.json().get("QueryExecutionId", ""))
    ex.cancel.set()
    if ex.state == "QUEUED":
        ex.state, ex.completed = "CANCELLED", time.time()
    return EngineResponse.json({})


# --- results ------------------------------------------------------------------------------------

_TYPE_INFO = {"decimal": (38, 0), "varchar": (2147483647, 0), "bigint": (19, 0), "integer": (10, 0),
              "smallint": (5, 0), "tinyint": (3, 0), "double": (17, 0), "real": (7, 0), "boolean": (0, 0),
              "date": (0, 0), "timestamp": (3, 0)}


def column_infos(result: QueryResult) -> list[dict]:
    """ResultSetMetadata.ColumnInfo; a decimal's precision and scale come from the result's Arrow type."""
    fields = list(result.arrow.schema) if result.arrow is not None else []
    out = []
    for i, (name, athena_type) in enumerate(result.columns):
        base = athena_type.split("(")[0]
        precision, scale = _TYPE_INFO.get(base, (0, 0))
        arrow_type = fields[i].type if i < len(fields) else None
        if base == "decimal" and arrow_type is not None and hasattr(arrow_type, "precision"):
            precision, scale = arrow_type.precision, arrow_type.scale
        out.append({"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name,
                    "Type": base, "Precision": precision, "Scale": scale, "Nullable": "UNKNOWN",
                    "CaseSensitive": base == "varchar"})
    return out


def _text_rows(ex: Execution) -> list[list[str | None]]:
    """The result as GetQueryResults text (same text as the result file), computed once per query."""
    with ex.lock:
        if ex.texts is None:
            ex.texts = result_text_rows(ex.result)
        return ex.texts


def get_query_results(request, ctx):
    body = request.json()
    ex = _get(ctx, body.get("QueryExecutionId", ""))
    if ex.state in ("QUEUED", "RUNNING"):
        raise EngineError("InvalidRequestException", f"Query has not yet finished. Current state: {ex.state}", 400)
    if ex.state != "SUCCEEDED":
        raise EngineError("InvalidRequestException", f"Query did not succeed. Current state: {ex.state}. "
                          f"{ex.reason}".strip(), 400)
    max_results = int(body.get("MaxResults") or 1000)
    if not 1 <= max_results <= 1000:
        raise EngineError("InvalidRequestException",
                          "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
                          "Member must have value less than or equal to 1000", 400)
    result = ex.result
    texts = _text_rows(ex)
    # SELECT-like results start with a header row (first page only); SHOW/DESCRIBE/DDL text has none.
    header = [[n for n, _ in result.columns]] if result.output_format == "csv" and result.columns else []
    all_rows = len(header) + len(texts)
    try:
        start = int(body.get("NextToken") or 0)
    except ValueError:
        raise EngineError("InvalidRequestException", "The NextToken is not valid", 400) from None
    end = min(start + max_results, all_rows)
    out = []
    for i in range(start, end):
        row = header[i] if i < len(header) else texts[i - len(header)]
        out.append({"Data": [{} if v is None else {"VarCharValue": v} for v in row]})
    response = {"ResultSet": {"Rows": out, "ResultSetMetadata": {"ColumnInfo": column_infos(result)}},
                "UpdateCount": result.update_count or 0}
    if end < all_rows:
        response["NextToken"] = str(end)
    return EngineResponse.json(response)


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
