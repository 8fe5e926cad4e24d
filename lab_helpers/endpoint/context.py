"""What an engine gets besides the request: clients to the endpoint itself, ports, shared state."""
from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlencode

from botocore.config import Config

from ..sessions import isolated_session
from ..engines.platform.acting import Acting, RoleSessions
from ..engines.platform.jobs import JobTable
from ..engines.platform.logs import LogWriter
from ..engines.ports import CatalogError, FileCache
from . import moto
from .moto import accounts, s3 as moto_s3, sts as moto_sts

# Calls from an engine back into its own endpoint: fail fast, never retry for long.
_SELF_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5,
                      read_timeout=300, max_pool_connections=32)


class EngineContext:
    """Engines act in the account of the request they serve (``moto/accounts.py``): ``account_id``,
    ``client()``, ``state()`` and ``home`` are that account's — one endpoint, isolated accounts."""

    def __init__(self, endpoint_url: str, home: Path, moto_app=None):
        self.endpoint_url = endpoint_url
        self.moto_app = moto_app          # the gateway's moto WSGI app, for call_moto
        self._home = Path(home)
        self.cache = FileCache(str(self._home / "cache" / "objects"))
        self._state: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()
        self._clients: dict[tuple, object] = {}

    @property
    def account_id(self) -> str:
        return accounts.current()

    @property
    def home(self) -> Path:
        """The endpoint's directory; an account other than the default one gets its own below it."""
        account = accounts.current()
        return self._home if account == moto.ACCOUNT_ID else self._home / "accounts" / account

    def client(self, service: str, region: str = "us-east-1", credentials: dict | None = None):
        """A boto3 client for the endpoint itself, as the account's admin (default) or as a role session."""
        if credentials is None:
            key, secret = accounts.admin_key(accounts.current())
            credentials = {"AccessKeyId": key, "SecretAccessKey": secret}
        creds = credentials
        key = (service, region, creds["AccessKeyId"])
        with self._lock:
            if key not in self._clients:
                # Never the learner's ~/.aws or AWS_PROFILE: a stale profile must not break engines.
                session = isolated_session(creds["AccessKeyId"], creds["SecretAccessKey"],
                                           creds.get("SessionToken"), region)
                self._clients[key] = session.client(service, endpoint_url=self.endpoint_url, config=_SELF_CONFIG)
            return self._clients[key]

    def call_moto(self, request, operation: str | None = None, params: dict | None = None) -> moto.MotoAnswer:
        """moto's own answer to ``request``, run in-process, for the engine to patch (LocalStack's
        ``call_moto``). With ``operation`` and ``params``: moto's answer to that other operation of
        the same service, as the same caller in the same region (serialized as botocore would).
        Never passes through the gateway, so no engine handler or guard sees the call."""
        if self.moto_app is None:
            raise RuntimeError("EngineContext was built without moto's app: pass moto_app= (server.build_app does)")
        if operation is None:
            return moto.call(self.moto_app, request.method, request.path, urlencode(request.query, doseq=True),
                             request.headers, request.body)
        return moto.call(self.moto_app, *moto.derived_request(request.service, operation, params or {},
                                                              request.headers))

    def state(self, name: str, factory):
        """A per-engine singleton (executors, job tables) of the current account, dropped on reset."""
        key = (accounts.current(), name)
        with self._lock:
            if key not in self._state:
                self._state[key] = factory()
            return self._state[key]

    # -- the engine platform (lab_helpers/engines/platform) -------------------------------------
    def jobs(self, engine: str, workers: int = 4) -> JobTable:
        """The engine's job table (bounded pool); reset cancels its jobs and waits for them."""
        return self.state(f"jobs:{engine}", lambda: JobTable(engine, workers))

    def logs(self, region: str = "us-east-1") -> LogWriter:
        """CloudWatch Logs writing into the endpoint (groups and streams created on demand)."""
        return self.state(f"logs:{region}", lambda: LogWriter(lambda: self.client("logs", region)))

    def _sessions(self) -> RoleSessions:
        return self.state("role_sessions", lambda: RoleSessions(self, moto_sts.principal_for_access_key))

    def acting_as(self, role: str, region: str = "us-east-1", session_name: str = "labkit") -> Acting:
        """Assume ``role`` (name or ARN) once and act as it until shortly before it expires."""
        sessions = self._sessions()
        return sessions.acting_as(sessions.role_arn(role, self.account_id), region, session_name)

    def as_caller(self, request) -> Acting:
        """The principal that signed ``request`` (Athena reads S3 as its caller)."""
        return self._sessions().caller(request.access_key, request.region)

    def reset(self) -> None:
        """A reset (POST /_labkit/reset, `labkit reset`): engine state dropped, then what engines keep
        on disk across restarts wiped (their registry ``ON_RESET`` hooks), for every account."""
        self.stop()
        from .registry import RESET_HOOKS, resolve

        for ref in RESET_HOOKS:
            resolve(ref)(self._home)

    def stop(self) -> None:
        """The endpoint stops: engine state dropped (jobs cancelled and waited for); files stay."""
        with self._lock:
            states, self._state = list(self._state.values()), {}
        # Job tables first: they cancel and wait for in-flight work, which may still use the
        # engines' other state (DuckDB connections, runtimes) until it has stopped.
        states.sort(key=lambda st: not isinstance(st, JobTable))
        for state in states:
            shutdown = getattr(state, "shutdown", None)
            if callable(shutdown):
                shutdown()

    def store(self, region: str = "us-east-1") -> moto_s3.MotoObjectStore:
        """The learner's view of S3 (reads in-process, writes through the API)."""
        return moto_s3.MotoObjectStore(self.cache, lambda: self.client("s3", region))

    def catalog(self, region: str = "us-east-1") -> "BotoCatalog":
        return BotoCatalog(self.client("glue", region))


