"""Identify (service, operation) of a raw AWS request and render AWS-shaped error responses.

The service comes from the SigV4 credential scope (header or presigned query); the operation
from the protocol botocore's own service model declares: ``X-Amz-Target`` for JSON protocols,
``Action`` for query protocols, method + URI template for REST protocols. Using botocore's
models (the same files that built the learner's client) keeps routing exact for every service.

A learner's boto3 may be newer than the endpoint's: when AWS moves an engine service to another
protocol (Athena: json -> rest-json in botocore 1.44.18), ``PROTOCOL_CHANGES`` keeps both sides
understood, whichever botocore is installed here (see ``service_models``).
"""
from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import ServiceModel

# Signing names shared by several boto3 clients, or differing from the client name.
_SIGNING_TO_CLIENTS = {
    "sagemaker": ("sagemaker", "sagemaker-runtime"),
    "es": ("opensearch", "es"),
    "monitoring": ("cloudwatch",),
    "states": ("stepfunctions",),
    "execute-api": ("apigateway",),
    "kinesisanalytics": ("kinesisanalyticsv2", "kinesisanalytics"),
    "email": ("ses",),
    "s3": ("s3",),
}


@functools.lru_cache(maxsize=1)
def _botocore():
    return botocore.session.get_session()


@functools.lru_cache(maxsize=64)
def service_model(client_name: str):
    try:
        return _botocore().get_service_model(client_name)
    except Exception:
        return None


@dataclass(frozen=True)
class ProtocolChange:
    """An engine service AWS moved from the json protocol to another one."""

    to: str                 # the protocol it moved to
    since: str              # the first botocore that speaks it (a vendored model is taken from it)
    target_prefix: str      # X-Amz-Target prefix and JSON version of the json side
    json_version: str = "1.1"


# Only engine services need this: everything else passes to moto, which is pinned with botocore.
PROTOCOL_CHANGES = {"athena": ProtocolChange("rest-json", "1.44.18", "AmazonAthena")}
_MODELS = Path(__file__).with_name("models")   # models/<client>-<protocol>.json, see vendor_model


def wire_protocol(model) -> str:
    """The protocol botocore's clients send for this model (the first of ``protocols`` it supports)."""
    try:
        return model.resolved_protocol or model.protocol
    except Exception:  # an older botocore, or a model without ``protocols``
        return model.metadata.get("protocol", "")


@functools.lru_cache(maxsize=64)
def service_models(client_name: str) -> tuple:
    """The installed botocore's model of a service, then, for a service in ``PROTOCOL_CHANGES``, the
    other side of the change: the vendored model of the new protocol (if botocore here is older) and
    a json twin of the model (if it is newer; the shapes are the same and json puts every member in
    the body, so the twin needs only the old X-Amz-Target prefix)."""
    installed = service_model(client_name)
    if installed is None:
        return ()
    models = [installed]
    change = PROTOCOL_CHANGES.get(client_name)
    if change is not None:
        if wire_protocol(installed) != change.to:
            data = json.loads((_MODELS / f"{client_name}-{change.to}.json").read_text())
            models.append(ServiceModel(data, service_name=client_name))
        if wire_protocol(installed) != "json":
            models.append(json_model(client_name))
    return tuple(models)


@functools.lru_cache(maxsize=64)
def json_model(client_name: str):
    """The service's model as a json-protocol client sees it (for engine services moto reads as json)."""
    installed = service_model(client_name)
    if installed is None or wire_protocol(installed) == "json":
        return installed
    change = PROTOCOL_CHANGES[client_name]
    data = _botocore().get_service_data(client_name)
    metadata = {**data["metadata"], "protocol": "json", "protocols": ["json"],
                "targetPrefix": change.target_prefix, "jsonVersion": change.json_version}
    return ServiceModel({**data, "metadata": metadata}, service_name=client_name)


