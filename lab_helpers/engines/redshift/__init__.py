"""redshift: Amazon Redshift Serverless and the Redshift Data API, executed for real on DuckDB.

moto answers redshift-data with a canned three-row table whose status never leaves STARTED, and has
no redshift-serverless at all. This engine owns both:

- **redshift-serverless** (``serverless``): namespaces and workgroups — Create/Get/List/Update/Delete,
  CREATING → AVAILABLE / MODIFYING / DELETING, the endpoint address and port (the workgroup's
  PostgreSQL wire port on loopback, ``pgwire``), admin user and password or a Secrets Manager secret,
  IAM roles and the default role, GetCredentials. Kept in ``<home>/redshift/control.json``.
- **redshift-data** (``data_api``): ExecuteStatement (WorkgroupName or a moto ClusterIdentifier,
  Database, DbUser / SecretArn / the caller's IAM identity, ``:name`` Parameters, ResultFormat),
  BatchExecuteStatement (one transaction, sub-statements ``<id>:N``), DescribeStatement (SUBMITTED →
  PICKED → STARTED → FINISHED | FAILED | ABORTED, Duration in ns, ResultRows, HasResultSet, Redshift's
  error text), GetStatementResult (typed Records, ColumnMetadata with Postgres type names, paging),
  GetStatementResultV2 (CSV), ListStatements, CancelStatement (interrupts DuckDB), ListDatabases,
  ListSchemas, ListTables, DescribeTable. Statements run on ``ctx.jobs("redshift")``.
- **SQL** (``warehouse`` + ``dialect``, ``ddl``, ``spectrum``, ``load``, ``system``): one sandboxed
  DuckDB file per workgroup/cluster + database under the workspace (tables survive ``labkit down``/
  ``up``; an endpoint reset wipes them); Redshift SQL parsed by sqlglot (``read="redshift"``) with the kit's own handling of
  CREATE EXTERNAL SCHEMA, COPY, UNLOAD, materialized and late-binding views; Spectrum reads S3
  through the Athena engine's scan layer **as the external schema's IAM role** (iam_lite applies KMS
  key policies), reading only the partitions a WHERE on partition columns selects
  (SYS_EXTERNAL_QUERY_DETAIL shows partitions and files per scan); Redshift's error texts; SVV_/STL_/SYS_
  system views and PG_TABLE_DEF. A query's DuckDB SQL is kept per warehouse until the catalog changes,
  Data API statements reuse sessions no statement changed, and DescribeStatement of a running
  statement answers when it ends (at most 0.1 s later: a bounded long poll; statuses stay real).

LIMITATIONS:
- DuckDB semantics underneath: no distribution, slices or sort order (DISTSTYLE, DISTKEY, SORTKEY,
  ENCODE and IDENTITY are accepted and recorded — SVV_TABLE_INFO, PG_TABLE_DEF show them — but change
  nothing); VARCHAR lengths are not enforced; AVG of integers is not truncated; integer division by zero
  gives NULL instead of an error; the serializable
  isolation errors Redshift raises are DuckDB's conflicts, worded as Redshift's.
- Not emulated: users, groups and GRANT/REVOKE (accepted, no effect), stored procedures, UDFs,
  data sharing, CREATE EXTERNAL TABLE (create the table in Glue), writing to external tables,
  federated queries, Redshift ML, SUPER/PartiQL navigation, COPY from ORC/Avro/fixed-width/JSONPaths,
  BZIP2/LZOP, cross-database queries, query monitoring rules, sessions kept alive across Data API
  calls (SessionId). Spectrum prunes partitions only on WHERE/inner-join conjuncts that name partition
  columns alone (as the Athena engine does); anything else reads every partition (same results).
- The wire port (``pgwire``, pg-mimic) speaks the PostgreSQL v3 protocol without TLS (clients pass
  ``sslmode=disable`` / ``ssl=False``); MD5 password logins only (no IAM plugin login in the driver: get
  temporary credentials with GetCredentials); an unknown database is reported by the first statement,
  not at connect; SAVEPOINT/RELEASE are accepted and do nothing (Redshift has none; drivers send
  them), ROLLBACK TO SAVEPOINT is refused; ``version()`` reports a Redshift-like string.
"""
_DATA = {"ExecuteStatement": "execute_statement", "BatchExecuteStatement": "batch_execute_statement",
         "DescribeStatement": "describe_statement", "GetStatementResult": "get_statement_result",
         "GetStatementResultV2": "get_statement_result_v2", "ListStatements": "list_statements",
         "CancelStatement": "cancel_statement"}
_METADATA = {"ListDatabases": "list_databases", "ListSchemas": "list_schemas", "ListTables": "list_tables",
             "DescribeTable": "describe_table"}
_SERVERLESS = {"CreateNamespace": "create_namespace", "GetNamespace": "get_namespace",
               "ListNamespaces": "list_namespaces", "UpdateNamespace": "update_namespace",
               "DeleteNamespace": "delete_namespace", "CreateWorkgroup": "create_workgroup",
               "GetWorkgroup": "get_workgroup", "ListWorkgroups": "list_workgroups",
               "UpdateWorkgroup": "update_workgroup", "DeleteWorkgroup": "delete_workgroup",
               "GetCredentials": "get_credentials", "TagResource": "tag_resource",
               "UntagResource": "untag_resource", "ListTagsForResource": "list_tags_for_resource"}
HANDLERS = {
    **{("redshift-data", op): f"{__name__}.data_api:{fn}" for op, fn in _DATA.items()},
    **{("redshift-data", op): f"{__name__}.metadata:{fn}" for op, fn in _METADATA.items()},
    **{("redshift-serverless", op): f"{__name__}.serverless:{fn}" for op, fn in _SERVERLESS.items()},
}
GUARDS: dict = {}
# A reset of the endpoint wipes the databases kept on disk (a stop keeps them).
ON_RESET = ("lab_helpers.engines.redshift.state:wipe",)
