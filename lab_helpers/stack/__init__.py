"""The pre-provisioned workshop stack: key, buckets, roles, loader functions, source data."""
from __future__ import annotations

from ..config import Settings
from .names import Names, workspace
from .provision import ProvisionReport, provision

__all__ = ["Names", "workspace", "provision", "ensure", "ProvisionReport"]


def ensure(target, settings: Settings, with_data: bool = True) -> ProvisionReport:
    """Provision (or repair) this workspace's stack on the target. Idempotent."""
    names = workspace(settings)
    # A target that routes per service (localstack: some to LocalStack, the rest to the kit) hands out
    # a session whose clients already know their endpoint.
    endpoint_url = None if getattr(target, "routes_per_service", False) else target.endpoint_url
    return provision(target.session(), names, endpoint_url=endpoint_url, scale=settings.scale,
                     seed=settings.seed, with_data=with_data)
