"""Athena hardening (issue 11): the SQL sandbox, reads as the caller, syntax refused at submission,
no starvation behind runaway queries, and a per-query timeout. Each case is a RELIABILITY.md row."""
from __future__ import annotations

import json
import threading

import pytest
from botocore.exceptions import ClientError

from lab_helpers.engines.athena import api as athena_api
from lab_helpers.engines.platform.sandbox import sandboxed_duckdb
from tests.conftest import role_session

OUT = "s3://results/athena/"
WAIT = 60
RUNAWAY = ("SELECT count(*) FROM UNNEST(sequence(1, 100000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 100000)) AS b(y) "
           "CROSS JOIN UNNEST(sequence(1, 1000)) AS c(z) WHERE (a.x * b.y + c.z) % 7 = 3")


@pytest.fixture
def athena(client):
    client("s3").create_bucket(Bucket="results")
    return client("athena")


def _pause(seconds: float) -> None:
    threading.Event().wait(seconds)


def start(athena, sql, db="default"):
    return athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": db},
                                        ResultConfiguration={"OutputLocation": OUT})["QueryExecutionId"]


def wait(athena, qid, timeout=WAIT):
    for _ in range(int(timeout / 0.05)):
        ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if ex["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return ex
        _pause(0.05)
    raise AssertionError(f"query {qid} did not finish")


def wait_state(athena, qid, state, timeout=WAIT):
    for _ in range(int(timeout / 0.02)):
        if athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == state:
            return
        _pause(0.02)
    raise AssertionError(f"query {qid} never reached {state}")


# --- 1. the sandbox -----------------------------------------------------------------------------

@pytest.mark.parametrize("sql,name", [
    ("SELECT * FROM read_text('/etc/passwd')", "read_text"),
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
    ("SELECT * FROM read_blob('/proc/self/environ')", "read_blob"),
    ("SELECT * FROM (SELECT 1) AS t CROSS JOIN read_parquet('/tmp/*.parquet')", "read_parquet"),
    ("SELECT * FROM read_json('http://169.254.169.254/latest/meta-data/')", "read_json"),
])
def test_file_and_network_table_functions_are_refused(athena, sql, name):
    ex = wait(athena, start(athena, sql))
    assert ex["Status"]["State"] == "FAILED"
    reason = ex["Status"]["StateChangeReason"]
    assert reason.startswith("FUNCTION_NOT_FOUND: line 1:") and f"Table function '{name}' not registered" in reason
    assert "root:" not in reason


def test_the_engine_connection_cannot_touch_host_files_even_without_the_parser_check(endpoint, athena):
    start(athena, "SELECT 1")     # creates the region's engine
    engine = athena_api._state(endpoint.app.context).engine("us-east-1")
    con = engine.cursor()
    for sql in ("SELECT * FROM read_text('/etc/passwd')", "SELECT * FROM glob('/*')",
                f"SELECT * FROM read_text('{endpoint.app.context.home}/../**')", "INSTALL httpfs",
                "ATTACH '/tmp/labkit-attack.db'", "COPY (SELECT 1) TO '/tmp/labkit-attack.csv'"):
        with pytest.raises(Exception, match="Permission Error|disabled"):
            con.sql(sql).fetchall() if sql.startswith("SELECT") else con.execute(sql)
    with pytest.raises(Exception, match="locked|Cannot"):
        con.execute("SET enable_external_access = true")
    with pytest.raises(Exception, match="locked"):
        con.execute("SET allowed_directories = ['/']")


def test_sandbox_allows_only_its_own_directories(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "x.csv").write_text("a\n1\n")
    (tmp_path / "other.csv").write_text("a\n2\n")
    con = sandboxed_duckdb([str(tmp_path / "mine")])
    assert con.sql(f"SELECT a FROM read_csv('{tmp_path}/mine/x.csv')").fetchall() == [(1,)]
    with pytest.raises(Exception, match="Permission Error"):
        con.sql(f"SELECT a FROM read_csv('{tmp_path}/other.csv')").fetchall()
    with pytest.raises(Exception, match="Permission Error"):
        con.sql(f"SELECT a FROM read_csv('{tmp_path}/mine/../other.csv')").fetchall()


# --- 3. queries read S3 as the caller -----------------------------------------------------------

@pytest.fixture
def sealed_table(client, athena):
    kms, s3, glue = client("kms"), client("s3"), client("glue")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:*", "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]
    s3.create_bucket(Bucket="sealed")
    s3.put_object(Bucket="sealed", Key="grades/part-0.csv", Body=b"1,A\n2,B\n", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key["Arn"])
    glue.create_database(DatabaseInput={"Name": "school"})
    glue.create_table(DatabaseName="school", TableInput={
        "Name": "grades", "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "int"}, {"Name": "grade", "Type": "string"}],
            "Location": "s3://sealed/grades/",
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                          "Parameters": {"field.delim": ","}}}})
    return key


