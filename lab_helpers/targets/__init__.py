"""Where boto3 traffic goes: local (default), localstack, aws — one interface for all three."""
from __future__ import annotations

from ..config import Settings, load
from .base import Target, TargetError
from .local import LocalTarget
from .localstack import LocalStackTarget
from .aws import AwsTarget

__all__ = ["Target", "TargetError", "get_target", "LocalTarget", "LocalStackTarget", "AwsTarget"]


def get_target(settings: Settings | None = None) -> Target:
    settings = settings or load()
    return {"local": LocalTarget, "localstack": LocalStackTarget, "aws": AwsTarget}[settings.target](settings)
