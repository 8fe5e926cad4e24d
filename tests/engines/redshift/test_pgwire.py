"""The workgroup's PostgreSQL port with real clients: psycopg, redshift_connector, SQLAlchemy + pandas,
awswrangler (over the Data API and over a redshift_connector connection); cancel; errors; logins."""
import threading
import time

import pandas as pd
import psycopg
import pytest
import redshift_connector

from .conftest import ADMIN, PASSWORD, WORKGROUP


@pytest.fixture
def where(workgroup):
    return workgroup["endpoint"]["address"], workgroup["endpoint"]["port"]


def _pg(where, **kw):
    host, port = where
    return psycopg.connect(host=host, port=port, user=ADMIN, password=PASSWORD, dbname="dev", sslmode="disable", **kw)


def _rs(where, **kw):
    host, port = where
    return redshift_connector.connect(host=host, port=port, database="dev", user=ADMIN, password=PASSWORD, ssl=False,
                                      **kw)


def test_psycopg_types_parameters_transactions(where):
    with _pg(where) as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (a int, b varchar(10), d date, ts timestamp, n numeric(10,2), f float8, ok bool)")
        cur.execute("INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (1, "x", "2020-01-01", "2020-01-01 10:00:00", "1.50", 2.5, True))
        assert cur.rowcount == 1
        conn.commit()
        cur.execute("SELECT * FROM t WHERE a = %s", (1,))
        import datetime as dt
        from decimal import Decimal

        assert cur.fetchall() == [(1, "x", dt.date(2020, 1, 1), dt.datetime(2020, 1, 1, 10), Decimal("1.50"), 2.5, True)]
        assert [d.name for d in cur.description] == ["a", "b", "d", "ts", "n", "f", "ok"]
        cur.execute("INSERT INTO t (a) VALUES (2)")
        conn.rollback()                                    # not committed: gone
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone() == (1,)
        with pytest.raises(psycopg.errors.UndefinedTable) as err:
            cur.execute("SELECT * FROM nope")
        assert err.value.sqlstate == "42P01" and 'relation "nope" does not exist' in str(err.value)
        conn.rollback()


def test_redshift_connector_with_its_startup_parameters(where):
    conn = _rs(where)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE r AS SELECT 1 AS id, 'ada' AS name, '2020-08-17'::date AS day, 1.25::float8 AS x")
        cur.execute("INSERT INTO r VALUES (%s, %s, %s, %s)", (2, "bo", "2020-08-18", 2.5))
        assert cur.rowcount == 1
        conn.commit()
        cur.execute("SELECT id, name, day, x FROM r ORDER BY id")
        import datetime as dt

        assert [tuple(r) for r in cur.fetchall()] == [(1, "ada", dt.date(2020, 8, 17), 1.25),
                                                       (2, "bo", dt.date(2020, 8, 18), 2.5)]
        frame = cur.execute("SELECT id, name FROM r ORDER BY id").fetch_dataframe()
        assert frame.name.tolist() == ["ada", "bo"]
    finally:
        conn.close()


def test_sqlalchemy_and_pandas_read_sql(where):
    import sqlalchemy as sa

    host, port = where
    engine = sa.create_engine(f"postgresql+psycopg://{ADMIN}:{PASSWORD}@{host}:{port}/dev?sslmode=disable")
    try:
        with engine.connect() as c:
            c.execute(sa.text("CREATE TABLE s AS SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y'"))
            c.commit()
            frame = pd.read_sql(sa.text("SELECT a, b FROM s WHERE a >= :a ORDER BY a"), c, params={"a": 1})
        assert frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
    finally:
        engine.dispose()


def test_awswrangler_over_the_data_api_and_over_a_connection(where, endpoint, monkeypatch):
    import awswrangler as wr

    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    con = wr.data_api.redshift.connect(workgroup_name=WORKGROUP, database="dev")
    frame = wr.data_api.redshift.read_sql_query("SELECT 1 AS one, 'a' AS letter", con=con)
    assert frame.to_dict("list") == {"one": [1], "letter": ["a"]}
    conn = _rs(where)
    try:
        frame = wr.redshift.read_sql_query("SELECT 2 AS two", con=conn)
        assert frame.two.tolist() == [2]
    finally:
        conn.close()


def test_cancel_request_interrupts_the_query(where):
    with _pg(where, autocommit=True) as conn:
        errors = []

        def long_query():
            try:
                conn.execute("SELECT sum(a % 7) FROM generate_series(1, 40000000000) a")
            except psycopg.errors.QueryCanceled as e:
                errors.append(e)
            except Exception as e:   # noqa: BLE001 - shown by the assertion below
                errors.append(e)

        worker = threading.Thread(target=long_query)
        worker.start()
        time.sleep(0.5)
        t0 = time.time()
        conn.cancel_safe()
        worker.join(30)
        assert errors and isinstance(errors[0], psycopg.errors.QueryCanceled), errors
        assert time.time() - t0 < 10
        assert conn.execute("SELECT 1").fetchone() == (1,)   # the connection still works


def test_wrong_password_and_unknown_database(where):
    host, port = where
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host=host, port=port, user=ADMIN, password="wrong", dbname="dev", sslmode="disable")
    # pg-mimic completes the startup before the session opens its database, so the error arrives
    # with the first statement rather than at connect (Redshift refuses the connection itself).
    with pytest.raises(psycopg.errors.InvalidCatalogName, match='database "nodb" does not exist'):
        with psycopg.connect(host=host, port=port, user=ADMIN, password=PASSWORD, dbname="nodb",
                             sslmode="disable") as conn:
            conn.execute("SELECT 1")


def test_temporary_iam_credentials_log_in(where, rs):
    creds = rs.get_credentials(workgroupName=WORKGROUP)
    host, port = where
    with psycopg.connect(host=host, port=port, user=creds["dbUser"], password=creds["dbPassword"], dbname="dev",
                         sslmode="disable") as conn:
        assert conn.execute("SELECT 42").fetchone() == (42,)


def test_wire_and_data_api_see_the_same_tables(where, api):
    api.run("CREATE TABLE shared AS SELECT 7 AS seven")
    with _pg(where) as conn:
        assert conn.execute("SELECT seven FROM shared").fetchone() == (7,)
