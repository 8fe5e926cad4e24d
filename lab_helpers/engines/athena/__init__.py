"""athena: query executions on the local endpoint, executed for real by the DuckDB SQL core.

moto answers StartQueryExecution with an empty, instantly SUCCEEDED query. This engine owns
the execution lifecycle: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED on worker threads;
statements Athena's parser rejects are refused in StartQueryExecution (InvalidRequestException,
MALFORMED_QUERY) as on AWS. When a query completes, its result files are in the output location
the way Athena leaves them (``<id>.csv`` + ``.metadata`` for queries, ``<id>.txt`` for SHOW/DDL,
a ``-manifest.csv`` of the data files for CTAS and INSERT INTO; see ``results``), so
awswrangler and PyAthena read them directly. GetQueryResults pages with a header row and typed
ColumnInfo; Statistics are real (engine time, DataScannedInBytes); workgroup result locations
(EnforceWorkGroupConfiguration honoured), Stop/Batch/List calls, and the Athena metadata APIs
(ListDatabases, ListTableMetadata, …) over the Glue catalog. Workgroups are stored by moto
(Create/Get/List/Delete); UpdateWorkGroup, which moto lacks, is done here.

Queries run on the engine platform's job table: 4 workers for statements that read tables and a
lane of 2 for light ones (DDL, SHOW/DESCRIBE, a SELECT without FROM), so ``SELECT 1`` never waits
behind long scans; a query running over 30 minutes (Athena's DML default) FAILS with
"Query timeout" (AthenaError 1/206). Queries read and write S3 as their caller (iam_lite applies KMS
key policies). SQL runs in the platform's DuckDB sandbox (no host files, no network; table
functions such as ``read_csv`` are refused as FUNCTION_NOT_FOUND).

LIMITATIONS: see ``sql`` for SQL coverage. Executions live in memory (cleared by
reset); no result reuse; a small SELECT over a table still queues behind four runaway table scans
(until one ends, is stopped or times out); the timeout is not configurable per workgroup; of the workgroup's data usage controls only the per-query
limit (BytesScannedCutoffPerQuery) is enforced, workgroup-wide limits are not; no
prepared statements or ExecutionParameters beyond simple ``?`` substitution; ``.metadata``
files are JSON, not Athena's binary format.

Handlers are ``module:function`` strings, imported on first use, so the endpoint starts fast.
"""
HANDLERS = {("athena", op): f"{__name__}.api:{fn}" for op, fn in (
    ("StartQueryExecution", "start_query_execution"), ("GetQueryExecution", "get_query_execution"),
    ("BatchGetQueryExecution", "batch_get_query_execution"), ("ListQueryExecutions", "list_query_executions"),
    ("StopQueryExecution", "stop_query_execution"), ("GetQueryResults", "get_query_results"),
    ("ListDataCatalogs", "list_data_catalogs"), ("ListDatabases", "list_databases"),
    ("GetDatabase", "get_database"), ("ListTableMetadata", "list_table_metadata"),
    ("GetTableMetadata", "get_table_metadata"), ("UpdateWorkGroup", "update_work_group"))}
GUARDS: dict = {}
