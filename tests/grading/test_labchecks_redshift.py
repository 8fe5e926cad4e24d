"""Lab 06: every check fails at the start of the lab and passes after its solution; partial credit."""
import json

from click.testing import CliRunner

from lab_helpers.authoring.catchup import catch_up
from lab_helpers.cli import main as labkit
from lab_helpers.grading.labchecks import redshift as checks

QUIET = dict(echo=lambda *_: None)
IDS = {"workgroup", "external_schemas", "spectrum_access", "sis_tables", "late_binding_views", "copy_load", "unload"}


def _results(session, lab):
    return {r.check_id: r for r in session.run_lab_checks(lab, record=False)}


def test_lab_06_checks_fail_before_and_pass_after_the_solution(workspace, client):
    catch_up("06_redshift", **QUIET)                          # labs 00-04 done, lab 06 not started
    fresh = _results(workspace, "06_redshift")
    assert set(fresh) == IDS
    for r in fresh.values():
        assert not r.passed and r.points < r.max_points and r.hint, str(r)
        assert r.message.startswith("Not done yet"), str(r)
    assert "create_namespace" in fresh["workgroup"].hint
    assert "key users" in fresh["spectrum_access"].hint

    catch_up("06_redshift", through=True, **QUIET)
    after = _results(workspace, "06_redshift")
    assert all(r.passed and r.points == r.max_points for r in after.values()), [str(r) for r in after.values()]
    outcome = CliRunner().invoke(labkit, ["check", "06_redshift", "--json"])
    assert outcome.exit_code == 0, outcome.output
    assert all(c["passed"] for c in json.loads(outcome.output)["checks"])

    # Partial credit: a view dropped, the COPY table emptied, the role no longer a key user.
    checks.sql(workspace.check_context(), "DROP VIEW sis_lms.request_info_view")
    views = workspace.run_check("06_redshift", "late_binding_views", record=False)
    assert not views.passed and 0 < views.points < views.max_points
    checks.sql(workspace.check_context(), "TRUNCATE lms.requests")
    loaded = workspace.run_check("06_redshift", "copy_load", record=False)
    assert not loaded.passed and "0 rows" in " ".join(loaded.found)
    kms = client("kms")
    key_id = kms.describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    for st in policy["Statement"]:
        if st.get("Sid") == "Allow use of the key":
            st["Principal"]["AWS"] = [a for a in st["Principal"]["AWS"] if checks.ROLE not in a]
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    access = workspace.run_check("06_redshift", "spectrum_access", record=False)
    assert not access.passed and any("Spectrum query failed" in f for f in access.found)
