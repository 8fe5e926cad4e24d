"""redshift-data through boto3: statement lifecycle, batches, results, paging, errors, cancel, metadata."""
import threading
import time

import pytest
from botocore.exceptions import ClientError

from .conftest import WORKGROUP


def test_execute_statement_lifecycle_and_typed_results(api):
    rd = api.rd
    sid = api.start("SELECT 1::int2 AS s, 2 AS i, 3::bigint AS b, 1.5::float8 AS f, 2.25::numeric(10,2) AS n, "
                    "'x'::varchar(5) AS v, true AS t, '2024-01-02'::date AS d, "
                    "'2024-01-02 03:04:05'::timestamp AS ts, NULL::int AS z")
    first = rd.describe_statement(Id=sid)["Status"]
    assert first in ("SUBMITTED", "PICKED", "STARTED", "FINISHED")
    d = api.wait(sid)
    assert d["Status"] == "FINISHED" and d["HasResultSet"] and d["ResultRows"] == 1
    assert d["Duration"] > 0 and d["QueryString"].startswith("SELECT 1") and d["WorkgroupName"] == WORKGROUP
    page = rd.get_statement_result(Id=sid)
    types = [c["typeName"] for c in page["ColumnMetadata"]]
    assert types == ["int2", "int4", "int8", "float8", "numeric", "varchar", "bool", "date", "timestamp", "int4"]
    assert page["Records"][0] == [{"longValue": 1}, {"longValue": 2}, {"longValue": 3}, {"doubleValue": 1.5},
                                  {"stringValue": "2.25"}, {"stringValue": "x"}, {"booleanValue": True},
                                  {"stringValue": "2024-01-02"}, {"stringValue": "2024-01-02 03:04:05"},
                                  {"isNull": True}]
    assert page["TotalNumRows"] == 1 and [c["name"] for c in page["ColumnMetadata"]][:2] == ["s", "i"]


def test_result_pages_with_next_token(api):
    names, rows = api.rows("SELECT i FROM generate_series(1, 25000) AS g(i) ORDER BY i")
    assert names == ["i"] and len(rows) == 25000 and rows[-1] == (25000,)


def test_parameters_bind_by_name(api):
    api.run("CREATE TABLE p (id int, name varchar(20))")
    api.run("INSERT INTO p VALUES (1, 'ada'), (2, 'bo')")
    _, rows = api.rows("SELECT name FROM p WHERE id = :id", Parameters=[{"name": "id", "value": "2"}])
    assert rows == [("bo",)]


def test_failed_statement_reports_redshift_error_text(api):
    error = api.fail("SELECT * FROM no_such_table")
    assert error == 'ERROR: relation "no_such_table" does not exist'
    assert api.fail("SELEC 1").startswith('ERROR: syntax error at or near "')
    with pytest.raises(ClientError) as err:
        api.rd.get_statement_result(Id=api.start("SELECT * FROM nope"))
    assert err.value.response["Error"]["Code"] in ("ResourceNotFoundException", "ValidationException")


def test_unknown_database_and_workgroup(api):
    assert api.fail("SELECT 1", Database="nodb") == 'FATAL: database "nodb" does not exist'
    with pytest.raises(ClientError) as err:
        api.rd.execute_statement(WorkgroupName="nope", Database="dev", Sql="SELECT 1")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError):
        api.rd.execute_statement(Database="dev", Sql="SELECT 1")
    with pytest.raises(ClientError):
        api.rd.execute_statement(WorkgroupName=WORKGROUP, Database="dev", Sql="SELECT 1; SELECT 2")


def test_batch_runs_in_one_transaction_with_sub_statement_ids(api):
    rd = api.rd
    api.run("CREATE TABLE b (x int)")
    bid = rd.batch_execute_statement(WorkgroupName=WORKGROUP, Database="dev",
                                     Sqls=["INSERT INTO b VALUES (1)", "INSERT INTO b VALUES (2)",
                                           "SELECT count(*) AS n FROM b"])["Id"]
    d = api.wait(bid)
    assert d["Status"] == "FINISHED"
    assert [s["Id"] for s in d["SubStatements"]] == [f"{bid}:1", f"{bid}:2", f"{bid}:3"]
    assert rd.get_statement_result(Id=f"{bid}:3")["Records"] == [[{"longValue": 2}]]
    assert rd.describe_statement(Id=f"{bid}:2")["Status"] == "FINISHED"
    bad = rd.batch_execute_statement(WorkgroupName=WORKGROUP, Database="dev",
                                     Sqls=["INSERT INTO b VALUES (3)", "INSERT INTO nope VALUES (1)",
                                           "INSERT INTO b VALUES (4)"])["Id"]
    d = api.wait(bad)
    assert d["Status"] == "FAILED" and 'relation "nope" does not exist' in d["Error"]
    assert [s["Status"] for s in d["SubStatements"]] == ["ABORTED", "FAILED", "ABORTED"]
    assert api.rows("SELECT count(*) FROM b")[1] == [(2,)]   # the batch's first insert was rolled back


