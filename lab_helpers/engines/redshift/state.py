"""The engine's state on one endpoint: the serverless control plane (persisted under the workspace),
the open warehouses (one per workgroup/cluster + database), Data API statements, and the wire port."""
from __future__ import annotations

import json
import re
import secrets
import shutil
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ...endpoint.registry import EngineError
from ..platform.acting import RoleNotAssumable
from .errors import RedshiftError
from .warehouse import Warehouse

CREATING_S = 0.5      # how long a new workgroup stays CREATING (clients poll, as on AWS)
MODIFYING_S = 0.3


@dataclass
class Target:
    """Where a statement runs: a serverless workgroup or a provisioned cluster."""
    kind: str              # "workgroup" | "cluster"
    name: str
    region: str
    admin_user: str
    default_db: str
    roles: list[str]
    default_role: str = ""
    password: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.name}"


class EndpointLake:
    """Spectrum, COPY and UNLOAD reach Glue and S3 through the engine platform, as the statement's role."""

    def __init__(self, ctx, target: Target):
        self.ctx, self.target = ctx, target

    def catalog(self, region: str):
        return self.ctx.catalog(region)

    def store_as(self, role_arn: str, region: str):
        allowed = set(self.target.roles) | ({self.target.default_role} if self.target.default_role else set())
        if role_arn not in allowed:
            # Redshift may only assume roles associated with the namespace/cluster.
            raise RedshiftError(
                f"User arn:aws:redshift:{region}:{self.ctx.account_id}:dbuser:{self.target.name}/"
                f"{self.target.admin_user} is not authorized to assume IAM Role {role_arn}", "XX000",
                f"Associate the role with the {'namespace' if self.target.kind == 'workgroup' else 'cluster'} first "
                f"({'update_namespace(iamRoles=...)' if self.target.kind == 'workgroup' else 'modify_cluster_iam_roles'}).")
        try:
            return self.ctx.acting_as(role_arn, region, "RedshiftIAMRole").store()
        except RoleNotAssumable:
            raise RedshiftError(f"Not authorized to get credentials of role {role_arn}", "XX000") from None


class ControlPlane:
    """Namespaces and workgroups (redshift-serverless), kept in ``<home>/redshift/control.json``."""

    def __init__(self, root: Path):
        self.root = root
        self.path = root / "control.json"
        self.lock = threading.RLock()
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            data = {}
        self.namespaces: dict[str, dict] = data.get("namespaces", {})
        self.workgroups: dict[str, dict] = data.get("workgroups", {})
        self.secrets: dict[str, str] = data.get("secrets", {})          # namespace -> admin password
        self.databases: dict[str, list[str]] = data.get("databases", {})  # target key -> databases

    def save(self) -> None:
        with self.lock:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"namespaces": self.namespaces, "workgroups": self.workgroups,
                                       "secrets": self.secrets, "databases": self.databases}, indent=1, default=str))
            tmp.replace(self.path)


@dataclass
class SubStatement:
    id: str
    sql: str
    status: str = "SUBMITTED"
    error: str = ""
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    duration_ns: int = -1
    result: object = None
    query_id: int = 0


@dataclass
class Statement:
    id: str
    subs: list[SubStatement]
    is_batch: bool
    target: Target
    database: str
    db_user: str
    secret_arn: str | None
    name: str | None
    params: list[dict] | None
    result_format: str = "JSON"
    status: str = "SUBMITTED"
    error: str = ""
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    duration_ns: int = -1
    pid: int = 0
    job: object = None
    session_id: str | None = None


def new_password(length: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length - 2)) + "A1"


def wipe(home: Path) -> None:
    """The registry's ON_RESET hook: a reset of the endpoint removes every account's databases and
    control plane (a stop keeps them: tables survive `labkit down`/`up`)."""
    for root in [Path(home) / "redshift", *Path(home).glob("accounts/*/redshift")]:
        shutil.rmtree(root, ignore_errors=True)


