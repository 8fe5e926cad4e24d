"""The engine registry: which (service, operation) the kit's engines execute instead of moto.

Each engine package (``engines/<service>/__init__.py``) declares its own ``HANDLERS`` and
``GUARDS`` tables; this module merges them. Adding a service = one package in ``engines/`` +
its name in ``ENGINE_PACKAGES`` + its tests + one README row.
``HANDLERS`` answer an operation completely; ``GUARDS`` run first and may refuse a request
(e.g. iam_lite's KMS key-policy check) before it passes to moto untouched. An engine that keeps
files across restarts (Redshift's databases) lists ``ON_RESET`` hooks, ``hook(home)``, called by a
reset of the endpoint (not by a stop) to wipe them.
Values are ``"module:function"`` strings, imported lazily so the endpoint starts fast.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable

# The engine packages, in the order their tables are merged (a later package may not take an
# operation an earlier one registered: _tables() refuses duplicates).
ENGINE_PACKAGES = ("iam", "s3", "lambda_", "glue", "athena", "databrew", "redshift", "sagemaker")


def _tables() -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    handlers: dict[tuple[str, str], str] = {}
    guards: dict[tuple[str, str], str] = {}
    for name in ENGINE_PACKAGES:
        package = importlib.import_module(f"lab_helpers.engines.{name}")
        for table, out in ((package.HANDLERS, handlers), (package.GUARDS, guards)):
            for key, ref in table.items():
                if key in out:
                    raise RuntimeError(f"{key} is registered twice: {out[key]} and {ref}")
                out[key] = ref
    return handlers, guards


def _reset_hooks() -> tuple[str, ...]:
    return tuple(ref for name in ENGINE_PACKAGES
                 for ref in getattr(importlib.import_module(f"lab_helpers.engines.{name}"), "ON_RESET", ()))


HANDLERS, GUARDS = _tables()
RESET_HOOKS = _reset_hooks()


def resolve(ref: str) -> Callable:
    """A ``"module:function"`` table entry as the function."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass
class EngineRequest:
    """One AWS request as an engine sees it (already identified and read)."""

    service: str
    operation: str
    region: str
    account_id: str
    access_key: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]          # lower-case keys
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)
    protocol: str = ""
    parsed: dict | None = field(default=None, repr=False)  # set by the gateway (endpoint/wire.py)

    @property
    def params(self) -> dict:
        """The operation's input as boto3 keyword arguments, from whichever protocol the client spoke
        (JSON body, URI, query string, headers), already checked against botocore's model. A blob
        payload (Lambda Invoke's Payload) is not in it: read ``body``."""
        if self.parsed is not None:
            return self.parsed
        # Not read by the gateway (an engine test building requests by hand): the JSON body.
        if not self.body:
            return {}
        try:
            doc = json.loads(self.body)
        except ValueError as exc:
            raise EngineError("SerializationException", f"Could not parse the request body as JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise EngineError("SerializationException", "Could not parse the request body: expected a JSON object")
        return doc

    def json(self) -> dict:
        """The same as ``params`` (the name handlers used when every engine service spoke JSON)."""
        return self.params


@dataclass
class EngineResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> "EngineResponse":
        body = json.dumps(payload, default=_json_default).encode()
        hdrs = {"Content-Type": "application/x-amz-json-1.1"}   # the gateway sets rest-json's own
        hdrs.update(headers or {})
        return cls(status, body, hdrs)


class EngineError(Exception):
    """Raised by an engine to answer with an AWS-shaped error (code, message, HTTP status)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _json_default(value: Any):
    import datetime

    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


Handler = Callable[[EngineRequest, Any], "EngineResponse | None"]


class Registry:
    """Resolves table entries to callables once; tests build one with their own tables."""

    def __init__(self, handlers: dict[tuple[str, str], str] | None = None,
                 guards: dict[tuple[str, str], str] | None = None):
        self.handlers = dict(HANDLERS if handlers is None else handlers)
        self.guards = dict(GUARDS if guards is None else guards)
        self._resolved: dict[str, Handler] = {}

    def handler_for(self, service: str, operation: str) -> Handler | None:
        ref = self.handlers.get((service, operation))
        return self._resolve(ref) if ref else None

    def guard_for(self, service: str, operation: str) -> Handler | None:
        ref = self.guards.get((service, operation))
        return self._resolve(ref) if ref else None

    def engines(self) -> dict[str, list[str]]:
        """{module name: [service:Operation, ...]} for the health report and the README table."""
        out: dict[str, list[str]] = {}
        for (service, op), ref in sorted({**self.handlers, **self.guards}.items()):
            module = ref.split(":")[0] if isinstance(ref, str) else ref.__module__
            # the engine package (lab_helpers.engines.<package>.api -> <package>); else the module
            parts = module.split(".")
            module = parts[2] if parts[:2] == ["lab_helpers", "engines"] and len(parts) > 2 else parts[-1]
            out.setdefault(module, []).append(f"{service}:{op}")
        return out

    def _resolve(self, ref: str | Callable) -> Handler:
        if callable(ref):
            return ref
        if ref not in self._resolved:
            self._resolved[ref] = resolve(ref)
        return self._resolved[ref]
