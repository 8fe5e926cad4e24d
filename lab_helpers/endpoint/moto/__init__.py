"""The only package that touches moto: its WSGI app, its reset, and in-process calls into it.

Core here; one module per AWS service whose moto internals an engine reads or writes (``s3``,
``kms``, ``iam``, ``sts``, ``glue``, ``athena``, ``awslambda``). Engines prefer ``call`` (via
``EngineContext.call_moto``): moto's own implementation of a request, run in-process, whose
answer the engine patches. They reach into moto's objects only where no API answer carries what
they need (object bytes, a function's code) or where moto lacks a write (UpdateCrawler,
UpdateWorkGroup). Every moto internal used here is pinned by tests/endpoint/test_moto_contract.py:
a moto upgrade that moves one fails there, naming the function in this package to fix.
"""
from __future__ import annotations

import functools
import importlib
import io
import json
import re
import sys
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

import moto
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

MOTO_VERSION = moto.__version__
ACCOUNT_ID = DEFAULT_ACCOUNT_ID
REQUEST_HANDLER = MotoRequestHandler


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher with its host -> backend answer remembered. moto works it out on every
    request under one lock, listing its own package directory (~200 ``isdir`` calls) each time:
    every request of every thread queued behind a directory walk. Hosts are few (a service and
    region each, plus virtual-hosted buckets), and moto's answer for a host never changes."""

    _MAX_HOSTS = 4096

    def __init__(self, create_app):
        super().__init__(create_app)
        self._backend_for: dict[str, object] = {}

    def get_backend_for_host(self, host):
        if host is None:
            return None
        try:
            return self._backend_for[host]
        except KeyError:
            backend = super().get_backend_for_host(host)
            if len(self._backend_for) >= self._MAX_HOSTS:
                self._backend_for.clear()
            self._backend_for[host] = backend
            return backend


def make_app() -> DomainDispatcherApplication:
    """moto's server-mode WSGI app (the control plane). Flask debug mode makes moto's
    exceptions propagate to our gateway, which turns them into AWS-shaped errors."""
    return _Dispatcher(create_backend_app)


def disable_bucket_policy_evaluation() -> None:
    """moto evaluates bucket policies without S3 condition keys, so a Deny conditioned on
    ``s3:x-amz-server-side-encryption`` blocks every upload. The kit's iam_lite guard evaluates
    bucket policies with the real condition keys instead (engines/iam/lite.py)."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    FakeBucket.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL


def seal_from_user_aws_config() -> None:
    """moto lists regions through a cached ``boto3.Session()``, which reads ``~/.aws`` and dies on a
    stale ``AWS_PROFILE`` (ProfileNotFound → a 500 for every new service). Prime that cache with a
    session that reads no user configuration."""
    from moto.core.base_backend import AccountSpecificBackend

    from ...sessions import isolated_session

    session = isolated_session("test", "test")
    AccountSpecificBackend.get_session = classmethod(lambda cls: session)


def reset() -> None:
    """Wipe every moto backend (what POST /moto-api/reset does)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


# boto3 client name -> moto package, where they differ by more than dashes.
_MOTO_PACKAGES = {"lambda": "awslambda", "sagemaker-runtime": "sagemakerruntime", "redshift-data": "redshiftdata"}


@functools.lru_cache(maxsize=512)
def operation_implemented(service: str, operation: str) -> bool | None:
    """Whether moto's responses class has a handler for the operation (False: moto has no such
    service; None: cannot tell, e.g. moto dispatches the operation some other way)."""
    module_name = _MOTO_PACKAGES.get(service, service.replace("-", ""))
    try:
        module = importlib.import_module(f"moto.{module_name}.responses")
    except ImportError:   # no such moto package (ModuleNotFoundError), or one moto cannot load
        return False
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
    snake = re.sub(r"_+", "_", snake)
    for obj in vars(module).values():
        if isinstance(obj, type) and obj.__module__ == module.__name__ and hasattr(obj, snake):
            return True
    return None


# --- in-process calls --------------------------------------------------------------------------

