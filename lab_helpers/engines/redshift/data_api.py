"""redshift-data: the Data API's statement lifecycle over the warehouses.

ExecuteStatement / BatchExecuteStatement queue the SQL on ``ctx.jobs("redshift")``; a statement moves
SUBMITTED → PICKED → STARTED → FINISHED | FAILED | ABORTED (CancelStatement interrupts DuckDB).
A batch runs in one transaction and its sub-statements are ``<id>:1``, ``<id>:2``…; after a failure
the rest are ABORTED and everything is rolled back. DescribeStatement reports Duration in
nanoseconds, ResultRows, HasResultSet and Redshift's error text; GetStatementResult pages typed
Records with ColumnMetadata (Postgres type names), GetStatementResultV2 CSV. The metadata calls are
in ``metadata``.
"""
from __future__ import annotations

import csv
import io
import json
import threading
import time

from ...endpoint.registry import EngineError, EngineResponse
from ..platform.jobs import Job
from .errors import RedshiftError
from .sqltext import split_statements
from .state import Statement, SubStatement, new_id, state
from .types import column_metadata, data_api_cell, text_value

WORKERS = 4
PAGE_ROWS = 10_000          # records per GetStatementResult page (AWS pages by size, ~100 MB)
FINAL = ("FINISHED", "FAILED", "ABORTED")
# DescribeStatement of a statement still running answers when it ends or after this long, whichever
# comes first (a bounded long poll): a client polling a fast statement sees FINISHED on its first
# call instead of sleeping between polls, and a slow one is still seen SUBMITTED/PICKED/STARTED.
DESCRIBE_WAIT_S = 0.1


# --- where a statement runs --------------------------------------------------------------------

def _target(request, ctx, p: dict):
    st = state(ctx)
    wg, cluster = p.get("WorkgroupName"), p.get("ClusterIdentifier")
    if wg and cluster:
        raise EngineError("ValidationException", "Specify either WorkgroupName or ClusterIdentifier, not both.")
    if not wg and not cluster:
        raise EngineError("ValidationException", "Either WorkgroupName or ClusterIdentifier must be specified.")
    target = st.workgroup_target(wg, request.region) if wg else st.cluster_target(cluster, request.region)
    user = _user(request, ctx, target, p)
    database = p.get("Database") or (user[1] if user[1] else None)
    if not database:
        raise EngineError("ValidationException", "Database must be specified (or stored as dbname in the secret).")
    return target, user[0], database.lower()


def _user(request, ctx, target, p: dict) -> tuple[str, str | None]:
    """(database user, database named by the secret)."""
    if p.get("SecretArn"):
        sm = ctx.client("secretsmanager", request.region)
        try:
            secret = json.loads(sm.get_secret_value(SecretId=p["SecretArn"])["SecretString"])
        except Exception:   # noqa: BLE001 - missing secret or not JSON
            raise EngineError("ValidationException", f"The secret {p['SecretArn']} could not be read as a JSON "
                                                     "object with username and password.") from None
        if "username" not in secret or "password" not in secret:
            raise EngineError("ValidationException", "The secret must hold username and password keys.")
        if target.password is not None and secret["username"] == target.admin_user and \
                secret["password"] != target.password:
            raise EngineError("ValidationException", f"password authentication failed for user \"{secret['username']}\"")
        return secret["username"], secret.get("dbname")
    if p.get("DbUser"):
        return p["DbUser"], None
    if target.kind == "cluster":
        raise EngineError("ValidationException", "Either SecretArn or DbUser must be specified for a provisioned "
                                                 "cluster.")
    from .serverless import _caller_name

    return "IAM:" + _caller_name(request), None


# --- execute -------------------------------------------------------------------------------------

def _params(p: dict) -> dict | None:
    params = p.get("Parameters")
    if not params:
        return None
    out = {}
    for item in params:
        out[item["name"]] = item["value"]
    return out


def execute_statement(request, ctx):
    p = request.json()
    sql = p.get("Sql") or ""
    if not sql.strip():
        raise EngineError("ValidationException", "Sql must not be empty.")
    if len(split_statements(sql)) > 1:
        raise EngineError("ValidationException", "ExecuteStatement runs one SQL statement; use "
                                                 "BatchExecuteStatement for several.")
    return _submit(request, ctx, p, [sql], batch=False)


