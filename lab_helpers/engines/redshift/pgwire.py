"""pgwire: the workgroup's PostgreSQL port, so redshift_connector, psycopg, SQLAlchemy and pandas connect.

The protocol itself is pg-mimic's (pure-Python asyncio PostgreSQL v3 server, MIT): startup with
SSLRequest declined, MD5 password authentication, the simple and the extended query protocol
(Parse/Bind/Describe/Execute/Sync, statement-level Describe before Bind as redshift_connector sends
it), text and binary result formats, ErrorResponse with SQLSTATE, CancelRequest with the backend key.
It was chosen over buenavista (FastAPI/pydantic dependencies, MD5 only, unmaintained since 2024, its
own DuckDB session model) and riffq (Rust pre-release): pg-mimic's Statement/Portal interface lets
every statement go through the same ``warehouse.Session`` the Data API uses, with nothing of its own
in between (its middleware chain is switched off: transactions, SET/SHOW and the catalogs are the
engine's). Startup parameters a plain PostgreSQL refuses (redshift_connector's
``client_protocol_version``, ``driver_version``, ``os_version``…) are accepted and ignored; no
``server_protocol_version`` is announced, so redshift_connector keeps to the base protocol.

One listener per workgroup on loopback; its port is ``LABKIT_REDSHIFT_PORT`` (default 5439, the
workgroup's ``port``); a busy port falls back to a free one, and the workgroup's endpoint reports the
port actually bound. Users: the namespace's admin user with its password, or the temporary
``IAM:<name>`` credentials from redshift-serverless GetCredentials. The database is the startup
``database`` parameter (``dev`` by default).
"""
from __future__ import annotations

import asyncio
import logging
import socket
import threading

from pg_mimic.auth import IdentityProvider, Md5PasswordAuthPlugin
from pg_mimic.errors import PgError
from pg_mimic.results import ResultColumn
from pg_mimic.server import PgServer
from pg_mimic.session import BaseSession, Portal, Statement

from ... import config
from .errors import RedshiftError, StatementCancelled
from .sqltext import first_words, strip
from .state import state

log = logging.getLogger("labkit.redshift.wire")
LOOPBACK = "127.0.0.1"
SERVER_VERSION = "8.0.2"          # what Redshift reports (PostgreSQL 8.0.2 lineage)
_ROW_WORDS = {"SELECT", "WITH", "VALUES", "SHOW", "TABLE", "("}


def returns_rows(sql: str) -> bool:
    text = strip(sql)
    if text.startswith("("):
        return True
    words = first_words(text, 1)
    return bool(words) and words[0] in _ROW_WORDS


class _Identity(IdentityProvider):
    def __init__(self, server: "WireServer"):
        self.server = server

    async def get_password(self, username: str) -> str | None:
        return self.server.password_for(username)


class _Statement(Statement):
    def __init__(self, wire: "_WireSession", sql: str, param_oids: list[int | None]):
        self.wire, self.sql, self.param_oids = wire, sql, param_oids
        self._columns: list[ResultColumn] | None | bool = False

    async def describe(self) -> list[ResultColumn] | None:
        if self._columns is False:
            if not returns_rows(self.sql):
                self._columns = None
            else:
                result = await self.wire.run(self.wire.session.describe, self.sql, len(self.param_oids))
                self._columns = [ResultColumn(n, t.oid) for n, t in zip(result.names, result.types)]
        return self._columns

    def bind(self, params: list) -> Portal:
        return _Portal(self, list(params))


class _Portal(Portal):
    def __init__(self, statement: _Statement, params: list):
        self.statement, self.params = statement, params
        self._rows: list[tuple] | None = None
        self._pos = 0

    async def execute(self, max_rows: int) -> tuple[list[tuple], bool]:
        wire = self.statement.wire
        if self._rows is None:
            result = await wire.run(wire.session.execute, self.statement.sql, self.params or None)
            if result.table is not None:
                cols = [c.to_pylist() for c in result.table.columns]
                self._rows = list(zip(*cols)) if cols else []
            else:
                # pg-mimic builds the command tag from the number of rows: a DML statement's affected
                # rows are reported as that many empty rows (no DataRow is sent without columns).
                self._rows = [()] * max(result.rowcount, 0)
        end = len(self._rows) if max_rows <= 0 else min(len(self._rows), self._pos + max_rows)
        rows, self._pos = self._rows[self._pos:end], end
        return rows, end < len(self._rows)