def vendor_model(client_name: str) -> Path:
    """Write models/<client>-<protocol>.json from the botocore on sys.path, without documentation.

    Regenerate after a protocol change with the newer botocore the tests install::

        PYTHONPATH=.venv/labkit-newest-botocore .venv/bin/python -c \
            "from lab_helpers.endpoint import protocol; protocol.vendor_model('athena')"
    """
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("documentation", "documentationUrl")}
        return [strip(v) for v in node] if isinstance(node, list) else node

    session = botocore.session.get_session()
    data = strip(session.get_service_data(client_name))
    path = _MODELS / f"{client_name}-{wire_protocol(ServiceModel(data, service_name=client_name))}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path


@dataclass
class Route:
    operation: str
    method: str
    pattern: re.Pattern
    query: tuple[tuple[str, str | None], ...]  # literal query keys (and values) the URI requires
    headers: tuple[str, ...]          # required header members (e.g. S3 CopyObject's x-amz-copy-source)
    literal_len: int                  # more specific routes are tried first


@functools.lru_cache(maxsize=64)
def _rest_routes(model) -> tuple[Route, ...]:
    routes = []
    for op_name in model.operation_names:
        http = model.operation_model(op_name).http
        uri = http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        regex = "^"
        literal = 0
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                greedy = part.endswith("+}")
                regex += "(?P<%s>%s)" % (re.sub(r"\W", "_", part.strip("{}+")), ".+" if greedy else "[^/]+")
            else:
                regex += re.escape(part)
                literal += len(part)
        regex = regex.rstrip("/") + "/?$"
        pairs = tuple((k.partition("=")[0], k.partition("=")[2] or None) for k in query.split("&") if k)
        op = model.operation_model(op_name)
        required_headers = ()
        if op.input_shape is not None:
            required = set(op.input_shape.required_members)
            required_headers = tuple(
                m.serialization["name"].lower() for name, m in op.input_shape.members.items()
                if name in required and m.serialization.get("location") == "header")
            # A required query member tells operations on one URI apart as a literal would: S3's
            # UploadPart, ListParts, AbortMultipartUpload are PutObject, GetObject, DeleteObject's URI
            # plus ?partNumber&uploadId / ?uploadId (the S3 model here has no ?x-id= literal to tell them).
            pairs += tuple((m.serialization.get("name", name), None) for name, m in op.input_shape.members.items()
                           if name in required and m.serialization.get("location") == "querystring"
                           and m.serialization.get("name", name) not in dict(pairs))
        specificity = literal + 100 * len(pairs) + 100 * len(required_headers)
        routes.append(Route(op_name, http.get("method", "POST"), re.compile(regex), pairs, required_headers, specificity))
    # Equally specific routes: the current operation before its deprecated twin. S3's PutBucketLifecycle
    # (deprecated; its Rule requires Prefix) and PutBucketLifecycleConfiguration share PUT /{Bucket}?lifecycle.
    routes.sort(key=lambda r: (-r.literal_len, bool(model.operation_model(r.operation).deprecated)))
    return tuple(routes)


@dataclass
class RequestInfo:
    """What the gateway knows about one request before anyone handles it."""

    service: str = ""          # boto3 client name, e.g. "athena", "lambda", "sagemaker-runtime"
    signing_name: str = ""
    operation: str = ""        # API operation name, e.g. "StartQueryExecution"
    protocol: str = ""         # json | rest-json | query | rest-xml | ec2 | ""
    region: str = "us-east-1"
    access_key: str = ""
    path_params: dict[str, str] = field(default_factory=dict)
    model: ServiceModel | None = field(default=None, repr=False, compare=False)  # the one that matched

    @property
    def operation_model(self):
        """botocore's OperationModel of the request, or None when the operation is unknown here."""
        if self.model is None or self.operation not in self.model.operation_names:
            return None
        return self.model.operation_model(self.operation)

    @property
    def label(self) -> str:
        return f"{self.service or self.signing_name or 'unknown'}:{self.operation or '?'}"