def test_a_role_without_key_rights_cannot_read_through_athena_what_it_cannot_get(client, athena, sealed_table):
    role = role_session(client, "analyst")
    s3_role = role.client("s3", endpoint_url=client("s3").meta.endpoint_url)
    with pytest.raises(ClientError, match="AccessDenied"):
        s3_role.get_object(Bucket="sealed", Key="grades/part-0.csv")
    athena_role = role.client("athena", endpoint_url=athena.meta.endpoint_url)
    ex = wait(athena_role, start(athena_role, "SELECT * FROM grades", db="school"))
    assert ex["Status"]["State"] == "FAILED"
    assert "Permission denied on S3 path: s3://sealed/grades/" in ex["Status"]["StateChangeReason"]
    # the learner's own identity (key administrator through the root statement) reads it
    ok = wait(athena, start(athena, "SELECT count(*) FROM grades", db="school"))
    assert ok["Status"]["State"] == "SUCCEEDED"


# --- 6/7. bad statements are refused at submission ----------------------------------------------

@pytest.mark.parametrize("sql,expected", [
    ("SELEC * FORM x", "line 1:1: mismatched input 'SELEC'"),
    ("-- a comment\nFOO BAR", "line 2:1: mismatched input 'FOO'"),
    ("SELECT " + "(" * 400 + "1" + ")" * 400, "Statement is too large"),
])
def test_unparsable_statements_are_refused_by_start_query_execution(athena, sql, expected):
    with pytest.raises(ClientError) as err:
        start(athena, sql)
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    assert expected in err.value.response["Error"]["Message"]
    assert athena.list_query_executions()["QueryExecutionIds"] == []   # no execution was created


# --- 8. no starvation, a timeout, and stop that interrupts --------------------------------------

def test_select_1_is_not_starved_by_four_runaway_queries(athena):
    runaways = [start(athena, RUNAWAY) for _ in range(5)]
    for qid in runaways[:athena_api.WORKERS]:
        wait_state(athena, qid, "RUNNING")
    assert athena.get_query_execution(QueryExecutionId=runaways[-1])["QueryExecution"]["Status"]["State"] == "QUEUED"
    quick = wait(athena, start(athena, "SELECT 1"))
    assert quick["Status"]["State"] == "SUCCEEDED"
    ddl = wait(athena, start(athena, "CREATE DATABASE IF NOT EXISTS scratch"))
    assert ddl["Status"]["State"] == "SUCCEEDED"
    for qid in runaways:
        athena.stop_query_execution(QueryExecutionId=qid)
    assert {wait(athena, qid)["Status"]["State"] for qid in runaways} == {"CANCELLED"}


def test_a_query_over_the_time_limit_fails_with_athenas_timeout(endpoint, athena):
    start(athena, "SELECT 1")
    athena_api._state(endpoint.app.context).timeout_s = 0.5
    ex = wait(athena, start(athena, RUNAWAY))
    assert ex["Status"]["State"] == "FAILED"
    assert ex["Status"]["StateChangeReason"].startswith("Query timeout")
    assert (ex["Status"]["AthenaError"]["ErrorCategory"], ex["Status"]["AthenaError"]["ErrorType"]) == (1, 206)
