"""Fixtures for the Redshift engine tests: a serverless workgroup on the test endpoint and a Data API helper."""
import time

import pytest

NAMESPACE, WORKGROUP, ADMIN, PASSWORD = "ns-test", "wg-test", "awsuser", "Awsuser123"


class DataApi:
    """Runs statements through boto3's redshift-data client the way a notebook does (poll, then page)."""

    def __init__(self, client, workgroup=WORKGROUP, database="dev"):
        self.rd, self.workgroup, self.database = client, workgroup, database

    def start(self, sql, **kw):
        kw.setdefault("WorkgroupName", self.workgroup)
        kw.setdefault("Database", self.database)
        return self.rd.execute_statement(Sql=sql, **kw)["Id"]

    def wait(self, sid, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            d = self.rd.describe_statement(Id=sid)
            if d["Status"] in ("FINISHED", "FAILED", "ABORTED"):
                return d
            time.sleep(0.02)
        raise AssertionError(f"statement {sid} did not finish")

    def run(self, sql, **kw):
        d = self.wait(self.start(sql, **kw))
        assert d["Status"] == "FINISHED", (sql, d.get("Error"))
        return d

    def fail(self, sql, **kw):
        d = self.wait(self.start(sql, **kw))
        assert d["Status"] == "FAILED", sql
        return d["Error"]

    def rows(self, sql, **kw):
        """(column names, rows of python values) over every page."""
        d = self.run(sql, **kw)
        names, out, token = None, [], None
        while True:
            page = self.rd.get_statement_result(Id=d["Id"], **({"NextToken": token} if token else {}))
            names = [c["name"] for c in page["ColumnMetadata"]]
            for rec in page["Records"]:
                out.append(tuple(None if c.get("isNull") else next(iter(c.values())) for c in rec))
            token = page.get("NextToken")
            if not token:
                return names, out

    def frame(self, sql, **kw):
        import pandas as pd

        names, rows = self.rows(sql, **kw)
        return pd.DataFrame(rows, columns=names)


def wait_available(rs, name, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        wg = rs.get_workgroup(workgroupName=name)["workgroup"]
        if wg["status"] == "AVAILABLE":
            return wg
        time.sleep(0.05)
    raise AssertionError("workgroup did not become AVAILABLE")


@pytest.fixture
def rs(client):
    return client("redshift-serverless")


@pytest.fixture
def workgroup(rs, monkeypatch):
    """A namespace + workgroup with the admin user, AVAILABLE (the wire port on a free port)."""
    monkeypatch.setenv("LABKIT_REDSHIFT_PORT", "0")
    rs.create_namespace(namespaceName=NAMESPACE, adminUsername=ADMIN, adminUserPassword=PASSWORD, dbName="dev")
    rs.create_workgroup(workgroupName=WORKGROUP, namespaceName=NAMESPACE, baseCapacity=8)
    return wait_available(rs, WORKGROUP)


@pytest.fixture
def api(client, workgroup):
    return DataApi(client("redshift-data"))