_SCOPE_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def identify(method: str, path: str, query_string: str, headers: dict[str, str], body: bytes | None) -> RequestInfo:
    """Work out service, operation and caller from a request. ``headers`` keys are lower-case.

    ``body`` is only needed for query-protocol services (``Action=`` in a form body); pass None
    when it has not been read and the caller will re-run with the body if needed.
    """
    info = RequestInfo()
    auth = headers.get("authorization", "")
    m = _SCOPE_RE.search(auth)
    query = parse_qs(query_string, keep_blank_values=True)
    if not m and "X-Amz-Credential" in query:
        m = _SCOPE_RE.search("Credential=" + query["X-Amz-Credential"][0])
    if m:
        info.access_key, info.region, info.signing_name = m.group(1), m.group(2), m.group(3)
    target = headers.get("x-amz-target", "")
    candidates = _SIGNING_TO_CLIENTS.get(info.signing_name, (info.signing_name,)) if info.signing_name else ()
    for client in candidates:
        models = service_models(client)
        if target:  # a json-protocol request: try the json side of a protocol change first
            models = sorted(models, key=lambda m: wire_protocol(m) != "json")
        for model in models:
            proto = wire_protocol(model)
            if proto == "json":
                prefix = model.metadata.get("targetPrefix", "")
                if target and target.split(".", 1)[0] == prefix:
                    info.service, info.protocol, info.model = client, proto, model
                    info.operation = target.split(".", 1)[1]
                    return info
            elif proto in ("query", "ec2"):
                action = _action(query, headers, body)
                info.service, info.protocol, info.model = client, proto, model
                if action:
                    info.operation = action
                    return info
            elif proto in ("rest-json", "rest-xml"):
                op, params = _match_rest(model, method, path, query, headers)
                if op:
                    info.service, info.protocol, info.operation, info.path_params = client, proto, op, params
                    info.model = model
                    return info
                if not info.service:
                    info.service, info.protocol, info.model = client, proto, model
    if not info.service and info.signing_name:
        info.service = info.signing_name
    return info


def needs_body(info: RequestInfo) -> bool:
    return info.protocol in ("query", "ec2") and not info.operation


def _action(query: dict, headers: dict[str, str], body: bytes | None) -> str:
    if "Action" in query:
        return query["Action"][0]
    if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return ""


def _match_rest(model, method: str, path: str, query: dict, headers: dict) -> tuple[str, dict[str, str]]:
    for route in _rest_routes(model):
        if route.method != method:
            continue
        if any(k not in query or (v is not None and query[k][0] != v) for k, v in route.query):
            continue
        if any(h not in headers for h in route.headers):
            continue
        m = route.pattern.match(path)
        if m:
            return route.operation, {k: unquote(v) for k, v in m.groupdict().items()}
    return "", {}


# --- AWS-shaped error responses -------------------------------------------------------------

def error_response(info: RequestInfo, code: str, message: str, status: int = 400,
                   sender_fault: bool = True) -> tuple[int, list[tuple[str, str]], bytes]:
    """An error in the wire format of the request's protocol, so botocore raises ClientError."""
    request_id = str(uuid.uuid4())
    if info.protocol in ("json", "rest-json"):
        # json reads the code from __type, rest-json from the x-amzn-ErrorType header (botocore parsers.py)
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        headers = [("Content-Type", json_content_type(info)), ("x-amzn-ErrorType", code),
                   ("x-amzn-RequestId", request_id)]
    elif info.protocol in ("query", "ec2"):
        kind = "Sender" if sender_fault else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{_xml(code)}</Code>"
            f"<Message>{_xml(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    else:  # rest-xml (S3) and anything unknown: S3's shape is what botocore's XML parser expects
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{_xml(code)}</Code>'
            f"<Message>{_xml(message)}</Message><RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    headers.append(("Content-Length", str(len(body))))
    return status, headers, body


def json_content_type(info: RequestInfo) -> str:
    """The Content-Type of a JSON answer in the request's protocol."""
    if info.protocol == "rest-json":
        return "application/json"
    version = info.model.metadata.get("jsonVersion", "1.1") if info.model is not None else "1.1"
    return f"application/x-amz-json-{version}"


def not_emulated(info: RequestInfo, detail: str = "") -> tuple[int, list[tuple[str, str]], bytes]:
    """501 (not retried by botocore) naming the operation the local target cannot serve."""
    op = info.label
    message = (
        f"The local target does not emulate {op}. "
        "Run this step against AWS (LABKIT_TARGET=aws) or see the README's list of emulated operations."
    )
    if detail:
        message += f" ({detail})"
    return error_response(info, "NotImplemented", message, status=501, sender_fault=False)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
