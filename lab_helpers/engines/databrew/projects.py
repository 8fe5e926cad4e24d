"""projects: DataBrew projects and their interactive sessions (the console's grid, as an API).

A project ties a dataset to a recipe (created empty when it does not exist, as the console
does) and a sample (FIRST_N 500 rows by default). ``StartProjectSession`` loads the sample as the
project's role; ``SendProjectSessionAction`` previews a step on it (``Preview=True``) or adds the
step to the recipe's working version at ``StepIndex``. Its ``Result`` is JSON text (the format
AWS uses there is not documented): ``{"columns": [{"name", "type"}], "rows": [[...]],
"rowCount", "columnCount", "startRowIndex", "startColumnIndex"}``, cut to the ViewFrame.
"""
from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa

from . import recipe as recipe_mod
from . import sandbox
from .reader import read_dataset
from .runs import Snapshot, _resolver
from .types import spark_type

DEFAULT_SAMPLE = {"Size": 500, "Type": "FIRST_N"}
DEFAULT_ROWS = 100


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Session:
    client_session_id: str
    sample: pa.Table
    datasets: dict
    cache: dict = field(default_factory=dict)
    action_id: int = 0


@dataclass
class Project:
    name: str
    dataset_name: str
    recipe_name: str
    role_arn: str
    account_id: str
    region: str
    sample: dict = field(default_factory=lambda: dict(DEFAULT_SAMPLE))
    tags: dict = field(default_factory=dict)
    created: datetime = field(default_factory=_now)
    modified: datetime = field(default_factory=_now)
    created_by: str = ""
    session: Session | None = None
    opened: datetime | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:databrew:{self.region}:{self.account_id}:project/{self.name}"

    def describe(self) -> dict:
        out = {"AccountId": self.account_id, "CreateDate": self.created, "CreatedBy": self.created_by,
               "DatasetName": self.dataset_name, "LastModifiedDate": self.modified, "LastModifiedBy": self.created_by,
               "Name": self.name, "RecipeName": self.recipe_name, "ResourceArn": self.arn, "Sample": self.sample,
               "RoleArn": self.role_arn, "Tags": self.tags}
        if self.session is not None:
            out.update({"SessionStatus": "READY", "OpenedBy": self.created_by, "OpenDate": self.opened})
        return out


class Projects:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_name: dict[str, Project] = {}


def take_sample(table: pa.Table, sample: dict) -> pa.Table:
    size = int(sample.get("Size") or DEFAULT_SAMPLE["Size"])
    kind = sample.get("Type") or "FIRST_N"
    if kind == "LAST_N":
        return table.slice(max(0, table.num_rows - size))
    if kind == "RANDOM" and table.num_rows > size:
        picks = np.sort(np.random.default_rng(0).choice(table.num_rows, size, replace=False))
        return table.take(pa.array(picks))
    return table.slice(0, size)


def open_session(ctx, project: Project, dataset: dict, datasets: dict) -> Session:
    """Load the project's sample as its role (AccessDenied here is the role's, as on AWS)."""
    store = ctx.acting_as(project.role_arn, project.region, f"AWSGlueDataBrew-{project.name}"[:64]).store()
    con = sandbox.connect()
    try:
        table, _ = read_dataset(dataset, store, ctx.catalog(project.region), con)
    finally:
        con.close()
    return Session(secrets.token_hex(16), take_sample(table, project.sample), datasets)


def _cell(value):
    if value is None:
        return None
    if isinstance(value, float) and (np.isnan(value) or np.isinf(value)):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "as_tuple"):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def view(table: pa.Table, frame: dict | None) -> dict:
    frame = frame or {}
    hidden = set(frame.get("HiddenColumns") or [])
    names = [n for n in table.column_names if n not in hidden]
    c0 = int(frame.get("StartColumnIndex") or 0)
    names = names[c0:c0 + int(frame["ColumnRange"])] if frame.get("ColumnRange") else names[c0:]
    r0 = int(frame.get("StartRowIndex") or 0)
    rows = int(frame.get("RowRange") or DEFAULT_ROWS)
    part = table.select(names).slice(r0, rows)
    columns = [{"name": n, "type": spark_type(table.schema.field(n).type)} for n in names]
    data = [[_cell(v) for v in row.values()] for row in part.to_pylist()]
    return {"columns": columns, "rows": data, "rowCount": table.num_rows, "columnCount": table.num_columns,
            "startRowIndex": r0, "startColumnIndex": c0}


def preview(ctx, project: Project, steps: list[dict], frame: dict | None) -> dict:
    """The session's sample after ``steps`` (secondary datasets read as the project's role, cached)."""
    session = project.session
    store = ctx.acting_as(project.role_arn, project.region, f"AWSGlueDataBrew-{project.name}"[:64]).store()
    con = sandbox.connect()
    try:
        snap = Snapshot(job={}, dataset={}, datasets=session.datasets)
        runner = recipe_mod.Runner(con, _resolver(snap, store, ctx.catalog(project.region), con, session.cache))
        result = recipe_mod.run(session.sample, steps, runner)
    finally:
        con.close()
    return view(result, frame)


def result_text(doc: dict) -> str:
    return json.dumps(doc, default=str)
