"""sandbox: DuckDB connections that can reach only the engine's own files, never the host or the network.

Learners type SQL; DuckDB's table functions (``read_text``, ``read_csv``, ``read_blob``, ``glob``,
``ATTACH``, ``COPY … TO``, ``INSTALL``) would otherwise read ``/etc/passwd``, the environment
in ``/proc/self/environ``, anyone's workspace, or fetch URLs. Every SQL engine of the kit
(Athena, Redshift, DataBrew) opens its DuckDB through ``sandboxed_duckdb``:

- ``enable_external_access = false`` with ``allowed_directories`` limited to the engine's own
  directories (the object cache its S3 readers fill, its scratch space);
- no extension auto-install or auto-load (nothing downloads, nothing loads from ``~/.duckdb``);
- the engine's settings applied, then ``lock_configuration = true`` so SQL cannot undo any of it.

The engines also refuse table functions in user SQL before DuckDB sees it (an Athena-shaped
``FUNCTION_NOT_FOUND``), so a learner cannot list or read the cache either: the sandbox is the
second wall, not the only one.
"""
from __future__ import annotations

import os
from typing import Iterable

import duckdb


def sandboxed_duckdb(allowed_dirs: Iterable[str], settings: Iterable[str] = (), database: str = ":memory:"):
    """A DuckDB connection locked to ``allowed_dirs`` (created if missing) after ``settings`` ran."""
    con = duckdb.connect(database, config={"autoinstall_known_extensions": False,
                                           "autoload_known_extensions": False})
    dirs = []
    for d in allowed_dirs:
        os.makedirs(d, exist_ok=True)
        for form in {os.path.abspath(d), os.path.realpath(d)}:   # paths may be given either way
            dirs.append(os.path.join(form, ""))
    con.execute("SET allowed_directories = ?", [dirs])
    con.execute("SET enable_external_access = false")
    for stmt in settings:
        con.execute(stmt)
    con.execute("SET lock_configuration = true")
    return con
