"""Checks for lab 06_redshift: workgroup, external schemas, Spectrum access, warehouse tables, late-binding
views, COPY and UNLOAD. They read through the Data API (SELECT only) and S3, so they run on any target."""
from __future__ import annotations

import json
import time

from botocore.exceptions import ClientError

from ...engines.iam.policy import allows_role
from ..checks import Check, Part, key_name

# The workshop's names; a check asks ctx.names.of(...) for the workspace's own (scoped in a shared account).
NAMESPACE, WORKGROUP, DATABASE = "dataedu-ns", "dataedu-wg", "dev"
ROLE = "RedshiftServerlessImmersionRole"
RAW_SCHEMAS = (("sisraw", "db_raw_sisdemo", 12), ("lmsraw", "db_raw_lmsdemo", 10))
SIS_TABLES = ("course", "course_outcome", "course_registration", "course_schedule", "degree_plan", "department",
              "ed_level", "faculty", "school", "semester", "student", "university")
VIEWS = {"submit_date_view": "relative_submit_date", "request_info_view": "dayofweek_num"}
COPY_TABLE = "lms.requests"
UNLOAD_PREFIX = "redshift/submission_timeliness/"


class SqlFailed(Exception):
    pass


def sql(ctx, statement: str, timeout: float = 120) -> list[list]:
    """Rows of one read-only statement through the Data API (values unwrapped); SqlFailed on error."""
    rd = ctx.client("redshift-data")
    sid = rd.execute_statement(WorkgroupName=ctx.names.of(WORKGROUP), Database=DATABASE, Sql=statement)["Id"]
    deadline = time.time() + timeout
    while True:
        d = rd.describe_statement(Id=sid)
        if d["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            break
        if time.time() > deadline:
            raise SqlFailed(f"the statement did not finish within {timeout:.0f} s")
        time.sleep(0.1)
    if d["Status"] != "FINISHED":
        raise SqlFailed(d.get("Error") or d["Status"])
    if not d.get("HasResultSet"):
        return []
    rows, token = [], None
    while True:
        page = rd.get_statement_result(Id=sid, **({"NextToken": token} if token else {}))
        rows += [[None if c.get("isNull") else next(iter(c.values())) for c in rec] for rec in page["Records"]]
        token = page.get("NextToken")
        if not token:
            return rows


def _workgroup_ready(ctx) -> Part | None:
    """None when the workgroup answers; else the failing part that says so."""
    name = ctx.names.of(WORKGROUP)
    try:
        wg = ctx.client("redshift-serverless").get_workgroup(workgroupName=name)["workgroup"]
    except ClientError:
        return Part(False, f"no workgroup {name}", "Create the namespace and workgroup first (step 1).", 3)
    if wg["status"] != "AVAILABLE":
        return Part(False, f"workgroup {name} is {wg['status']}", "Wait until it is AVAILABLE.", 3)
    return None


def _role_arn(ctx) -> str:
    account = ctx.client("sts").get_caller_identity()["Account"]
    return f"arn:aws:iam::{account}:role/{ctx.names.of(ROLE)}"


def workgroup(ctx) -> list[Part]:
    rs = ctx.client("redshift-serverless")
    namespace, role_name = ctx.names.of(NAMESPACE), ctx.names.of(ROLE)
    try:
        ns = rs.get_namespace(namespaceName=namespace)["namespace"]
    except ClientError:
        return [Part(False, f"no namespace {namespace}", "Create it with redshift-serverless create_namespace (step 1).",
                     3)]
    role = _role_arn(ctx)
    parts = [Part(True, f"namespace {namespace} with database {ns.get('dbName')}"),
             Part(role in (ns.get("iamRoles") or []), f"{role_name} is " + ("" if role in (ns.get("iamRoles") or [])
                                                                           else "not ") + "associated with the namespace",
                  f"Pass iamRoles=[<{role_name} ARN>] (and defaultIamRoleArn) to the namespace.")]
    problem = _workgroup_ready(ctx)
    parts.append(problem or Part(True, f"workgroup {ctx.names.of(WORKGROUP)} is AVAILABLE"))
    return parts


def external_schemas(ctx) -> list[Part]:
    problem = _workgroup_ready(ctx)
    if problem:
        return [problem]
    try:
        schemas = dict((r[0], r[1]) for r in sql(ctx, "SELECT schemaname, databasename FROM svv_external_schemas"))
        counts = dict((r[0], int(r[1])) for r in sql(
            ctx, "SELECT schemaname, count(*) FROM svv_external_tables GROUP BY schemaname"))
    except SqlFailed as e:
        return [Part(False, f"could not read SVV_EXTERNAL_SCHEMAS: {e}", "Run the step's cells again.")]
    parts = []
    for name, base, want in RAW_SCHEMAS:
        db = ctx.names.of(base)
        ok = schemas.get(name) == db
        parts.append(Part(ok, f"external schema {name} " + (f"on {db}" if ok else "is missing"),
                          f"CREATE EXTERNAL SCHEMA {name} FROM DATA CATALOG DATABASE '{db}' IAM_ROLE '<role ARN>'"))
        if ok:
            parts.append(Part(counts.get(name, 0) == want, f"{name} lists {counts.get(name, 0)} of {want} tables",
                              f"Run lab 03's crawler for {db} again."))
    return parts


def spectrum_access(ctx) -> list[Part]:
    kms = ctx.client("kms")
    key_id = kms.describe_key(KeyId=ctx.names.kms_alias)["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    user = allows_role(policy, _role_arn(ctx), "kms:Decrypt")
    role, key = ctx.names.of(ROLE), key_name(ctx)
    parts = [Part(user, f"{role} {'is' if user else 'is not'} a key user of {key}",
                  f"Add {role} to the key users of {key} (step 3), as lab 01 did for the other roles.")]
    problem = _workgroup_ready(ctx)
    if problem:
        return parts + [problem]
    try:
        count = int(sql(ctx, "SELECT count(*) FROM sisraw.student")[0][0])
        parts.append(Part(count > 0, f"Spectrum read {count:,} rows of sisraw.student"))
    except SqlFailed as e:
        parts.append(Part(False, f"Spectrum query failed: {str(e).splitlines()[0]}",
                          "Create the external schema, then make the role a key user."))
    return parts


def sis_tables(ctx) -> list[Part]:
    problem = _workgroup_ready(ctx)
    if problem:
        return [problem]
    try:
        local = {r[0]: int(r[1]) for r in sql(ctx, "SELECT \"table\", tbl_rows FROM svv_table_info WHERE schema = 'sis'")}
    except SqlFailed as e:
        return [Part(False, f"could not read SVV_TABLE_INFO: {e}", "Run the step's cells again.")]
    missing = [t for t in SIS_TABLES if t not in local]
    parts = [Part(not missing, f"{len(SIS_TABLES) - len(missing)} of 12 SIS tables in schema sis",
                  "CREATE SCHEMA sis, then CREATE TABLE sis.<table> AS SELECT * FROM sisraw.<table> for all 12.", 2)]
    if "student" in local:
        try:
            spectrum = int(sql(ctx, "SELECT count(*) FROM sisraw.student")[0][0])
        except SqlFailed:
            spectrum = -1
        parts.append(Part(local["student"] == spectrum, f"sis.student has {local['student']:,} rows "
                          f"(Spectrum: {spectrum:,})", "Recreate sis.student from sisraw.student."))
    return parts


def late_binding_views(ctx) -> list[Part]:
    problem = _workgroup_ready(ctx)
    if problem:
        return [problem]
    parts = []
    for view, column in VIEWS.items():
        try:
            rows = sql(ctx, f"SELECT count(*), count({column}) FROM sis_lms.{view}")
            parts.append(Part(int(rows[0][0]) > 0, f"sis_lms.{view} returns {int(rows[0][0]):,} rows with {column}",
                              f"Create sis_lms.{view} ... WITH NO SCHEMA BINDING (step 6)."))
        except SqlFailed as e:
            parts.append(Part(False, f"sis_lms.{view}: {str(e).splitlines()[0]}",
                              f"Create sis_lms.{view} ... WITH NO SCHEMA BINDING (step 6)."))
    return parts


def copy_load(ctx) -> list[Part]:
    problem = _workgroup_ready(ctx)
    if problem:
        return [problem]
    try:
        loaded = int(sql(ctx, f"SELECT count(*) FROM {COPY_TABLE}")[0][0])
    except SqlFailed:
        return [Part(False, f"no table {COPY_TABLE}", "Create lms.requests and COPY the requests CSV files (step 8).",
                     2)]
    try:
        spectrum = int(sql(ctx, "SELECT count(*) FROM lmsraw.requests")[0][0])
    except SqlFailed:
        spectrum = -1
    return [Part(loaded > 0, f"{COPY_TABLE} holds {loaded:,} rows", "COPY ... IGNOREHEADER 1 from the requests prefix."),
            Part(loaded == spectrum, f"the same number as Spectrum reads ({spectrum:,})",
                 "Empty the table (TRUNCATE) and COPY every file once, skipping each file's header row.")]


def unload(ctx) -> list[Part]:
    s3 = ctx.client("s3")
    bucket = ctx.buckets["curated"]
    objects = s3.list_objects_v2(Bucket=bucket, Prefix=UNLOAD_PREFIX).get("Contents", [])
    files = [o for o in objects if o["Key"].endswith(".parquet")]
    parts = [Part(bool(files), f"{len(files)} Parquet file(s) under s3://{bucket}/{UNLOAD_PREFIX}",
                  f"UNLOAD ('SELECT ...') TO 's3://{bucket}/{UNLOAD_PREFIX}' IAM_ROLE '...' FORMAT AS PARQUET", 2)]
    if files:
        head = s3.head_object(Bucket=bucket, Key=files[0]["Key"])
        key_arn = ctx.client("kms").describe_key(KeyId=ctx.names.kms_alias)["KeyMetadata"]["Arn"]
        used = head.get("SSEKMSKeyId", "")
        parts.append(Part(head.get("ServerSideEncryption") == "aws:kms" and used in (key_arn, key_arn.split("/")[-1]),
                          f"encrypted with {head.get('ServerSideEncryption') or 'nothing'}",
                          f"Leave encryption to the bucket default (SSE-KMS with {key_name(ctx)})."))
    return parts


CHECKS = [
    Check("workgroup", "a Redshift Serverless namespace and workgroup with the workshop role", workgroup, 10),
    Check("external_schemas", "external schemas sisraw and lmsraw over the Data Catalog", external_schemas, 10),
    Check("spectrum_access", "Spectrum reads the encrypted lake as the Redshift role", spectrum_access, 10),
    Check("sis_tables", "the 12 SIS tables loaded into schema sis", sis_tables, 10),
    Check("late_binding_views", "the late-binding views in sis_lms", late_binding_views, 10),
    Check("copy_load", "LMS requests loaded with COPY", copy_load, 10),
    Check("unload", "a result unloaded to the curated zone as Parquet", unload, 10),
]
