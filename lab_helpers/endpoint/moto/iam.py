"""iam: a role's policy documents, for iam_lite's bucket and key checks."""
from __future__ import annotations

from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends

from .accounts import current


def role_policy_documents(role_name: str) -> list[str]:
    """Inline and attached managed policy documents (JSON text) of an IAM role ([] if no such role)."""
    backend = iam_backends[current()]["global"]
    try:
        role = backend.get_role(role_name)
    except NotFoundException:
        return []
    docs = list(role.policies.values())
    for policy in role.managed_policies.values():
        docs.extend(version.document for version in policy.versions if version.is_default)
    return docs
