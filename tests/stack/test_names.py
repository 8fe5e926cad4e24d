"""Workspace names: the workshop's names solo, scoped names in an account shared with a class."""
import json

import pytest

from lab_helpers import config
from lab_helpers.stack.names import KMS_ALIAS, ROLES, Names, ScopeError, workspace

GUID = "0123456789ab"


def test_without_a_scope_every_name_is_the_workshops():
    names = Names(GUID)
    for base in ("dataedu-glue-crawler-role", "db_raw_sisdemo", "alias/dataedu-key", "at-risk-xgboost"):
        assert names.of(base) == base
    assert names.kms_alias == KMS_ALIAS and names.roles == ROLES
    assert names.buckets["raw"] == f"dataedu-raw-{GUID}"


def test_a_scope_prefixes_each_kind_of_name_the_way_its_service_accepts():
    names = Names(GUID, "l07")
    assert names.of("dataedu-glue-crawler-role") == "l07-dataedu-glue-crawler-role"
    assert names.of("db_raw_sisdemo") == "l07_db_raw_sisdemo"        # Glue/Athena database: underscores
    assert names.of("alias/dataedu-key") == "alias/l07-dataedu-key"   # the alias/ prefix stays first
    assert names.kms_alias == "alias/l07-dataedu-key"
    assert names.of(names.of("dataedu-wg")) == "l07-dataedu-wg"      # idempotent
    assert all(role.startswith("l07-dataedu-") and len(role) <= 64 for role in names.roles)
    assert names.functions == ("l07-dataedu-fetch-demo-data", "l07-dataedu-fetch-s3-data")
    assert names.buckets == Names(GUID).buckets                       # the guid already makes them unique
    assert names.as_dict()["scope"] == "l07"


@pytest.mark.parametrize("scope", ["L07", "7up", "l-07", "l_07", "a" * 13])
def test_a_scope_that_names_cannot_carry_is_refused_with_the_rule(scope):
    with pytest.raises(ScopeError, match="lower-case letters and digits"):
        Names(GUID, scope)
    if scope != "L07":   # the variable is read case-insensitively: LABKIT_SCOPE=L07 is l07
        with pytest.raises(config.ConfigError, match="LABKIT_SCOPE"):
            config.load({"LABKIT_SCOPE": scope})
    assert config.load({"LABKIT_SCOPE": "L07"}).scope == "l07"


def test_the_scope_is_recorded_with_the_guid_and_kept(tmp_path):
    scoped = config.load({"LABKIT_HOME": str(tmp_path), "LABKIT_SCOPE": "l07"})
    first = workspace(scoped)
    assert first.scope == "l07"
    assert json.loads((tmp_path / "workspace.json").read_text())["local"] == {"guid": first.guid, "scope": "l07"}
    # Later runs find it without the variable, and with the same one.
    assert workspace(config.load({"LABKIT_HOME": str(tmp_path)})) == first
    assert workspace(scoped) == first


def test_changing_the_scope_of_a_workspace_is_refused_not_silently_renaming(tmp_path):
    workspace(config.load({"LABKIT_HOME": str(tmp_path)}))              # created solo
    with pytest.raises(ScopeError, match="created with no scope, not 'l07'"):
        workspace(config.load({"LABKIT_HOME": str(tmp_path), "LABKIT_SCOPE": "l07"}))
    other = tmp_path / "other"
    workspace(config.load({"LABKIT_HOME": str(other), "LABKIT_SCOPE": "l07"}))
    with pytest.raises(ScopeError, match="created with scope 'l07', not 'l08'"):
        workspace(config.load({"LABKIT_HOME": str(other), "LABKIT_SCOPE": "l08"}))