def batch_execute_statement(request, ctx):
    p = request.json()
    sqls = p.get("Sqls") or []
    if not sqls or len(sqls) > 40:
        raise EngineError("ValidationException", "Sqls must hold 1 to 40 statements.")
    if p.get("Parameters"):
        raise EngineError("ValidationException", "Parameters are not supported by BatchExecuteStatement.")
    return _submit(request, ctx, p, sqls, batch=True)


def _submit(request, ctx, p: dict, sqls: list[str], batch: bool):
    target, user, database = _target(request, ctx, p)
    st = state(ctx)
    sid = new_id()
    subs = [SubStatement(f"{sid}:{i + 1}" if batch else sid, sql) for i, sql in enumerate(sqls)]
    stmt = Statement(sid, subs, batch, target, database, user, p.get("SecretArn"), p.get("StatementName"),
                     p.get("Parameters"), (p.get("ResultFormat") or "JSON").upper())
    with st.lock:
        st.statements[sid] = stmt
        st.order.append(sid)
    params = _params(p)
    job = Job(id=sid, kind="statement")
    stmt.job = job
    ctx.jobs("redshift", workers=WORKERS).submit(lambda j: _run(st, stmt, params, j), job=job)
    out = {"Id": sid, "CreatedAt": stmt.created, "Database": database, "DbUser": user,
           ("WorkgroupName" if target.kind == "workgroup" else "ClusterIdentifier"): target.name}
    if stmt.secret_arn:
        out["SecretArn"] = stmt.secret_arn
    if target.kind == "cluster":
        out["DbGroups"] = []
    return EngineResponse.json(out)


def _run(st, stmt: Statement, params: dict | None, job: Job) -> None:
    stmt.status = "PICKED"
    stmt.updated = time.time()
    session = warehouse = None
    finished = threading.Event()
    unhook = None
    try:
        try:
            warehouse = st.warehouse(stmt.target, stmt.database)
            session = warehouse.borrow(stmt.db_user)
        except RedshiftError as e:
            raise RedshiftError(e.message if e.sqlstate != "3D000" else f'database "{stmt.database}" does not exist',
                                e.sqlstate) from None
        stmt.pid = session.pid
        unhook = job.on_cancel(lambda s=session: s.keep_interrupting(finished))
        stmt.status, stmt.updated = "STARTED", time.time()
        t0 = time.perf_counter_ns()
        if stmt.is_batch:
            _run_batch(session, stmt, job)
        else:
            sub = stmt.subs[0]
            job.check_cancelled()
            sub.status = "STARTED"
            sub.result = session.execute(sub.sql, params)
            sub.query_id = sub.result.query_id
            sub.status = "FINISHED"
        stmt.duration_ns = time.perf_counter_ns() - t0
        stmt.status = "ABORTED" if job.cancelled else "FINISHED"
        if not stmt.is_batch:
            stmt.subs[0].duration_ns = stmt.duration_ns
    except RedshiftError as e:
        aborted = job.cancelled or e.sqlstate == "57014"
        stmt.status = "ABORTED" if aborted else "FAILED"
        stmt.error = "Query cancelled on user's request" if aborted else (
            e.text.replace("ERROR:", "FATAL:", 1) if e.sqlstate == "3D000" else e.text)
        for sub in stmt.subs:
            if sub.status not in FINAL:
                sub.status = stmt.status if sub is _current(stmt) else "ABORTED"
                if sub.status == "FAILED":
                    sub.error = stmt.error
    except Exception as e:   # noqa: BLE001 - a crashed statement fails; the endpoint stays up
        stmt.status = "FAILED"
        stmt.error = f"ERROR: the local Redshift engine failed: {type(e).__name__}: {e}"
        for sub in stmt.subs:
            if sub.status not in FINAL:
                sub.status = "FAILED" if sub is _current(stmt) else "ABORTED"
    finally:
        finished.set()
        stmt.updated = time.time()
        for sub in stmt.subs:
            sub.updated = stmt.updated
        if stmt.duration_ns < 0:
            stmt.duration_ns = int((stmt.updated - stmt.created) * 1e9)
        if unhook is not None:
            unhook()
        if session is not None:
            # An untouched session serves the next statement (no new DuckDB connection to set up).
            warehouse.give_back(session, stmt.status == "FINISHED" and not job.cancelled)