class BotoCatalog:
    """The Catalog port over the Glue API of the endpoint (moto's Data Catalog)."""

    def __init__(self, glue):
        self.glue = glue

    def _call(self, fn, **kwargs):
        try:
            return fn(**kwargs)
        except self.glue.exceptions.EntityNotFoundException as exc:
            raise CatalogError("EntityNotFoundException", str(exc)) from None
        except self.glue.exceptions.AlreadyExistsException as exc:
            raise CatalogError("AlreadyExistsException", str(exc)) from None

    def list_databases(self) -> list[dict]:
        out = []
        for page in self.glue.get_paginator("get_databases").paginate():
            out.extend(page["DatabaseList"])
        return out

    def get_database(self, name: str) -> dict | None:
        try:
            return self._call(self.glue.get_database, Name=name)["Database"]
        except CatalogError:
            return None

    def create_database(self, name: str, description: str = "", location_uri: str = "") -> None:
        db = {"Name": name}
        if description:
            db["Description"] = description
        if location_uri:
            db["LocationUri"] = location_uri
        self._call(self.glue.create_database, DatabaseInput=db)

    def delete_database(self, name: str) -> None:
        self._call(self.glue.delete_database, Name=name)

    def list_tables(self, database: str) -> list[dict]:
        out = []
        try:
            for page in self.glue.get_paginator("get_tables").paginate(DatabaseName=database):
                out.extend(page["TableList"])
        except self.glue.exceptions.EntityNotFoundException as exc:
            raise CatalogError("EntityNotFoundException", str(exc)) from None
        return out

    def get_table(self, database: str, name: str) -> dict | None:
        try:
            return self._call(self.glue.get_table, DatabaseName=database, Name=name)["Table"]
        except CatalogError:
            return None

    def create_table(self, database: str, table_input: dict) -> None:
        self._call(self.glue.create_table, DatabaseName=database, TableInput=_table_input(table_input))

    def update_table(self, database: str, table_input: dict) -> None:
        self._call(self.glue.update_table, DatabaseName=database, TableInput=_table_input(table_input))

    def delete_table(self, database: str, name: str) -> None:
        self._call(self.glue.delete_table, DatabaseName=database, Name=name)

    def get_partitions(self, database: str, table: str) -> list[dict]:
        out = []
        try:
            for page in self.glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
                out.extend(page["Partitions"])
        except self.glue.exceptions.EntityNotFoundException as exc:
            raise CatalogError("EntityNotFoundException", str(exc)) from None
        return out

    def create_partitions(self, database: str, table: str, partition_inputs: list[dict]) -> None:
        for i in range(0, len(partition_inputs), 100):  # Glue's BatchCreatePartition limit
            chunk = partition_inputs[i:i + 100]
            resp = self._call(self.glue.batch_create_partition, DatabaseName=database, TableName=table,
                              PartitionInputList=chunk)
            errors = resp.get("Errors") or []
            if errors:
                first = errors[0]["ErrorDetail"]
                raise CatalogError(first.get("ErrorCode", "InternalServiceException"), first.get("ErrorMessage", ""))

    def delete_partition(self, database: str, table: str, values: list[str]) -> None:
        self._call(self.glue.delete_partition, DatabaseName=database, TableName=table, PartitionValues=values)


_TABLE_INPUT_KEYS = {"Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention",
                     "StorageDescriptor", "PartitionKeys", "ViewOriginalText", "ViewExpandedText",
                     "TableType", "Parameters", "TargetTable", "ViewDefinition"}


def _table_input(table: dict) -> dict:
    """GetTable output → TableInput (Glue rejects read-only fields such as CreateTime)."""
    return {k: v for k, v in table.items() if k in _TABLE_INPUT_KEYS}
