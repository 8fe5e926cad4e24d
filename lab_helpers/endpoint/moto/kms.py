"""kms: a key's policy and state, for iam_lite's key-policy check on every SSE-KMS request."""
from __future__ import annotations

from dataclasses import dataclass

from moto.kms.models import kms_backends

from .accounts import current


@dataclass(frozen=True)
class KmsKey:
    arn: str
    key_id: str
    policy: str
    state: str


def kms_key(key_ref: str, region: str) -> KmsKey | None:
    """Resolve a key id, key ARN, alias or alias ARN to the key (None if it does not exist)."""
    account = current()
    if ":kms:" in key_ref and key_ref.startswith("arn:"):
        region = key_ref.split(":")[3] or region
        account = key_ref.split(":")[4] or account
    backend = kms_backends[account][region]
    # Resolved step by step rather than with KmsBackend.describe_key, which answers an unknown
    # key with a bare KeyError and an unknown alias with an AttributeError (moto 5.2).
    key_id = backend.get_key_id(backend.get_alias_name(key_ref))
    if key_id.startswith("alias/"):
        key_id = backend.get_key_id_from_alias(key_id)   # None: no such alias
    key = backend.keys.get(key_id) if key_id else None
    if key is None:
        return None
    return KmsKey(key.arn, key.id, key.policy, key.key_state)
