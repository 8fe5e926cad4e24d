"""budget: an AWS Budgets cost alarm for the account a workspace runs in (`labkit up --budget 10`).

The budget is monthly, on the whole account's unblended cost — not only the workspace's tagged
resources: a cost filter on the ``labkit:workspace`` tag reads $0 until someone activates that tag
as a cost allocation tag in the payer account (up to 24 hours later), and a forgotten untagged
resource is exactly what the alarm is for. With an e-mail address it notifies at 50 %, 80 % and
100 % of actual spend and at 100 % of forecast spend; without one the budget only shows in the
Billing console. Budgets cannot be tagged, so the budget enters the workspace manifest and
``labkit teardown`` removes it. Budgets alert; they never stop resources.
"""
from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from .manifest import Manifest

THRESHOLDS = (("ACTUAL", 50.0), ("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0))


@dataclass
class BudgetReport:
    name: str
    amount: float
    created: bool
    notifications: int
    email: str


def budget_name(guid: str) -> str:
    return f"labkit-{guid}"


def ensure_budget(client, guid: str, amount: float, manifest: Manifest, *, email: str = "",
                  region: str = "") -> BudgetReport:
    """Create or update the workspace's budget to ``amount`` USD a month (idempotent)."""
    if amount <= 0:
        raise ValueError(f"a budget must be more than 0 USD, got {amount}")
    account = client("sts").get_caller_identity()["Account"]
    budgets = client("budgets")
    name = budget_name(guid)
    budget = {"BudgetName": name, "BudgetType": "COST", "TimeUnit": "MONTHLY",
              "BudgetLimit": {"Amount": f"{amount:.2f}", "Unit": "USD"}}
    subscribers = [{"SubscriptionType": "EMAIL", "Address": email}] if email else []
    notifications = [{"NotificationType": kind, "ComparisonOperator": "GREATER_THAN", "Threshold": pct,
                      "ThresholdType": "PERCENTAGE"} for kind, pct in THRESHOLDS] if email else []
    try:
        current = budgets.describe_budget(AccountId=account, BudgetName=name)["Budget"]
    except budgets.exceptions.NotFoundException:
        current = None
    exists = current is not None
    # Recorded first: a budget that exists must be findable by teardown even if a later step fails.
    manifest.record("budget", region, name=name)
    if exists:
        if float(current["BudgetLimit"]["Amount"]) != round(amount, 2):
            _update(budgets, account, budget, [{"Notification": n, "Subscribers": subscribers} for n in notifications])
        have = {(n["NotificationType"], float(n["Threshold"]))
                for n in budgets.describe_notifications_for_budget(AccountId=account, BudgetName=name)
                .get("Notifications", [])}
        for n in notifications:
            if (n["NotificationType"], n["Threshold"]) not in have:
                budgets.create_notification(AccountId=account, BudgetName=name, Notification=n,
                                            Subscribers=subscribers)
    else:
        budgets.create_budget(AccountId=account, Budget=budget, NotificationsWithSubscribers=[
            {"Notification": n, "Subscribers": subscribers} for n in notifications])
    return BudgetReport(name, amount, not exists, len(notifications), email)


def _update(budgets, account: str, budget: dict, with_subscribers: list[dict]) -> None:
    try:
        budgets.update_budget(AccountId=account, NewBudget=budget)
    except ClientError as err:
        if err.response["Error"]["Code"] != "NotImplemented":
            raise
        # The local endpoint (moto) has no UpdateBudget: replace the budget there. AWS takes the update.
        budgets.delete_budget(AccountId=account, BudgetName=budget["BudgetName"])
        budgets.create_budget(AccountId=account, Budget=budget, NotificationsWithSubscribers=with_subscribers)
