"""Pure IAM policy-document helpers (no moto): matching actions, principals and conditions.

Shared by iam_lite (enforcement on the local endpoint) and the check cells (which read policies
through boto3 on any target and must judge them the same way).
"""
from __future__ import annotations

import fnmatch
import json

def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def matches(patterns, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in as_list(patterns))


def principal_matches(statement: dict, principal) -> bool:
    """``principal`` has .arn, .role_arn, .kind ("root" or "assumed-role") and .account_id."""
    who = statement.get("Principal")
    if who == "*":
        return True
    if not isinstance(who, dict):
        return False
    for arn in as_list(who.get("AWS")):
        if arn == "*" or arn in (principal.arn, principal.role_arn):
            return True
        if principal.kind == "root" and arn in (f"arn:aws:iam::{principal.account_id}:root", principal.account_id):
            return True
    return False


def condition_holds(condition: dict | None, context: dict[str, str]) -> bool:
    """Evaluate the String*/Null operators (with IfExists) the workshop's policies use."""
    for operator, tests in (condition or {}).items():
        if_exists = operator.endswith("IfExists")
        op = operator[:-len("IfExists")] if if_exists else operator
        for key, expected in tests.items():
            actual = context.get(key.lower())
            if op == "Null":
                want_null = str(expected).lower() == "true"
                if (actual is None) != want_null:
                    return False
                continue
            if actual is None:
                if if_exists:
                    continue
                # A missing key never satisfies a positive operator; negated ones are true.
                if op.startswith("StringNot"):
                    continue
                return False
            values = [str(v) for v in as_list(expected)]
            if op == "StringEquals":
                ok = actual in values
            elif op == "StringNotEquals":
                ok = actual not in values
            elif op == "StringEqualsIgnoreCase":
                ok = actual.lower() in [v.lower() for v in values]
            elif op == "StringLike":
                ok = any(fnmatch.fnmatchcase(actual, v) for v in values)
            elif op == "StringNotLike":
                ok = not any(fnmatch.fnmatchcase(actual, v) for v in values)
            else:
                return False  # an operator we do not evaluate never makes a statement apply
            if not ok:
                return False
    return True


def statements(document: str | dict | None) -> list[dict]:
    if not document:
        return []
    doc = json.loads(document) if isinstance(document, (str, bytes)) else document
    return as_list(doc.get("Statement"))


def identity_decision(documents, action: str, resource: str, context: dict[str, str] | None = None) -> str:
    """"Allow", "Deny" (an explicit Deny) or "ImplicitDeny" for identity policies (no Principal):
    Action/NotAction, Resource/NotResource and the conditions ``condition_holds`` evaluates (the
    context's keys in lower case); a statement with an operator it does not know never applies."""
    context = {k.lower(): v for k, v in (context or {}).items()}
    allowed = False
    for document in as_list(documents):
        for st in statements(document):
            if "NotAction" in st:
                if matches(st["NotAction"], action):
                    continue
            elif not matches(st.get("Action"), action):
                continue
            if "NotResource" in st:
                if matches(st["NotResource"], resource):
                    continue
            elif not matches(st.get("Resource", "*"), resource):
                continue
            if not condition_holds(st.get("Condition"), context):
                continue
            if st.get("Effect") == "Deny":
                return "Deny"
            allowed = allowed or st.get("Effect") == "Allow"
    return "Allow" if allowed else "ImplicitDeny"


def allows_role(policy: str | dict, role_arn: str, action: str) -> bool:
    """Does a key/resource policy have an Allow (and no Deny) for this role and action?"""
    account = role_arn.split(":")[4]
    role_name = role_arn.rsplit("/", 1)[-1]

    class _P:
        arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/check"
        kind = "assumed-role"
        account_id = account

    _P.role_arn = role_arn
    allowed = False
    for st in statements(policy):
        if not matches(st.get("Action"), action) or not principal_matches(st, _P) or st.get("Condition"):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed
