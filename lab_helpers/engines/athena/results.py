"""Athena's statement kinds, result files and GetQueryResults pages (file names, .metadata, manifests, errors).

What Athena leaves in the output location depends on the statement (measured against Athena
engine v3 by the athena-local project, https://github.com/aoyagikouhei/athena-local):

| statement                      | OutputLocation       | files                                              |
|--------------------------------|----------------------|----------------------------------------------------|
| SELECT / WITH / VALUES         | ``<id>.csv``         | ``<id>.csv`` (header, quoted), ``<id>.csv.metadata`` |
| SHOW / DESCRIBE / EXPLAIN      | ``<id>.txt``         | ``<id>.txt`` (rows joined by ``\\n``), ``.txt.metadata`` |
| other DDL                      | ``<id>.txt``         | ``<id>.txt`` (0 bytes; the reason if it failed)    |
| CTAS                           | ``tables/<id>``      | ``tables/<id>.metadata``, ``tables/<id>-manifest.csv`` |
| INSERT INTO                    | ``<id>``             | ``<id>.metadata``, ``<id>-manifest.csv`` (rows > 0) |

A failed or cancelled Trino statement leaves nothing. The ``.metadata`` files Athena writes are
binary; the local ones are JSON with the column names and types (no client reads them).
"""
from __future__ import annotations

import json
import re
import uuid

from ...endpoint.registry import EngineResponse
from .query import LEADING_COMMENTS, QueryResult, result_csv, result_text_rows, strip_statement
from ..ports import split_s3_uri

WRITES = ("CREATE_TABLE_AS_SELECT", "INSERT")
NO_UPDATE_COUNT = ("DESCRIBE_TABLE", "EXPLAIN")
MAX_RESULTS = 1000


# --- statement kinds ----------------------------------------------------------------------------