def _current(stmt: Statement):
    return next((s for s in stmt.subs if s.status == "STARTED"), None)


def _run_batch(session, stmt: Statement, job: Job) -> None:
    session.execute("BEGIN")
    try:
        for sub in stmt.subs:
            job.check_cancelled()
            sub.status = "STARTED"
            t0 = time.perf_counter_ns()
            sub.result = session.execute(sub.sql)
            sub.duration_ns = time.perf_counter_ns() - t0
            sub.query_id = sub.result.query_id
            sub.status = "FINISHED"
    except BaseException:
        session.execute("ROLLBACK")
        for sub in stmt.subs:
            if sub.status == "FINISHED":
                sub.status = "ABORTED"   # rolled back with the batch
        raise
    session.execute("COMMIT")


# --- describe / list / cancel ------------------------------------------------------------------------

def _get(ctx, sid: str) -> tuple[Statement, SubStatement | None]:
    st = state(ctx)
    base, _, n = sid.partition(":")
    stmt = st.statements.get(base)
    if stmt is None or (n and not (n.isdigit() and 1 <= int(n) <= len(stmt.subs) and stmt.is_batch)):
        raise EngineError("ResourceNotFoundException", "Query does not exist.", 400)
    return stmt, (stmt.subs[int(n) - 1] if n else None)


def _wait(stmt: Statement, p: dict, default: float = 0.0) -> None:
    wait = min(int(p.get("WaitTimeSeconds") or 0), 60) or default
    if wait and stmt.job is not None and stmt.status not in FINAL:
        stmt.job.wait(wait)


def _sub_view(sub: SubStatement) -> dict:
    result = sub.result
    out = {"Id": sub.id, "QueryString": sub.sql, "Status": sub.status, "CreatedAt": sub.created,
           "UpdatedAt": sub.updated, "Duration": sub.duration_ns, "HasResultSet": bool(result and result.has_result_set),
           "ResultRows": result.row_count if result else (-1 if sub.status != "FINISHED" else 0),
           "ResultSize": _size(result), "RedshiftQueryId": sub.query_id}
    if sub.error:
        out["Error"] = sub.error
    return out


def _size(result) -> int:
    if result is None or result.table is None:
        return 0
    return int(result.table.nbytes)


def describe_statement(request, ctx):
    p = request.json()
    stmt, sub = _get(ctx, p["Id"])
    _wait(stmt, p, DESCRIBE_WAIT_S)
    if sub is not None:
        return EngineResponse.json({**_sub_view(sub), "Database": stmt.database, "DbUser": stmt.db_user})
    first = stmt.subs[0]
    result = first.result if not stmt.is_batch else None
    out = {"Id": stmt.id, "Status": stmt.status, "QueryString": first.sql if not stmt.is_batch else "",
           "CreatedAt": stmt.created, "UpdatedAt": stmt.updated, "Duration": stmt.duration_ns,
           "Database": stmt.database, "DbUser": stmt.db_user, "RedshiftPid": stmt.pid,
           "HasResultSet": bool(result and result.has_result_set) if not stmt.is_batch
           else any(s.result is not None and s.result.has_result_set for s in stmt.subs),
           "ResultRows": (result.row_count if result else -1) if not stmt.is_batch
           else sum(s.result.row_count for s in stmt.subs if s.result),
           "ResultSize": _size(result), "RedshiftQueryId": first.query_id, "ResultFormat": stmt.result_format,
           ("WorkgroupName" if stmt.target.kind == "workgroup" else "ClusterIdentifier"): stmt.target.name}
    if stmt.secret_arn:
        out["SecretArn"] = stmt.secret_arn
    if stmt.params:
        out["QueryParameters"] = stmt.params
    if stmt.error:
        out["Error"] = stmt.error
    if stmt.is_batch:
        out["SubStatements"] = [_sub_view(s) for s in stmt.subs]
    return EngineResponse.json(out)


def cancel_statement(request, ctx):
    stmt, _ = _get(ctx, request.json()["Id"])
    if stmt.status in FINAL:
        raise EngineError("ValidationException", f"Could not cancel a query that is already in {stmt.status} status.")
    ctx.jobs("redshift", workers=WORKERS).cancel(stmt.id)
    stmt.job.wait(30)
    if stmt.status not in FINAL:
        stmt.status = "ABORTED"
    return EngineResponse.json({"Status": True})


