"""Redshift SQL on the warehouse through the Data API, with results compared to pandas on the same data."""
import datetime as dt

import numpy as np
import pandas as pd

N = 500
rng = np.random.default_rng(7)
ORDERS = pd.DataFrame({"order_id": np.arange(1, N + 1), "customer_id": rng.integers(1, 40, N),
                       "amount": rng.integers(100, 100000, N) / 100,
                       "ordered": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, N), unit="D"),
                       "status": pd.Series(rng.choice(["new", "paid", "shipped", ""], N)).replace("", None)})
CUSTOMERS = pd.DataFrame({"customer_id": np.arange(1, 40), "region": rng.choice(["NZ", "US", "FR"], 39)})


def _load(api):
    api.run("CREATE TABLE customers (customer_id int, region varchar(2)) DISTSTYLE ALL")
    api.run("CREATE TABLE orders (order_id bigint IDENTITY(1,1), customer_id int ENCODE az64, amount numeric(10,2), "
            "ordered date, status varchar(10)) DISTKEY(customer_id) COMPOUND SORTKEY(ordered, order_id)")
    values = ", ".join(f"({c}, '{r}')" for c, r in CUSTOMERS.itertuples(index=False))
    api.run(f"INSERT INTO customers VALUES {values}")
    rows = ", ".join(f"({c}, {a}, '{o.date()}', {'NULL' if pd.isna(s) else repr(s)})"
                     for _, c, a, o, s in ORDERS.itertuples(index=False))
    api.run(f"INSERT INTO orders (customer_id, amount, ordered, status) VALUES {rows}")


def test_join_aggregate_matches_pandas(api):
    _load(api)
    got = api.frame("""SELECT c.region, COUNT(*) AS n, SUM(o.amount) AS total, MAX(o.ordered) AS last_order
                       FROM orders o JOIN customers c ON o.customer_id = c.customer_id
                       GROUP BY c.region ORDER BY c.region""")
    m = ORDERS.merge(CUSTOMERS, on="customer_id")
    want = m.groupby("region").agg(n=("order_id", "size"), total=("amount", "sum"), last=("ordered", "max")) \
        .reset_index().sort_values("region")
    assert got.region.tolist() == want.region.tolist() and got.n.tolist() == want.n.tolist()
    assert [round(float(t), 2) for t in got.total] == [round(t, 2) for t in want.total]
    assert got.last_order.tolist() == [d.strftime("%Y-%m-%d") for d in want["last"]]


def test_identity_and_window_functions(api):
    _load(api)
    _, rows = api.rows("SELECT min(order_id), max(order_id), count(DISTINCT order_id) FROM orders")
    assert rows == [(1, N, N)]
    got = api.frame("SELECT order_id, SUM(amount) OVER (PARTITION BY customer_id ORDER BY order_id "
                    "ROWS UNBOUNDED PRECEDING) AS running FROM orders ORDER BY order_id")
    want = ORDERS.assign(running=ORDERS.groupby("customer_id").amount.cumsum())
    assert np.allclose(got.running.astype(float), want.running.round(2))


def test_redshift_functions(api):
    _, rows = api.rows("""SELECT DATEDIFF(day, '2024-01-01'::date, '2024-03-01'::date),
                                 DATEDIFF(month, '2024-01-31'::date, '2024-02-01'::date),
                                 DATEADD(month, 1, '2024-01-31'::date),
                                 TO_DATE('2024-02-09 10:00:00', 'YYYY-MM-DD'),
                                 NVL(NULL, 'fallback'), DECODE(2, 1, 'one', 2, 'two', 'many'),
                                 EXTRACT(dayofweek FROM '2024-01-07'::date), DATEPART(hour, '2024-01-01 13:45:00'::timestamp),
                                 CONVERT_TIMEZONE('UTC', 'America/New_York', '2024-07-01 12:00:00'::timestamp),
                                 LEN('abc'), NVL2(NULL, 'a', 'b'), GETDATE() > '2020-01-01'""")
    assert rows == [(60, 1, "2024-02-29 00:00:00", "2024-02-09", "fallback", "two", 0, 13, "2024-07-01 08:00:00", 3,
                     "b", True)]
    _, rows = api.rows("SELECT LISTAGG(region, ',') WITHIN GROUP (ORDER BY region) FROM "
                       "(SELECT 'US' AS region UNION ALL SELECT 'FR' UNION ALL SELECT 'NZ')")
    assert rows == [("FR,NZ,US",)]


def test_result_column_names_follow_redshift(api):
    names, _ = api.rows("SELECT count(*), sum(1), 1 + 1, max(x) FROM (SELECT 1 AS x) t")
    assert names == ["count", "sum", "?column?", "max"]


def test_update_delete_merge(api):
    _load(api)
    d = api.run("UPDATE orders SET status = 'void' WHERE status IS NULL")
    assert d["ResultRows"] == int(ORDERS.status.isna().sum())
    d = api.run("DELETE FROM orders WHERE amount < 100")
    assert d["ResultRows"] == int((ORDERS.amount < 100).sum())
    api.run("CREATE TABLE changes AS SELECT 1 AS customer_id, 'AU' AS region UNION ALL SELECT 99, 'JP'")
    api.run("CREATE TABLE c2 AS SELECT * FROM customers")
    api.run("MERGE INTO c2 USING changes ON c2.customer_id = changes.customer_id "
            "WHEN MATCHED THEN UPDATE SET region = changes.region "
            "WHEN NOT MATCHED THEN INSERT VALUES (changes.customer_id, changes.region)")
    _, rows = api.rows("SELECT customer_id, region FROM c2 WHERE customer_id IN (1, 99) ORDER BY 1")
    assert rows == [(1, "AU"), (99, "JP")]


