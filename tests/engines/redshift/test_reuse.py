"""What the engine keeps between statements to answer faster — each query's DuckDB SQL and result
columns (until the catalog changes), untouched Data API sessions, DescribeStatement answering when the
statement ends — never shows: every statement sees the catalog as it is, and no Data API statement sees
what an earlier one did to its session."""
import psycopg
import pytest

from lab_helpers.engines.redshift import data_api

from .conftest import ADMIN, PASSWORD


@pytest.fixture
def pg(workgroup):
    def connect(**kw):
        ep = workgroup["endpoint"]
        return psycopg.connect(host=ep["address"], port=ep["port"], user=ADMIN, password=PASSWORD, dbname="dev",
                               sslmode="disable", **kw)
    return connect


def _value(api, sql):
    return api.rows(sql)[1]


def test_data_api_statements_share_no_session_state(api):
    api.run("CREATE TEMP TABLE scratch AS SELECT 1 AS x")
    assert 'relation "scratch" does not exist' in api.fail("SELECT * FROM scratch")
    api.run("CREATE SCHEMA other")
    api.run("CREATE TABLE other.only_here AS SELECT 1 AS x")
    api.run("SET search_path TO other, public")
    assert 'relation "only_here" does not exist' in api.fail("SELECT * FROM only_here")
    pids = {api.run("SELECT 1")["RedshiftPid"] for _ in range(4)}
    assert len(pids) == 4                      # a session of its own per statement, as on Redshift


def test_repeated_queries_follow_catalog_changes(api):
    api.run("CREATE TABLE one AS SELECT 1 AS v")
    api.run("CREATE TABLE two AS SELECT 2 AS v")
    api.run("CREATE VIEW shown AS SELECT v FROM one")
    for _ in range(2):
        assert _value(api, "SELECT v FROM shown") == [(1,)]
    api.run("CREATE OR REPLACE VIEW shown AS SELECT v FROM two")
    assert _value(api, "SELECT v FROM shown") == [(2,)]
    api.run("DROP VIEW shown")
    api.run("CREATE TABLE shown AS SELECT 3 AS v")
    assert _value(api, "SELECT v FROM shown") == [(3,)]
    api.run("SELECT v INTO copied FROM one")   # SELECT ... INTO creates a table
    assert _value(api, "SELECT v FROM copied") == [(1,)]
    api.run("ALTER TABLE one RENAME TO uno")
    assert 'relation "one" does not exist' in api.fail("SELECT v FROM one")
    assert _value(api, "SELECT v FROM uno") == [(1,)]


def test_described_columns_follow_catalog_changes_over_the_wire(pg):
    with pg(autocommit=True) as conn:
        conn.execute("CREATE VIEW cols AS SELECT 1 AS a")
        for _ in range(2):
            cur = conn.execute("SELECT * FROM cols")
            assert [d.name for d in cur.description] == ["a"] and cur.fetchall() == [(1,)]
        conn.execute("CREATE OR REPLACE VIEW cols AS SELECT 1 AS b, 'x' AS c")
        cur = conn.execute("SELECT * FROM cols")
        assert [d.name for d in cur.description] == ["b", "c"] and cur.fetchall() == [(1, "x")]
        conn.execute("CREATE TABLE grows AS SELECT 1 AS a")
        assert [d.name for d in conn.execute("SELECT * FROM grows").description] == ["a"]
        conn.execute("ALTER TABLE grows ADD COLUMN b int")
        assert [d.name for d in conn.execute("SELECT * FROM grows").description] == ["a", "b"]


def test_a_transaction_sees_its_own_catalog_and_others_the_committed_one(pg):
    with pg(autocommit=True) as other:
        other.execute("CREATE TABLE base AS SELECT 1 AS v")
        other.execute("CREATE VIEW pick AS SELECT v FROM base")
        assert other.execute("SELECT v FROM pick").fetchall() == [(1,)]
        with pg() as conn:                     # psycopg opens a transaction
            assert conn.execute("SELECT v FROM pick").fetchall() == [(1,)]
            conn.execute("CREATE OR REPLACE VIEW pick AS SELECT v + 10 AS v FROM base")
            assert conn.execute("SELECT v FROM pick").fetchall() == [(11,)]
            assert other.execute("SELECT v FROM pick").fetchall() == [(1,)]
            conn.rollback()
            assert conn.execute("SELECT v FROM pick").fetchall() == [(1,)]
            conn.execute("CREATE OR REPLACE VIEW pick AS SELECT v + 20 AS v FROM base")
            conn.commit()
        assert other.execute("SELECT v FROM pick").fetchall() == [(21,)]


def test_describe_statement_answers_when_the_statement_ends(api, monkeypatch):
    monkeypatch.setattr(data_api, "DESCRIBE_WAIT_S", 60.0)
    sid = api.start("SELECT 42 AS answer")
    d = api.rd.describe_statement(Id=sid)       # no client-side polling needed for a statement that ends
    assert d["Status"] == "FINISHED" and d["ResultRows"] == 1
    assert api.rd.get_statement_result(Id=sid)["Records"] == [[{"longValue": 42}]]