def list_statements(request, ctx):
    p = request.json()
    st = state(ctx)
    status = (p.get("Status") or "ALL").upper()
    name = p.get("StatementName")
    items = []
    for sid in reversed(st.order):
        stmt = st.statements[sid]
        if status != "ALL" and stmt.status != status:
            continue
        if name and not (stmt.name or "").startswith(name):
            continue
        if p.get("WorkgroupName") and stmt.target.name != p["WorkgroupName"]:
            continue
        if p.get("ClusterIdentifier") and stmt.target.name != p["ClusterIdentifier"]:
            continue
        if p.get("Database") and stmt.database != p["Database"].lower():
            continue
        item = {"Id": stmt.id, "Status": stmt.status, "CreatedAt": stmt.created, "UpdatedAt": stmt.updated,
                "IsBatchStatement": stmt.is_batch, "ResultFormat": stmt.result_format}
        if stmt.is_batch:
            item["QueryStrings"] = [s.sql for s in stmt.subs]
        else:
            item["QueryString"] = stmt.subs[0].sql
        if stmt.name:
            item["StatementName"] = stmt.name
        if stmt.secret_arn:
            item["SecretArn"] = stmt.secret_arn
        if stmt.params:
            item["QueryParameters"] = stmt.params
        items.append(item)
    start = int(p.get("NextToken") or 0)
    size = int(p.get("MaxResults") or 100)
    out = {"Statements": items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return EngineResponse.json(out)


# --- results -----------------------------------------------------------------------------------------

def _finished_result(ctx, p: dict):
    stmt, sub = _get(ctx, p["Id"])
    _wait(stmt, p)
    if sub is None and stmt.is_batch:
        raise EngineError("ValidationException", "Get the result of a batch sub-statement by its id (<id>:N).")
    sub = sub or stmt.subs[0]
    if sub.status != "FINISHED" or stmt.status == "FAILED":
        raise EngineError("ResourceNotFoundException", "Query does not have result. Please check query status with "
                                                       "DescribeStatement.", 400)
    if sub.result is None or not sub.result.has_result_set:
        raise EngineError("ResourceNotFoundException", "Query does not have result. Please check query status with "
                                                       "DescribeStatement.", 400)
    return stmt, sub.result


def _metadata(result) -> list[dict]:
    return [column_metadata(n, t) for n, t in zip(result.names, result.types)]


def get_statement_result(request, ctx):
    p = request.json()
    stmt, result = _finished_result(ctx, p)
    if stmt.result_format == "CSV":
        raise EngineError("ValidationException", "The statement's ResultFormat is CSV: use GetStatementResultV2.")
    start = int(p.get("NextToken") or 0)
    page = result.table.slice(start, PAGE_ROWS)
    types = result.types
    records = [[data_api_cell(v, t) for v, t in zip(row, types)]
               for row in zip(*[c.to_pylist() for c in page.columns])] if page.num_columns else []
    out = {"Records": records, "ColumnMetadata": _metadata(result), "TotalNumRows": result.table.num_rows}
    if start + PAGE_ROWS < result.table.num_rows:
        out["NextToken"] = str(start + PAGE_ROWS)
    return EngineResponse.json(out)


def get_statement_result_v2(request, ctx):
    p = request.json()
    stmt, result = _finished_result(ctx, p)
    if stmt.result_format != "CSV":
        raise EngineError("ValidationException", "The statement's ResultFormat is JSON: use GetStatementResult "
                                                 "(or execute it with ResultFormat='CSV').")
    start = int(p.get("NextToken") or 0)
    page = result.table.slice(start, PAGE_ROWS)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in zip(*[c.to_pylist() for c in page.columns]):
        writer.writerow(["" if v is None else text_value(v) for v in row])
    out = {"Records": [{"CSVRecords": buf.getvalue()}], "ColumnMetadata": _metadata(result),
           "TotalNumRows": result.table.num_rows, "ResultFormat": "CSV"}
    if start + PAGE_ROWS < result.table.num_rows:
        out["NextToken"] = str(start + PAGE_ROWS)
    return EngineResponse.json(out)