def test_table_attributes_are_recorded(api):
    _load(api)
    _, info = api.rows("SELECT \"table\", diststyle, sortkey1, encoded, tbl_rows FROM svv_table_info ORDER BY 1")
    assert info == [("customers", "ALL", None, "N", 39), ("orders", "KEY(customer_id)", "ordered", "Y", N)]
    _, cols = api.rows("SELECT \"column\", type, encoding, distkey, sortkey FROM pg_table_def "
                       "WHERE tablename = 'orders' ORDER BY \"column\"")
    assert ("ordered", "date", "none", False, 1) in cols and ("order_id", "bigint", "none", False, 2) in cols
    assert ("customer_id", "integer", "az64", True, 0) in cols


def test_materialized_view_refresh(api):
    _load(api)
    api.run("CREATE MATERIALIZED VIEW region_totals AS SELECT c.region, count(*) AS n FROM orders o "
            "JOIN customers c USING (customer_id) GROUP BY c.region")
    before = dict(api.rows("SELECT region, n FROM region_totals")[1])
    api.run("INSERT INTO orders (customer_id, amount, ordered, status) VALUES (1, 1, '2024-01-01', 'new')")
    assert dict(api.rows("SELECT region, n FROM region_totals")[1]) == before
    api.run("REFRESH MATERIALIZED VIEW region_totals")
    region = CUSTOMERS.set_index("customer_id").region[1]
    assert dict(api.rows("SELECT region, n FROM region_totals")[1])[region] == before[region] + 1


def test_transactions_and_rollback_in_a_batch(api):
    api.run("CREATE TABLE t (x int)")
    bid = api.rd.batch_execute_statement(WorkgroupName=api.workgroup, Database="dev", Sqls=[
        "INSERT INTO t VALUES (1)", "DELETE FROM t", "INSERT INTO t VALUES (2)"])["Id"]
    assert api.wait(bid)["Status"] == "FINISHED"
    assert api.rows("SELECT x FROM t")[1] == [(2,)]


def test_errors_never_show_duckdb_text(api):
    for sql in ("SELECT * FROM nope", "SELECT nope FROM (SELECT 1 AS x) t", "CREATE TABLE x (a int) FOOBAR",
                "SELECT read_csv('/etc/passwd')", "SELECT * FROM read_csv('/etc/passwd')",
                "CREATE EXTERNAL TABLE s.t (a int) LOCATION 's3://b/'", "SELECT 'a' + 1"):
        error = api.fail(sql)
        assert error.startswith("ERROR: ") and "duckdb" not in error.lower() and "Binder Error" not in error, error


def test_sandbox_blocks_host_files(api):
    error = api.fail("SELECT * FROM read_parquet('/etc/hostname')")
    assert error == "ERROR: function read_parquet does not exist"


def test_information_schema_and_svv_tables(api):
    _load(api)
    api.run("CREATE VIEW big AS SELECT * FROM orders WHERE amount > 500")
    _, rows = api.rows("SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' "
                       "ORDER BY 1")
    assert rows == [("big", "VIEW"), ("customers", "BASE TABLE"), ("orders", "BASE TABLE")]
    _, rows = api.rows("SELECT table_name FROM svv_tables WHERE table_schema = 'public' ORDER BY 1")
    assert [r[0] for r in rows] == ["big", "customers", "orders"]


def test_dates_and_timestamps_round_trip(api):
    api.run("CREATE TABLE ts (d date, t timestamp)")
    api.run("INSERT INTO ts VALUES ('2020-08-17', '2020-08-17 10:11:12')")
    _, rows = api.rows("SELECT d, t, d + 1, DATE_TRUNC('month', t) FROM ts")
    assert rows == [("2020-08-17", "2020-08-17 10:11:12", "2020-08-18", "2020-08-01 00:00:00")]
    assert dt.date.fromisoformat(rows[0][0]) == dt.date(2020, 8, 17)


def test_trunc_of_a_timestamp_is_its_date_and_of_a_number_its_integer_part(api):
    api.run("CREATE TABLE tt (t timestamp, n decimal(6,2))")
    api.run("INSERT INTO tt VALUES ('2020-08-17 10:11:12', 3.75)")
    _, rows = api.rows("SELECT TRUNC(t), TRUNC(n), TRUNC(t::timestamp), TRUNC(DATEADD(day, 1, t)) FROM tt")
    assert rows == [("2020-08-17", "3", "2020-08-17", "2020-08-18")]   # numeric values come back as text
    _, rows = api.rows("SELECT TRUNC(GETDATE()) = CURRENT_DATE, TRUNC(SYSDATE) = CURRENT_DATE, TRUNC(-2.5)")
    assert rows[0][:2] == (True, True) and float(rows[0][2]) == -2.0
