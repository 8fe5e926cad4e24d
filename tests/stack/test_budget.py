"""`labkit up --budget N`: an AWS Budgets alarm, created once, updated in place, recorded for teardown."""
import pytest

from lab_helpers.stack.budget import budget_name, ensure_budget
from lab_helpers.stack.manifest import Manifest
from lab_helpers.stack.teardown import teardown

GUID = "dddddddddddd"


@pytest.fixture
def make(endpoint, session):
    return lambda service: session.client(service, endpoint_url=endpoint.url)


def test_budget_with_email_alerts_at_thresholds_and_is_idempotent(make, tmp_path):
    manifest = Manifest(tmp_path / "m.json", "local", GUID)
    first = ensure_budget(make, GUID, 10, manifest, email="me@example.com", region="us-east-1")
    assert first.created and first.name == budget_name(GUID) == f"labkit-{GUID}"
    budgets = make("budgets")
    b = budgets.describe_budget(AccountId="123456789012", BudgetName=first.name)["Budget"]
    assert float(b["BudgetLimit"]["Amount"]) == 10 and b["BudgetLimit"]["Unit"] == "USD"
    assert b["TimeUnit"] == "MONTHLY" and b["BudgetType"] == "COST"
    notes = budgets.describe_notifications_for_budget(AccountId="123456789012", BudgetName=first.name)["Notifications"]
    assert sorted((n["NotificationType"], n["Threshold"]) for n in notes) == [
        ("ACTUAL", 50.0), ("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0)]
    again = ensure_budget(make, GUID, 10, manifest, email="me@example.com", region="us-east-1")
    assert not again.created
    raised = ensure_budget(make, GUID, 25, manifest, email="me@example.com", region="us-east-1")
    b = budgets.describe_budget(AccountId="123456789012", BudgetName=first.name)["Budget"]
    assert float(b["BudgetLimit"]["Amount"]) == 25 and not raised.created
    assert [e["name"] for e in manifest.entries()] == [first.name]


def test_teardown_removes_the_budget_it_recorded_and_no_other(make, tmp_path):
    manifest = Manifest(tmp_path / "m.json", "local", GUID)
    make("budgets").create_budget(AccountId="123456789012", Budget={
        "BudgetName": "finance-team", "BudgetType": "COST", "TimeUnit": "MONTHLY",
        "BudgetLimit": {"Amount": "100", "Unit": "USD"}})
    ensure_budget(make, GUID, 5, manifest, region="us-east-1")
    report = teardown(make, GUID, manifest, "us-east-1", execute=True, kinds=["budget"])
    assert [r.name for r in report.deleted] == [budget_name(GUID)]
    names = [b["BudgetName"] for b in make("budgets").describe_budgets(AccountId="123456789012")["Budgets"]]
    assert names == ["finance-team"]
    assert manifest.entries() == []


def test_a_budget_must_be_positive(make, tmp_path):
    with pytest.raises(ValueError, match="more than 0"):
        ensure_budget(make, GUID, 0, Manifest(tmp_path / "m.json", "local", GUID))
