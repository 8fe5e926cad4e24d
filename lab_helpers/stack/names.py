"""Every resource name of the workshop stack, derived from one workspace guid."""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass

from ..config import Settings

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


@dataclass(frozen=True)
class Names:
    guid: str

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
        return KMS_ALIAS

    @property
    def roles(self) -> tuple[str, ...]:
        return ROLES

    @property
    def functions(self) -> tuple[str, ...]:
        return (FETCH_DEMO_DATA, FETCH_S3_DATA)

    def as_dict(self) -> dict:
        return {"guid": self.guid, "buckets": self.buckets, "kms_alias": self.kms_alias,
                "roles": list(self.roles), "functions": list(self.functions)}


def new_guid() -> str:
    return secrets.token_hex(6)


def workspace(settings: Settings, create: bool = True) -> Names | None:
    """The workspace's names; the guid is created once and kept in LABKIT_HOME/workspace.json."""
    path = settings.workspace_file
    try:
        data = json.loads(path.read_text())
        guid = data.get(settings.target, {}).get("guid", "")
        if _GUID.match(guid):
            return Names(guid)
    except (OSError, ValueError):
        data = {}
    if not create:
        return None
    guid = new_guid()
    data.setdefault(settings.target, {})["guid"] = guid
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    return Names(guid)