_CTAS = re.compile(r"^CREATE\s+TABLE\b.*?\bAS\s*(?:\(\s*)?(?:SELECT|WITH|VALUES|TABLE)\b", re.I | re.S)
_KINDS = [(re.compile(rf"^{pattern}", re.I | re.S), kind, sub) for pattern, kind, sub in [
    (r"SHOW\s+CREATE\s+VIEW\b", "UTILITY", "SHOW_CREATE_VIEW"),
    (r"SHOW\s+CREATE\s+TABLE\b", "UTILITY", "SHOW_CREATE_TABLE"),
    (r"SHOW\s+TBLPROPERTIES\b", "UTILITY", "SHOW_TABLE_PROPERTIES"),
    (r"SHOW\s+(?:DATABASES|SCHEMAS)\b", "UTILITY", "SHOW_DATABASES"),
    (r"SHOW\s+TABLES\b", "UTILITY", "SHOW_TABLES"),
    (r"SHOW\s+VIEWS\b", "UTILITY", "SHOW_VIEWS"),
    (r"SHOW\s+COLUMNS\b", "UTILITY", "SHOW_COLUMNS"),
    (r"SHOW\s+PARTITIONS\b", "UTILITY", "SHOW_PARTITIONS"),
    (r"SHOW\b", "UTILITY", "SHOW"),
    (r"DESC(?:RIBE)?\b", "UTILITY", "DESCRIBE_TABLE"),
    (r"EXPLAIN\b", "UTILITY", "EXPLAIN"),
    (r"CREATE\s+(?:DATABASE|SCHEMA)\b", "DDL", "CREATE_DATABASE"),
    (r"DROP\s+(?:DATABASE|SCHEMA)\b", "DDL", "DROP_DATABASE"),
    (r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\b", "DDL", "CREATE_VIEW"),
    (r"DROP\s+VIEW\b", "DDL", "DROP_VIEW"),
    (r"DROP\s+TABLE\b", "DDL", "DROP_TABLE"),
    (r"ALTER\s+TABLE\s+\S+\s+ADD\s+(?:IF\s+NOT\s+EXISTS\s+)?PARTITION\b", "DDL", "ALTER_TABLE_ADD_PARTITION"),
    (r"ALTER\s+TABLE\s+\S+\s+DROP\s+(?:IF\s+EXISTS\s+)?PARTITION\b", "DDL", "ALTER_TABLE_DROP_PARTITION"),
    (r"ALTER\b", "DDL", "ALTER_TABLE"),
    (r"MSCK\b", "DDL", "MSCK_REPAIR_TABLE"),
    (r"CREATE\b", "DDL", "CREATE_TABLE"),
    (r"INSERT\b", "DML", "INSERT"),
    (r"UPDATE\b", "DML", "UPDATE"),
    (r"DELETE\b", "DML", "DELETE"),
    (r"MERGE\b", "DML", "MERGE"),
]]


def statement_kind(sql: str) -> tuple[str, str]:
    """(StatementType, SubstatementType), known before the statement runs. Athena reports CTAS as
    DDL / CREATE_TABLE_AS_SELECT (awswrangler relies on that), queries as DML / SELECT, and
    SHOW / DESCRIBE / EXPLAIN as UTILITY."""
    head = LEADING_COMMENTS.sub("", strip_statement(sql))
    if _CTAS.match(head):
        return "DDL", "CREATE_TABLE_AS_SELECT"
    for pattern, kind, sub in _KINDS:
        if pattern.match(head):
            return kind, sub
    return "DML", "SELECT"


class RequestError(Exception):
    """An InvalidRequestException with Athena's ``AthenaErrorCode`` member."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


def invalid_request(message: str, athena_code: str) -> EngineResponse:
    """The error response; botocore exposes the code as ``err.response["AthenaErrorCode"]``."""
    return EngineResponse.json({"__type": "InvalidRequestException", "Message": message, "message": message,
                                "AthenaErrorCode": athena_code}, status=400,
                               headers={"x-amzn-ErrorType": "InvalidRequestException",
                                        "x-amzn-RequestId": str(uuid.uuid4())})


def output_uri(output_location: str, query_id: str, statement_type: str, substatement: str) -> str:
    """``ResultConfiguration.OutputLocation`` of an execution (``output_location`` ends with ``/``)."""
    if substatement == "CREATE_TABLE_AS_SELECT":
        return f"{output_location}tables/{query_id}"
    if substatement == "INSERT":
        return f"{output_location}{query_id}"
    if statement_type == "DML":
        return f"{output_location}{query_id}.csv"
    return f"{output_location}{query_id}.txt"


# --- files --------------------------------------------------------------------------------------

def write_success(store, ex, result: QueryResult) -> str | None:
    """Write the files of a succeeded execution; returns the manifest URI when one was written."""
    bucket, key = split_s3_uri(ex.output_uri)
    meta = _metadata(ex, result)
    if ex.substatement in WRITES:
        store.put_object(bucket, key + ".metadata", meta, "application/octet-stream")
        if result.written:   # the Parquet/JSON/text files written, one s3:// URI per line
            store.put_object(bucket, key + "-manifest.csv", "".join(u + "\n" for u in result.written).encode(),
                             "application/octet-stream")
            return ex.output_uri + "-manifest.csv"
        return None
    store.put_object(bucket, key, result_csv(result), "application/octet-stream")
    if ex.statement_type != "DDL" or result.rows:
        store.put_object(bucket, key + ".metadata", meta, "application/octet-stream")
    return None


def write_failure(store, ex) -> None:
    """A failed Hive DDL statement (its reason starts ``FAILED:``) leaves the reason in ``<id>.txt``."""
    if ex.output_uri.endswith(".txt") and ex.reason.startswith("FAILED: "):
        bucket, key = split_s3_uri(ex.output_uri)
        store.put_object(bucket, key, ex.reason.encode(), "application/octet-stream")


def _metadata(ex, result: QueryResult) -> bytes:
    return json.dumps({"queryExecutionId": ex.id, "columns": [
        {"name": c["Name"], "type": c["Type"], "precision": c["Precision"], "scale": c["Scale"]}
        for c in column_infos(ex, result)]}).encode()


# --- GetQueryResults ----------------------------------------------------------------------------

_TYPE_INFO = {"decimal": (38, 0), "varchar": (2147483647, 0), "bigint": (19, 0), "integer": (10, 0),
              "smallint": (5, 0), "tinyint": (3, 0), "double": (17, 0), "real": (7, 0), "boolean": (0, 0),
              "date": (0, 0), "timestamp": (3, 0)}


def _info(name: str, athena_type: str, precision: int | None = None, scale: int | None = None) -> dict:
    base = athena_type.split("(")[0]
    default_precision, default_scale = _TYPE_INFO.get(base, (0, 0))
    return {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name,
            "Type": base, "Precision": default_precision if precision is None else precision,
            "Scale": default_scale if scale is None else scale, "Nullable": "UNKNOWN",
            "CaseSensitive": base == "varchar"}


def column_infos(ex, result: QueryResult) -> list[dict]:
    """ResultSetMetadata.ColumnInfo. CTAS and INSERT report one ``rows`` bigint column (and no rows);
    DDL without output reports none; a decimal's precision and scale come from the Arrow type."""
    if ex.substatement in WRITES:
        return [_info("rows", "bigint")]
    if ex.statement_type == "DDL" and not result.rows:
        return []
    fields = list(result.arrow.schema) if result.arrow is not None else []
    out = []
    for i, (name, athena_type) in enumerate(result.columns):
        arrow_type = fields[i].type if i < len(fields) else None
        if athena_type.startswith("decimal") and hasattr(arrow_type, "precision"):
            out.append(_info(name, athena_type, arrow_type.precision, arrow_type.scale))
        else:
            out.append(_info(name, athena_type))
    return out


def _text_rows(ex) -> list[list[str | None]]:
    """The result as GetQueryResults text (the same text as the result file), computed once."""
    with ex.lock:
        if ex.texts is None:
            ex.texts = [] if ex.substatement in WRITES else result_text_rows(ex.result)
        return ex.texts


def results_page(ex, body: dict) -> dict:
    """One GetQueryResults page, or RequestError with Athena's message and AthenaErrorCode."""
    max_results = int(body.get("MaxResults") or MAX_RESULTS)
    if max_results > MAX_RESULTS:
        raise RequestError(f"MaxResults is more than maximum allowed length {MAX_RESULTS}", "INVALID_INPUT")
    if ex.state in ("QUEUED", "RUNNING"):
        raise RequestError(f"Query has not yet finished. Current state: {ex.state}", "INVALID_QUERY_EXECUTION_STATE")
    if ex.state == "CANCELLED":
        raise RequestError("Could not find results", "RESULT_NOT_FOUND")
    if ex.state == "FAILED":
        if ex.reason.startswith("FAILED: "):   # Hive DDL: an empty result set, as Athena answers
            return {"ResultSet": {"Rows": []}}
        raise RequestError("Query did not finish successfully. Final query state: FAILED",
                           "INVALID_QUERY_EXECUTION_STATE")
    result = ex.result
    texts = _text_rows(ex)
    # SELECT-like results start with a header row (first page only); SHOW/DESCRIBE/DDL text has none.
    header = [[n for n, _ in result.columns]] if ex.output_uri.endswith(".csv") and result.columns else []
    total = len(header) + len(texts)
    token = body.get("NextToken") or "0"
    if not token.isdigit():
        raise RequestError(f"Malformed nextPageToken {token}", "INVALID_INPUT")
    start = int(token)
    end = min(start + max_results, total)
    rows = []
    for i in range(start, end):
        row = header[i] if i < len(header) else texts[i - len(header)]
        rows.append({"Data": [{} if v is None else {"VarCharValue": v} for v in row]})
    page = {"ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": column_infos(ex, result)}}}
    if ex.substatement in WRITES:
        page["UpdateCount"] = result.update_count or 0
    elif ex.statement_type != "DDL" and ex.substatement not in NO_UPDATE_COUNT:
        page["UpdateCount"] = 0
    if end < total:
        page["NextToken"] = str(end)
    return page
