"""The DuckDB the DataBrew engine runs recipes on can read no host file and cannot be unlocked, and a
recipe's values stay values (no SQL reaches DuckDB from a parameter)."""
import duckdb
import pytest

from lab_helpers.engines.databrew import sandbox

from .support import open_project, people, preview, put_dataset, step


def test_connections_cannot_read_host_files_or_change_their_configuration(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    con = sandbox.connect()
    with pytest.raises(duckdb.Error):
        con.sql(f"SELECT * FROM read_csv('{secret}')").fetchall()
    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        con.execute("INSTALL httpfs")


def test_parameter_values_with_quotes_and_sql_are_plain_text(brew):
    put_dataset(brew, "people", people())
    open_project(brew)
    evil = "x'); SELECT * FROM read_csv('/etc/passwd'); --{t}"
    got = preview(brew, [step("FILL_WITH_CUSTOM", sourceColumn="name", columnDataType="string", value=evil)])
    assert got["name"].tolist()[2:4] == [evil, evil]
    got = preview(brew, [step("RENAME", sourceColumn="city", targetColumn='we"ird col')])
    assert 'we"ird col' in got.columns
