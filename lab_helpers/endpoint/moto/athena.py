"""athena: the one write moto lacks for workgroups, UpdateWorkGroup, applied to moto's stored workgroup."""
from __future__ import annotations

from moto.athena.models import athena_backends

from .accounts import current


def update_athena_work_group(name: str, region: str, configuration: dict, description: str | None = None,
                             state: str | None = None) -> bool:
    """Store a workgroup's new configuration (moto 5.2 has no UpdateWorkGroup); False if it does not exist."""
    # AthenaBackend.get_work_group returns a copy as a dict (None when missing): the object is needed.
    work_group = athena_backends[current()][region].work_groups.get(name)
    if work_group is None:
        return False
    work_group.configuration = configuration
    if description is not None:
        work_group.description = description
    if state is not None:
        work_group.state = state   # moto keeps ENABLED as a class attribute; this shadows it per workgroup
    return True