def test_cancel_statement_interrupts_a_running_query(api):
    sid = api.start("SELECT sum(a % 7) FROM generate_series(1, 40000000000) a")
    deadline = time.time() + 10
    while api.rd.describe_statement(Id=sid)["Status"] != "STARTED" and time.time() < deadline:
        time.sleep(0.01)
    assert api.rd.cancel_statement(Id=sid)["Status"] is True
    d = api.wait(sid)   # 40 billion rows cannot finish within wait()'s deadline: ABORTED proves the interrupt
    assert d["Status"] == "ABORTED"
    with pytest.raises(ClientError):
        api.rd.cancel_statement(Id=sid)


def test_result_format_csv_uses_v2(api):
    sid = api.start("SELECT 1 AS a, 'x,y' AS b UNION ALL SELECT 2, NULL", ResultFormat="CSV")
    api.wait(sid)
    page = api.rd.get_statement_result_v2(Id=sid)
    assert page["Records"][0]["CSVRecords"] == '1,"x,y"\n2,\n' and page["ResultFormat"] == "CSV"
    with pytest.raises(ClientError):
        api.rd.get_statement_result(Id=sid)


def test_list_statements_newest_first_with_filters(api):
    api.run("SELECT 1", StatementName="first")
    api.run("SELECT 2", StatementName="second")
    listed = api.rd.list_statements()["Statements"]
    assert [s["QueryString"] for s in listed[:2]] == ["SELECT 2", "SELECT 1"]
    assert [s["StatementName"] for s in api.rd.list_statements(StatementName="sec")["Statements"]] == ["second"]
    assert all(s["Status"] == "FINISHED" for s in api.rd.list_statements(Status="FINISHED")["Statements"])


def test_metadata_calls(api):
    api.run("CREATE SCHEMA sales")
    api.run("CREATE TABLE sales.orders (id bigint NOT NULL, amount numeric(12,2), note varchar(100))")
    api.run("CREATE VIEW sales.big AS SELECT * FROM sales.orders WHERE amount > 100")
    rd = api.rd
    assert rd.list_databases(WorkgroupName=WORKGROUP, Database="dev")["Databases"] == ["dev"]
    assert "sales" in rd.list_schemas(WorkgroupName=WORKGROUP, Database="dev")["Schemas"]
    tables = rd.list_tables(WorkgroupName=WORKGROUP, Database="dev", SchemaPattern="sales")["Tables"]
    assert {(t["name"], t["type"]) for t in tables} == {("orders", "TABLE"), ("big", "VIEW")}
    cols = rd.describe_table(WorkgroupName=WORKGROUP, Database="dev", Schema="sales", Table="orders")
    assert [(c["name"], c["typeName"], c["nullable"]) for c in cols["ColumnList"]] == [
        ("id", "int8", 0), ("amount", "numeric", 1), ("note", "varchar", 1)]
    api.run("CREATE DATABASE analytics")
    assert rd.list_databases(WorkgroupName=WORKGROUP, Database="dev")["Databases"] == ["analytics", "dev"]
    api.run("CREATE TABLE only_here AS SELECT 1 AS x", Database="analytics")
    assert api.fail("SELECT * FROM only_here").startswith('ERROR: relation "only_here"')


def test_concurrent_statements_on_one_workgroup(api):
    api.run("CREATE TABLE c (x int)")
    errors = []

    def insert(i):
        try:
            api.run(f"INSERT INTO c VALUES ({i})")
        except AssertionError as e:
            errors.append(e)

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and api.rows("SELECT count(*) FROM c")[1] == [(8,)]


def test_provisioned_cluster_from_moto_has_a_database(client, api):
    client("redshift").create_cluster(ClusterIdentifier="dwh", NodeType="ra3.xlplus", MasterUsername="rsadmin",
                                      MasterUserPassword="Passw0rd1", DBName="dwh")
    rd = api.rd
    sid = rd.execute_statement(ClusterIdentifier="dwh", Database="dwh", DbUser="rsadmin",
                               Sql="CREATE TABLE t AS SELECT 7 AS seven")["Id"]
    assert api.wait(sid)["Status"] == "FINISHED"
    sid = rd.execute_statement(ClusterIdentifier="dwh", Database="dwh", DbUser="rsadmin", Sql="SELECT seven FROM t")["Id"]
    api.wait(sid)
    assert rd.get_statement_result(Id=sid)["Records"] == [[{"longValue": 7}]]
    with pytest.raises(ClientError):   # a cluster needs DbUser or SecretArn
        rd.execute_statement(ClusterIdentifier="dwh", Database="dwh", Sql="SELECT 1")