class RedshiftState:
    def __init__(self, ctx):
        self.ctx = ctx
        self.root = Path(ctx.home) / "redshift"
        self.control = ControlPlane(self.root)
        self.warehouses: dict[tuple[str, str], Warehouse] = {}
        self.statements: dict[str, Statement] = {}
        self.order: list[str] = []
        self.lock = threading.RLock()
        self.servers: dict[str, object] = {}        # workgroup/cluster key -> wire server
        self.temp_credentials: dict[str, tuple[str, float]] = {}

    # -- targets -------------------------------------------------------------------------------
    def workgroup_target(self, name: str, region: str) -> Target:
        wg = self.control.workgroups.get(name)
        if wg is None or wg.get("region", region) != region:
            raise EngineError("ValidationException", f"Workgroup {name} not found. Create it with "
                                                     "redshift-serverless create_workgroup, or check the name.")
        ns = self.control.namespaces.get(wg["namespaceName"], {})
        return Target("workgroup", name, region, ns.get("adminUsername", "admin"), ns.get("dbName", "dev"),
                      list(ns.get("iamRoles") or []), ns.get("defaultIamRoleArn") or "",
                      self.control.secrets.get(wg["namespaceName"]))

    def cluster_target(self, identifier: str, region: str) -> Target:
        redshift = self.ctx.client("redshift", region)
        try:
            cluster = redshift.describe_clusters(ClusterIdentifier=identifier)["Clusters"][0]
        except Exception:   # noqa: BLE001 - moto's ClusterNotFound
            raise EngineError("ValidationException", f"Cluster {identifier} not found. Create it with "
                                                     "redshift create_cluster, or check the name.") from None
        roles = [r["IamRoleArn"] for r in cluster.get("IamRoles") or []]
        return Target("cluster", identifier, region, cluster.get("MasterUsername", "awsuser"),
                      cluster.get("DBName") or "dev", roles, cluster.get("DefaultIamRoleArn") or "", None)

    def databases(self, target: Target) -> list[str]:
        with self.control.lock:
            return sorted({target.default_db, *self.control.databases.get(target.key, [])})

    # -- warehouses ----------------------------------------------------------------------------
    def warehouse(self, target: Target, database: str) -> Warehouse:
        if database not in self.databases(target):
            raise RedshiftError(f'database "{database}" does not exist', "3D000")
        key = (target.key, database)
        with self.lock:
            wh = self.warehouses.get(key)
            if wh is None:
                path = self.root / target.key / f"{_safe(database)}.duckdb"
                wh = Warehouse(str(path), lake=EndpointLake(self.ctx, target),
                               allowed_dirs=[self.ctx.cache.root], region=target.region, database=database,
                               default_role=lambda: self._default_role(target), owner=target.admin_user)
                wh.database_hook = lambda session, text, t=target: self.database_statement(t, session, text)
                self.warehouses[key] = wh
            else:
                wh.lake.target = self._refresh(target)
            return wh

    def _refresh(self, target: Target) -> Target:
        if target.kind == "workgroup" and target.name in self.control.workgroups:
            return self.workgroup_target(target.name, target.region)
        return target

    def _default_role(self, target: Target) -> str:
        return self._refresh(target).default_role

    def database_statement(self, target: Target, session, text: str):
        m = re.match(r"\s*(CREATE|DROP)\s+DATABASE\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(\"[^\"]+\"|\w+)", text, re.I)
        if not m:
            raise RedshiftError('syntax error at or near "DATABASE"', "42601")
        verb, name = m.group(1).upper(), m.group(3).strip('"').lower()
        existing = self.databases(target)
        with self.control.lock:
            dbs = self.control.databases.setdefault(target.key, [])
            if verb == "CREATE":
                if name in existing:
                    if m.group(2):
                        return session.tagged("CREATE DATABASE")
                    raise RedshiftError(f'database "{name}" already exists', "42P04")
                dbs.append(name)
            else:
                if name not in existing:
                    if m.group(2):
                        return session.tagged("DROP DATABASE")
                    raise RedshiftError(f'database "{name}" does not exist', "3D000")
                if name == target.default_db or name == session.database:
                    raise RedshiftError("cannot drop the currently open database", "55006")
                dbs.remove(name)
                wh = self.warehouses.pop((target.key, name), None)
                if wh is not None:
                    wh.close()
                path = self.root / target.key / f"{_safe(name)}.duckdb"
                for p in (path, Path(str(path) + ".wal")):
                    p.unlink(missing_ok=True)
            self.control.save()
        return session.tagged(f"{verb} DATABASE")

    def drop_target(self, key: str) -> None:
        """A deleted workgroup/cluster: close its warehouses (files stay until the namespace goes)."""
        with self.lock:
            for k in [k for k in self.warehouses if k[0] == key]:
                self.warehouses.pop(k).close()
        server = self.servers.pop(key, None)
        if server is not None:
            server.close()

    def shutdown(self) -> None:
        # The context's reset has already cancelled and waited for the statement jobs.
        for server in list(self.servers.values()):
            try:
                server.close()
            except Exception:   # noqa: BLE001 - a port that will not close must not block the reset
                pass
        self.servers.clear()
        with self.lock:
            warehouses, self.warehouses = list(self.warehouses.values()), {}
        for wh in warehouses:
            wh.close()


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_$-]", "_", name.lower())


def state(ctx) -> RedshiftState:
    return ctx.state("redshift", lambda: RedshiftState(ctx))


def new_id() -> str:
    return str(uuid.uuid4())