@dataclass
class MotoAnswer:
    """moto's answer to one request: status, headers and body as moto produced them."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str, default: str = "") -> str:
        lower = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lower), default)

    def json(self) -> dict:
        """The body parsed as JSON ({} for an empty body): JSON and REST-JSON services."""
        return json.loads(self.body) if self.body.strip() else {}

    @property
    def error_code(self) -> str:
        """The AWS error code of a failed answer ('' when it succeeded or carries none)."""
        if self.ok:
            return ""
        code = self.header("x-amzn-ErrorType").split(":")[0]
        if not code and self.body.lstrip().startswith(b"{"):
            payload = self.json()
            code = str(payload.get("__type") or payload.get("code") or payload.get("Code") or "")
        elif not code:
            found = re.search(rb"<Code>([^<]+)</Code>", self.body)
            code = found.group(1).decode() if found else ""
        return code.rsplit("#", 1)[-1]

    @property
    def error_message(self) -> str:
        if self.ok:
            return ""
        if self.body.lstrip().startswith(b"{"):
            payload = self.json()
            return str(payload.get("message") or payload.get("Message") or "")
        found = re.search(rb"<Message>([^<]*)</Message>", self.body)
        return found.group(1).decode() if found else ""


def call(app, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes) -> MotoAnswer:
    """Run one request through moto's WSGI app in this process (no socket, no gateway).

    ``path`` is decoded, as WSGI's PATH_INFO; ``headers`` need the SigV4 ``authorization`` (moto
    picks the service and region from its credential scope) and ``host``. moto's exceptions
    propagate, as they do from the app the gateway serves.
    """
    host = headers.get("host", "localhost")
    server_name, _, port = host.partition(":")
    environ = {
        "REQUEST_METHOD": method.upper(), "SCRIPT_NAME": "", "PATH_INFO": path,
        "QUERY_STRING": query_string,
        # moto matches S3 routes against the path as it arrived, percent-encoded
        "RAW_URI": quote(path, safe="/~!$&'()*+,;=:@") + (f"?{query_string}" if query_string else ""),
        "SERVER_NAME": server_name, "SERVER_PORT": port or "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key not in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):   # the body is whole and measured
            environ[f"HTTP_{key}"] = value
    started: dict = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"] = int(status.split()[0])
        started["headers"] = dict(response_headers)
        return lambda data: None

    result = app(environ, start_response)
    try:
        payload = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return MotoAnswer(started["status"], started["headers"], payload)


# Headers of the original request that a derived request keeps: who signed it (moto reads the
# region and the access key from the credential scope) and where it was sent.
_KEPT_HEADERS = ("authorization", "host", "x-amz-date", "x-amz-security-token")


def derived_request(service: str, operation: str, params: dict, headers: dict[str, str]):
    """(method, path, query_string, headers, body) of another call to the same service, as
    botocore would send it, signed by the same caller in the same region."""
    from botocore.awsrequest import create_request_object, prepare_request_dict
    from botocore.serialize import create_serializer

    from ..protocol import PROTOCOL_CHANGES, json_model, service_model

    # moto reads a service whose protocol botocore changed (Athena: rest-json) in the old json form.
    model = json_model(service) if service in PROTOCOL_CHANGES else service_model(service)
    if model is None:
        raise ValueError(f"botocore has no service model for {service!r}")
    operation_model = model.operation_model(operation)
    # No client-side validation: an engine asking for Name="" wants moto's answer (not found), not a crash.
    serializer = create_serializer(model.metadata["protocol"], include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation_model)
    host = headers.get("host", "localhost")
    prepare_request_dict(request_dict, endpoint_url=f"http://{host}")
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    out = {k.lower(): v for k, v in prepared.headers.items()}
    out.update({k: headers[k] for k in _KEPT_HEADERS if k in headers})
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return prepared.method, unquote(url.path) or "/", url.query, out, body


__all__ = ["ACCOUNT_ID", "MOTO_VERSION", "REQUEST_HANDLER", "MotoAnswer", "call", "derived_request",
           "disable_bucket_policy_evaluation", "make_app", "operation_implemented", "reset"]
