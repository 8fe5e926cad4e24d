"""awslambda: a function's configuration and code bytes, for Invoke (no API answer carries the zip)."""
from __future__ import annotations

from dataclasses import dataclass

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import lambda_backends

from .accounts import current


@dataclass(frozen=True)
class LambdaCode:
    name: str
    handler: str
    runtime: str
    code_zip: bytes
    code_sha256: str
    environment: dict
    timeout: float
    memory_mb: int
    role: str
    package_type: str
    version: str


def lambda_function(name_or_arn: str, region: str, qualifier: str | None = None) -> LambdaCode | None:
    """The function (name, ARN or ``name:qualifier``) at the qualifier; None if there is none."""
    # A function ARN names its account; a name is the caller's account's.
    account = name_or_arn.split(":")[4] if name_or_arn.startswith("arn:") and name_or_arn.count(":") >= 6 else current()
    backend = lambda_backends[account][region]
    try:
        fn = backend.get_function(name_or_arn, qualifier)
    # ValueError: moto unpacks name.split(":") into two, so "a:b:c" or a partial ARN raises it.
    except (UnknownFunctionException, ValueError):
        return None
    return LambdaCode(
        name=fn.function_name, handler=fn.handler or "", runtime=fn.run_time or "",
        code_zip=fn.code_bytes or b"", code_sha256=fn.code_sha_256 or "",
        environment=dict(fn.environment_vars or {}), timeout=float(fn.timeout or 3),
        memory_mb=int(fn.memory_size or 128), role=fn.role, package_type=fn.package_type or "Zip",
        version=str(fn.version),
    )
