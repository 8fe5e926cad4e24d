"""sts: who signed a request, from the access keys moto's STS handed out (AssumeRole)."""
from __future__ import annotations

from dataclasses import dataclass

from moto.sts.models import sts_backends

from . import ACCOUNT_ID
from .accounts import for_access_key


@dataclass(frozen=True)
class Principal:
    """Who signed a request: the account's own admin identity, or an assumed role session."""

    arn: str
    kind: str               # "root" | "assumed-role"
    role_arn: str = ""
    role_name: str = ""
    session_name: str = ""
    account_id: str = ACCOUNT_ID


def principal_for_access_key(access_key: str) -> Principal:
    account = for_access_key(access_key)
    if access_key:
        # sts_backends[account] is keyed by partition ("aws", ...); STS is global per partition.
        for backend in sts_backends.get(account, {}).values():
            role = backend.get_assumed_role_from_access_key(access_key)
            if role is not None:
                role_name = role.role_arn.rsplit("/", 1)[-1]
                arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/{role.session_name}"
                return Principal(arn, "assumed-role", role.role_arn, role_name, role.session_name, account)
    # Any other key (the kit's dummy `test` credentials, a class learner's IAM user) is the
    # account's own admin identity, which on AWS gets key access through the root-account
    # statement of the key policy.
    return Principal(f"arn:aws:iam::{account}:root", "root", account_id=account)
