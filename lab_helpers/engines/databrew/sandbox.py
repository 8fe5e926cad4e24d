"""sandbox: DuckDB connections that can read no host file and reach no network.

Every relation a DataBrew job works on is an Arrow table the engine loaded through the kit's
object store (as the job's role) and registered on the connection; DuckDB itself may not touch
the file system (``enable_external_access=false``), may not install or load extensions, and the
configuration is locked so a recipe value cannot switch that back on.
"""
from __future__ import annotations

import duckdb

THREADS = 2   # the class machine has two cores, shared


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:", config={
        "enable_external_access": False, "autoinstall_known_extensions": False,
        "autoload_known_extensions": False})
    for stmt in (f"SET threads = {THREADS}", "SET TimeZone = 'UTC'", "SET lock_configuration = true"):
        con.execute(stmt)
    return con


def quote(name: str) -> str:
    """A DuckDB identifier for any column name (spaces, quotes, keywords)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value) -> str:
    """A DuckDB literal for a Python string/number/bool/None."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