class _WireSession(BaseSession):
    """One client connection: a warehouse session of the connection's database, run on a worker thread."""

    def __init__(self, server: "WireServer"):
        self.server = server
        self.session = None
        self.connection = None
        self.startup_error: RedshiftError | None = None

    async def init(self, connection) -> None:
        self.connection = connection
        database = (connection.startup_params.get("database") or "dev").lower()
        try:
            target = self.server.target()
            self.session = await asyncio.get_running_loop().run_in_executor(
                None, lambda: state(self.server.ctx).warehouse(target, database).session(connection.username))
        except RedshiftError as e:
            # pg-mimic has already sent ReadyForQuery: the error is what every statement answers.
            self.startup_error = e

    async def close(self) -> None:
        if self.session is not None:
            self.session.close()

    async def prepare(self, sql: str, param_oids: list[int | None]) -> Statement:
        if self.startup_error is not None:
            raise PgError(self.startup_error.sqlstate, self.startup_error.message)
        return _Statement(self, sql, param_oids)

    async def run(self, fn, *args):
        """Run ``fn`` on a worker thread; a cancel (CancelRequest) interrupts DuckDB until it stops."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, fn, *args)
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            while not future.done():
                self.session.interrupt()
                await asyncio.wait([future], timeout=0.05)
            self._sync_status()
            raise
        except StatementCancelled:
            self._sync_status()
            raise PgError("57014", "Query cancelled on user's request") from None
        except RedshiftError as e:
            self._sync_status()
            fields = {"D": e.detail} if e.detail else {}
            raise PgError(e.sqlstate, e.message, **fields) from None
        self._sync_status()
        return result

    def _sync_status(self) -> None:
        s = self.session
        self.connection.tx_status = b"E" if s.failed_transaction else (b"T" if s.in_transaction else b"I")


class WireServer:
    """A pg-mimic server on its own event-loop thread, serving one workgroup."""

    def __init__(self, ctx, key: str, workgroup: str, port: int, region: str):
        self.ctx, self.key, self.workgroup, self.region = ctx, key, workgroup, region
        self._loop = asyncio.new_event_loop()
        self._server = PgServer(lambda: _WireSession(self), auth_plugin_factory=lambda user: Md5PasswordAuthPlugin(),
                                identity_provider=_Identity(self), server_version=SERVER_VERSION)
        self._server.parameter_status.update({"server_version": SERVER_VERSION, "application_name": "",
                                              "is_superuser": "on", "session_authorization": "awsuser"})
        self.port = self._bind(port)
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"redshift-wire-{workgroup}",
                                        daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def _bind(self, port: int) -> int:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Linux hands TCP_NODELAY down to accepted sockets: pg-mimic writes a reply as several small
        # messages, and with Nagle on each round trip waited for the client's delayed ACK (~40 ms).
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._sock.bind((LOOPBACK, port))
        except OSError:
            log.warning("port %d is busy: the Redshift wire port of %s uses a free port instead", port,
                        self.workgroup)
            self._sock.bind((LOOPBACK, 0))
        self._sock.listen(64)
        return self._sock.getsockname()[1]

    async def _start(self) -> None:
        await self._server.start_server(sock=self._sock)

    def target(self):
        return state(self.ctx).workgroup_target(self.workgroup, self.region)

    def password_for(self, username: str) -> str:
        st = state(self.ctx)
        try:
            target = self.target()
        except Exception:   # noqa: BLE001 - the workgroup is gone: nobody may log in
            return _impossible()
        if username.lower() == target.admin_user.lower() and target.password:
            return target.password
        temp = st.temp_credentials.get(username)
        if temp is not None:
            import time

            password, expires = temp
            if time.time() < expires:
                return password
        return _impossible()

    def close(self) -> None:
        async def stop():
            self._server.close()
            try:
                await asyncio.wait_for(self._server.wait_closed(), 5)
            except Exception:   # noqa: BLE001 - a stuck client must not hold the reset
                pass

        if self._loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
            except Exception:   # noqa: BLE001
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        try:
            self._sock.close()
        except OSError:
            pass


def _impossible() -> str:
    import secrets

    return secrets.token_hex(32)   # no client knows it: the login fails as a wrong password


def ensure_server(ctx, key: str, workgroup: str, default_port: int):
    """The workgroup's listener, started on first use (None when the wire port is turned off)."""
    st = state(ctx)
    with st.lock:
        server = st.servers.get(key)
        if server is not None:
            return server
        setting = config.load().redshift_port
        if setting is not None and setting < 0:
            return None
        port = default_port if setting is None else setting
        region = st.control.workgroups.get(workgroup, {}).get("region", "us-east-1")
        server = WireServer(ctx, key, workgroup, port, region)
        st.servers[key] = server
        return server
