"""Every resource name of the workshop stack, derived from one workspace guid (and a scope).

Bucket names carry the guid, so they are unique everywhere. Every other name the workshop uses
(``alias/dataedu-key``, ``dataedu-glue-crawler-role``, ``db_raw_sisdemo``, ``dataedu-wg``,
``student-ext-2``, ``at-risk-xgboost`` ...) is unique only per account and region. A solo
learner has the account to themselves and uses those names as the workshop prints them. When
several learners share one account (``labkit class create --shared-account``), each workspace
gets a *scope* (``l07``) and every such name carries it: ``Names.of`` turns
``dataedu-glue-crawler-role`` into ``l07-dataedu-glue-crawler-role`` and ``db_raw_sisdemo``
into ``l07_db_raw_sisdemo`` (underscores where the service wants them: Glue and Athena
databases). Notebooks and checks ask for every name through ``Names.of`` (``lab.name``), so
the same code runs in both cases.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

from ..config import SCOPE, SCOPE_RULE, Settings

TAG_KEY = "labkit:workspace"
KMS_ALIAS = "alias/dataedu-key"
ROLES = ("dataedu-fetch-demo-data-role", "dataedu-fetch-s3-data-role", "dataedu-glue-crawler-role",
         "dataedu-databrew-role", "dataedu-redshift-role", "dataedu-sagemaker-role")
FETCH_DEMO_DATA = "dataedu-fetch-demo-data"
FETCH_S3_DATA = "dataedu-fetch-s3-data"
# Where the workshop's asset bucket keeps the mock data, and where the loader puts it.
SIS_SOURCE_PREFIX = "v1/mockdata/sis_demo_parquet/"
LMS_SOURCE_PREFIX = "v1/mockdata/lms_demo/v1/"
SIS_RAW_PREFIX = "sisdb/sisdemo/"
LMS_RAW_PREFIX = "lmsapi/"
_GUID = re.compile(r"^[0-9a-f]{12}$")


class ScopeError(ValueError):
    """A scope the names cannot carry (the message says what a scope may be)."""


def check_scope(scope: str) -> str:
    if scope and not SCOPE.match(scope):
        raise ScopeError(f"scope {scope!r} is not usable in resource names: {SCOPE_RULE}")
    return scope


@dataclass(frozen=True)
class Names:
    guid: str
    scope: str = ""

    def __post_init__(self):
        check_scope(self.scope)

    def of(self, base: str) -> str:
        """The workspace's name for the workshop's ``base`` name: unchanged without a scope;
        ``<scope>-base`` (``<scope>_base`` for an underscore name such as a Glue database;
        ``alias/<scope>-base`` for a KMS alias) with one."""
        if not self.scope:
            return base
        if base.startswith("alias/"):
            return "alias/" + self.of(base[len("alias/"):])
        if base.startswith(self.scope + ("_" if _underscored(base) else "-")):
            return base   # already scoped: of() is idempotent
        return f"{self.scope}{'_' if _underscored(base) else '-'}{base}"

    @property
    def buckets(self) -> dict[str, str]:
        return {
            "raw": f"dataedu-raw-{self.guid}",
            "curated": f"dataedu-curated-{self.guid}",
            "results": f"dataedu-results-{self.guid}",
            "source": f"dataedu-source-{self.guid}",
        }

    @property
    def kms_alias(self) -> str:
        return self.of(KMS_ALIAS)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.of(role) for role in ROLES)

    @property
    def functions(self) -> tuple[str, ...]:
        return (self.of(FETCH_DEMO_DATA), self.of(FETCH_S3_DATA))

    def as_dict(self) -> dict:
        return {"guid": self.guid, "scope": self.scope, "buckets": self.buckets, "kms_alias": self.kms_alias,
                "roles": list(self.roles), "functions": list(self.functions)}


def _underscored(base: str) -> bool:
    return "_" in base and "-" not in base


def new_guid() -> str:
    return secrets.token_hex(6)


def workspace(settings: Settings, create: bool = True) -> Names | None:
    """The workspace's names; the guid (and the scope, in a shared account) is created once and
    kept in LABKIT_HOME/workspace.json. The scope (LABKIT_SCOPE) is recorded with the guid when the
    workspace is created and kept for its life: its resources carry those names."""
    entry = _recorded(settings).get(settings.target)
    if isinstance(entry, dict) and _GUID.match(entry.get("guid", "")):
        scope = entry.get("scope", "")
        if settings.scope and settings.scope != scope:   # its resources already carry the old names
            raise ScopeError(f"this workspace ({settings.workspace_file}) was created with "
                             f"{f'scope {scope!r}' if scope else 'no scope'}, not {settings.scope!r}: "
                             "unset LABKIT_SCOPE, or use another LABKIT_HOME")
        return Names(entry["guid"], scope)
    if not create:
        return None
    names = Names(new_guid(), settings.scope)
    save_workspace(settings, names)
    return names


def save_workspace(settings: Settings, names: Names) -> None:
    """Record ``names`` as the workspace of settings.target in LABKIT_HOME/workspace.json (other
    targets' workspaces in the file are kept). Class mode records the workspaces it provisions."""
    data = _recorded(settings)
    data[settings.target] = {"guid": names.guid, **({"scope": names.scope} if names.scope else {})}
    path = settings.workspace_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True))


def _recorded(settings: Settings) -> dict:
    """workspace.json's workspaces by target ({} if it is missing or unreadable)."""
    try:
        data = json.loads(settings.workspace_file.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
