"""Real Athena clients against the local endpoint: the aws CLI, PyAthena (DB-API and PandasCursor),
awswrangler (both read_sql_query approaches and wr.catalog), unchanged — only AWS_ENDPOINT_URL is set."""
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pandas as pd
import pytest


from .test_api import CUSTOMERS, LAKE, OUTPUT, lake as _lake_fixture  # noqa: F401 - fixture reuse

AWS_CLI = Path(sys.executable).parent / "aws"
FAST = {"athena_query_wait_polling_delay": 0.05}   # awswrangler polls once a second by default

lake = _lake_fixture




@pytest.fixture
def aws_env(endpoint, lake, monkeypatch):
    """What `labkit env` gives a kernel: the endpoint URL and dummy credentials, nothing else."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return dict(os.environ)


# --- aws CLI -------------------------------------------------------------------------------------

def aws(env, *args):
    done = subprocess.run([str(AWS_CLI), *args, "--output", "json"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_aws_cli_runs_a_query_and_reads_the_results(aws_env):
    started = aws(aws_env, "athena", "start-query-execution",
                  "--query-string", "SELECT name, country FROM customers WHERE country = 'NZ' ORDER BY name",
                  "--query-execution-context", "Database=shop",
                  "--result-configuration", f"OutputLocation={OUTPUT}")
    qid = started["QueryExecutionId"]
    state = ""
    for _ in range(300):
        execution = aws(aws_env, "athena", "get-query-execution", "--query-execution-id", qid)["QueryExecution"]
        state = execution["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            break
    assert state == "SUCCEEDED"
    results = aws(aws_env, "athena", "get-query-results", "--query-execution-id", qid)
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in results["ResultSet"]["Rows"]]
    assert rows == [["name", "country"], ["Ada", "NZ"], ["Cy", "NZ"]]
    listed = aws(aws_env, "athena", "list-query-executions")["QueryExecutionIds"]
    assert qid in listed


def test_aws_cli_shows_athena_errors(aws_env):
    done = subprocess.run([str(AWS_CLI), "athena", "start-query-execution", "--query-string", "SELEC 1",
                           "--result-configuration", f"OutputLocation={OUTPUT}"],
                          env=aws_env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "InvalidRequestException" in done.stderr and "mismatched input 'SELEC'" in done.stderr


# --- PyAthena ----------------------------------------------------------------------------------

def test_pyathena_cursor_fetches_typed_rows(aws_env):
    from pyathena import connect

    cursor = connect(s3_staging_dir=OUTPUT, region_name="us-east-1", schema_name="shop", poll_interval=0.05).cursor()
    cursor.execute("SELECT c.id, c.name, sum(o.amount) AS total, max(o.order_date) AS last_order "
                   "FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name ORDER BY c.id")
    assert [d[0] for d in cursor.description] == ["id", "name", "total", "last_order"]
    assert [d[1] for d in cursor.description] == ["bigint", "varchar", "double", "date"]
    rows = cursor.fetchall()
    assert [r[:3] for r in rows] == [(1, "Ada", 30.0), (2, "Bo", 160.0), (3, "Cy", 20.0)]
    assert str(rows[0][3]) == "2024-01-09"
    assert cursor.data_scanned_in_bytes > 0 and cursor.state == "SUCCEEDED"
    cursor.execute("SELECT x FROM UNNEST(sequence(1, 2345)) AS t(x)")   # paged through GetQueryResults
    assert sorted(r[0] for r in cursor.fetchall()) == list(range(1, 2346))


def test_pyathena_cursor_raises_the_athena_error(aws_env):
    from pyathena import connect
    from pyathena.error import OperationalError

    cursor = connect(s3_staging_dir=OUTPUT, region_name="us-east-1", schema_name="shop", poll_interval=0.05).cursor()
    with pytest.raises(OperationalError, match="TABLE_NOT_FOUND"):
        cursor.execute("SELECT * FROM nowhere")
    cursor.execute("SELECT 1")
    assert cursor.fetchall() == [(1,)]


def test_pyathena_pandas_cursor_reads_the_result_file(aws_env):
    from pyathena import connect
    from pyathena.pandas.cursor import PandasCursor

    cursor = connect(s3_staging_dir=OUTPUT, region_name="us-east-1", schema_name="shop", poll_interval=0.05,
                     cursor_class=PandasCursor).cursor()
    df = cursor.execute("SELECT order_id, amount, order_date, items FROM orders ORDER BY order_id").as_pandas()
    assert list(df.columns) == ["order_id", "amount", "order_date", "items"]
    assert df["order_id"].tolist() == [10, 11, 12, 13, 14, 15]
    assert df["amount"].sum() == pytest.approx(210.0)
    assert str(df["order_date"].iloc[0])[:10] == "2024-01-03"
    assert df["items"].iloc[0] == "[pen, ink]"


def test_pandas_read_sql_over_a_pyathena_connection(aws_env):
    # SQLAlchemy is not installed in the kit, so PyAthena's `awsathena+rest://` dialect cannot be
    # used; pandas falls back to the plain DB-API connection (with a UserWarning), which works.
    from pyathena import connect

    conn = connect(s3_staging_dir=OUTPUT, region_name="us-east-1", schema_name="shop", poll_interval=0.05)
    with pytest.warns(UserWarning, match="SQLAlchemy"):
        df = pd.read_sql("SELECT country, count(*) AS n FROM customers GROUP BY country ORDER BY country", conn)
    assert df.to_dict("records") == [{"country": "FR", "n": 1}, {"country": "NZ", "n": 2}, {"country": "US", "n": 1}]


# --- awswrangler --------------------------------------------------------------------------------

@pytest.fixture
def wr(aws_env):
    import awswrangler

    return awswrangler


def test_awswrangler_read_sql_query_without_ctas(wr, session):
    df = wr.athena.read_sql_query("SELECT id, name, country FROM customers ORDER BY id", database="shop",
                                  ctas_approach=False, s3_output=OUTPUT, boto3_session=session, **FAST)
    assert df["name"].tolist() == ["Ada", "Bo", "Cy", "Di"]
    assert str(df["id"].dtype) == "Int64"
    assert df.query_metadata["Status"]["State"] == "SUCCEEDED"


def test_awswrangler_read_sql_query_with_ctas_reads_parquet_and_cleans_up(wr, session, lake):
    df = wr.athena.read_sql_query("SELECT o.order_id, c.name, o.amount FROM orders o "
                                  "JOIN customers c ON c.id = o.customer_id", database="shop",
                                  ctas_approach=True, s3_output=OUTPUT, boto3_session=session, **FAST)
    assert sorted(df["order_id"].tolist()) == [10, 11, 12, 13, 14, 15]
    assert df.groupby("name")["amount"].sum().to_dict() == {"Ada": 30.0, "Bo": 160.0, "Cy": 20.0}
    tables = [t["Name"] for t in lake("glue").get_tables(DatabaseName="shop")["TableList"]]
    assert sorted(tables) == ["customers", "events", "orders"], "the temporary CTAS table is dropped"


def test_awswrangler_catalog_functions(wr, session):
    assert "shop" in wr.catalog.databases(boto3_session=session)["Database"].tolist()
    tables = wr.catalog.tables(database="shop", boto3_session=session)
    assert sorted(tables["Table"].tolist()) == ["customers", "events", "orders"]
    assert wr.catalog.get_table_types(database="shop", table="orders", boto3_session=session) == {
        "order_id": "bigint", "customer_id": "bigint", "amount": "double", "order_date": "date",
        "items": "array<string>"}
    assert wr.catalog.does_table_exist(database="shop", table="customers", boto3_session=session)
    assert wr.catalog.get_table_location(database="shop", table="customers", boto3_session=session) == \
        f"s3://{LAKE}/shop/customers/"


def test_awswrangler_to_parquet_then_athena_reads_the_new_table(wr, session):
    frame = pd.DataFrame({"id": [1, 2, 3], "grade": ["A", "B", "A"]})
    wr.s3.to_parquet(frame, path=f"s3://{LAKE}/curated/grades/", dataset=True, database="shop", table="grades",
                     boto3_session=session)
    df = wr.athena.read_sql_query("SELECT grade, count(*) AS n FROM grades GROUP BY grade ORDER BY grade",
                                  database="shop", ctas_approach=False, s3_output=OUTPUT, boto3_session=session,
                                  **FAST)
    assert df.to_dict("records") == [{"grade": "A", "n": 2}, {"grade": "B", "n": 1}]


def test_awswrangler_start_query_execution_and_wait(wr, session):
    qid = wr.athena.start_query_execution("SELECT count(*) FROM customers", database="shop", s3_output=OUTPUT,
                                          boto3_session=session)
    execution = wr.athena.wait_query(qid, boto3_session=session, **FAST)
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["Statistics"]["DataScannedInBytes"] == len(CUSTOMERS)
    with pytest.raises(wr.exceptions.QueryFailed, match="COLUMN_NOT_FOUND"):
        wr.athena.read_sql_query("SELECT nope FROM customers", database="shop", ctas_approach=False,
                                 s3_output=OUTPUT, boto3_session=session, **FAST)


def test_pyathena_ddl_ctas_insert_and_show(aws_env, lake):
    from pyathena import connect

    cursor = connect(s3_staging_dir=OUTPUT, region_name="us-east-1", schema_name="shop", poll_interval=0.05).cursor()
    cursor.execute("CREATE TABLE nz WITH (format = 'PARQUET', external_location = 's3://lake/curated/nz/') AS "
                   "SELECT id, name FROM customers WHERE country = 'NZ'")
    assert cursor.rowcount == 2                       # from UpdateCount, as PyAthena reads it for CTAS
    cursor.execute("INSERT INTO nz VALUES (9, 'Zed')")
    assert cursor.rowcount == 1 and cursor.description is None
    cursor.execute("SHOW TABLES")
    assert cursor.fetchall() == [("customers",), ("events",), ("nz",), ("orders",)]
    cursor.execute("SELECT name FROM nz ORDER BY id")
    assert cursor.fetchall() == [("Ada",), ("Cy",), ("Zed",)]
    assert "nz" in [t["Name"] for t in lake("glue").get_tables(DatabaseName="shop")["TableList"]]
