"""The WSGI gateway: identify each request, hand it to an engine or to moto, never leak a 500 page.

Order per request: kit routes (``/_labkit/*``) → identify (service, operation) → read and check
the input (``wire``: malformed input is the service's own 400) → tenancy (the caller's account, from
its access key; another account's bucket is AccessDenied) → guard (may refuse) → engine
handler (answers completely) or moto (untouched, except a protocol moto cannot read, which is
re-sent as json). moto's HTML error pages and exceptions become AWS-shaped errors naming the
operation, so botocore raises a readable ``ClientError`` instead of retrying a 500 and failing
obscurely.
"""
from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from urllib.parse import parse_qs

from . import moto
from . import wire
from . import origin
from . import tenancy
from .moto import accounts
from .protocol import (PROTOCOL_CHANGES, RequestInfo, error_response, identify, json_content_type, json_model,
                       needs_body, not_emulated)
from .registry import EngineError, EngineRequest, EngineResponse, Registry

log = logging.getLogger("labkit.gateway")

_REASONS = {200: "OK", 202: "Accepted", 204: "No Content", 400: "Bad Request", 403: "Forbidden",
            404: "Not Found", 409: "Conflict", 413: "Payload Too Large", 429: "Too Many Requests",
            500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable"}


class Gateway:
    def __init__(self, registry: Registry, context, moto_app=None, version: str = "",
                 allowed_hosts: frozenset[str] = frozenset()):
        self.registry = registry
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)   # besides the loopback names
        self.context = context
        self.moto_app = moto_app or moto.make_app()
        self.version = version
        self.started = time.time()
        self.requests = 0
        self._lock = threading.Lock()

    # -- WSGI entry ----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        with self._lock:
            self.requests += 1
        refused = origin.refusal(environ, self.allowed_hosts)
        if refused:
            return origin.forbidden(start_response, refused)
        if not environ.get("HTTP_ORIGIN"):
            # No web page is asking: no CORS grant is needed, so none is ever sent.
            start_response = origin.without_cors(start_response)
        # moto would act in whatever account this header names: only the access key decides (tenancy).
        environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_labkit/"):
            return self._kit_route(method, path, start_response)
        headers = _headers(environ)
        query_string = environ.get("QUERY_STRING", "")
        try:
            info = identify(method, path, query_string, headers, None)
            raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").split("?", 1)[0]
            if info.service and not info.operation and raw_path and raw_path != path:
                # A label that holds a '/' once decoded (DataBrew's /tags/{ResourceArn}) matches only in
                # the form the client sent; the route's labels are decoded by identify either way.
                retry = identify(method, raw_path, query_string, headers, None)
                if retry.operation:
                    info, path = retry, raw_path
            body = None
            if needs_body(info):
                body = _read_body(environ)
                info = identify(method, path, query_string, headers, body)
            handler = self.registry.handler_for(info.service, info.operation)
            guard = self.registry.guard_for(info.service, info.operation)
        except Exception as exc:  # identification must never take the endpoint down
            log.exception("could not identify request %s %s", method, path)
            return self._respond(start_response, *error_response(
                RequestInfo(), "InternalFailure", f"The local endpoint could not parse this request: {exc}", 500))
        try:
            params, body = _checked_input(environ, info, parse_qs(query_string, keep_blank_values=True), headers, body)
        except wire.BadRequest as err:
            return self._respond(start_response, *error_response(info, err.code, err.message, err.status))
        account = accounts.for_access_key(info.access_key)
        foreign = tenancy.refusal(info, path, headers, account)
        if foreign:
            return self._respond(start_response, *error_response(info, *foreign))

        if guard or handler:
            request = EngineRequest(
                service=info.service, operation=info.operation, region=info.region,
                account_id=account, access_key=info.access_key, method=method, path=path,
                query=parse_qs(query_string, keep_blank_values=True), headers=headers,
                body=b"", path_params=info.path_params, protocol=info.protocol, parsed=params,
            )
            if guard:
                # Guards decide on headers alone: an S3 upload's body is never buffered here.
                answer = self._run(guard, request, info)
                if answer is not None:
                    return self._respond_engine(start_response, answer, info)
            if handler:
                request.body = body if body is not None else _read_body(environ)
                answer = self._run(handler, request, info)
                if answer is None:
                    answer = EngineResponse(200, b"{}", {"Content-Type": "application/x-amz-json-1.1"})
                return self._respond_engine(start_response, answer, info)
        if params is not None and info.service in PROTOCOL_CHANGES and info.protocol != "json":
            # moto is pinned with the botocore from before the change: it reads such a service as json
            environ = _as_json_protocol(environ, info, params)
            if environ is None:  # an operation newer than moto's model
                return self._respond(start_response, *not_emulated(info))
        return self._moto(environ, start_response, info)

    # -- engines -------------------------------------------------------------------------------
    def _run(self, fn, request: EngineRequest, info: RequestInfo):
        try:
            with accounts.acting_in(request.account_id):   # the engine acts in the caller's account
                return fn(request, self.context)
        except EngineError as err:
            status, headers, body = error_response(info, err.code, err.message, err.status)
            return EngineResponse(status, body, dict(headers))
        except Exception as exc:
            log.exception("engine failed on %s", info.label)
            status, headers, body = error_response(
                info, "InternalFailure",
                f"The local engine for {info.label} failed: {type(exc).__name__}: {exc}. "
                "The endpoint is still running; details are in the endpoint log.", 500, sender_fault=False)
            return EngineResponse(status, body, dict(headers))

    def _respond_engine(self, start_response, answer: EngineResponse, info: RequestInfo):
        headers = dict(answer.headers)
        if headers.get("Content-Type") == "application/x-amz-json-1.1" and info.protocol in ("json", "rest-json"):
            headers["Content-Type"] = json_content_type(info)  # EngineResponse.json's default, per protocol
            if answer.status >= 400 and info.protocol == "rest-json":  # rest-json's error code is a header
                code = _json_error_code(answer.body)
                if code and not any(k.lower() == "x-amzn-errortype" for k in headers):
                    headers["x-amzn-ErrorType"] = code
        headers.setdefault("Content-Length", str(len(answer.body)))
        return self._respond(start_response, answer.status, list(headers.items()), answer.body)

    # -- moto ----------------------------------------------------------------------------------
    def _moto(self, environ, start_response, info: RequestInfo):
        state: dict = {}

        def intercept(status, headers, exc_info=None):
            code = int(status.split()[0])
            ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
            # moto answers a missing route with Flask's HTML 404 page, but a missing object
            # (HeadObject) with an empty text/html 404 too: only the former means "not emulated".
            unknown_route = code == 404 and moto.operation_implemented(info.service, info.operation) is not True
            if "text/html" in ctype and (code >= 500 or unknown_route):
                state["replaced"] = code
                return lambda data: None
            return start_response(status, headers, exc_info)

        try:
            result = self.moto_app(environ, intercept)
        except NotImplementedError as exc:
            return self._respond(start_response, *not_emulated(info, str(exc)))
        except Exception as exc:
            if info.service and moto.operation_implemented(info.service, info.operation) is False:
                return self._respond(start_response, *not_emulated(info))  # moto has no such service
            log.exception("moto failed on %s", info.label)
            return self._respond(start_response, *error_response(
                info, "InternalFailure",
                f"The local endpoint failed while handling {info.label}: {type(exc).__name__}: {exc}",
                500, sender_fault=False))
        if "replaced" not in state:
            return result
        if hasattr(result, "close"):
            result.close()
        if state["replaced"] >= 500 and moto.operation_implemented(info.service, info.operation):
            return self._respond(start_response, *error_response(
                info, "InternalFailure", f"The local endpoint failed while handling {info.label}; "
                "see the endpoint log.", 500, sender_fault=False))
        return self._respond(start_response, *not_emulated(info))

    # -- kit routes ----------------------------------------------------------------------------
    def health(self) -> dict:
        return {
            "status": "running",
            "version": self.version,
            "moto_version": moto.MOTO_VERSION,
            "engines": self.registry.engines(),
            "uptime_seconds": round(time.time() - self.started, 3),
            "requests": self.requests,
            # whose endpoint this is: `labkit up` of another workspace refuses it, `labkit down` finds its pid
            "home": str(self.context.home),
            "pid": os.getpid(),
        }

    def _kit_route(self, method: str, path: str, start_response):
        if path == "/_labkit/health" and method in ("GET", "HEAD"):
            return self._json(start_response, 200, self.health())
        if path == "/_labkit/reset" and method == "POST":
            self.context.reset()
            moto.reset()
            return self._json(start_response, 200, {"status": "reset"})
        return self._json(start_response, 404, {
            "error": f"unknown kit route {method} {path}",
            "routes": ["GET /_labkit/health", "POST /_labkit/reset"],
        })

    def _json(self, start_response, status: int, payload: dict):
        body = json.dumps(payload, sort_keys=True).encode()
        return self._respond(start_response, status,
                             [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body)

    @staticmethod
    def _respond(start_response, status: int, headers, body: bytes):
        start_response(f"{status} {_REASONS.get(status, 'Status')}", list(headers))
        return [body]


def _headers(environ) -> dict[str, str]:
    out = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            out[key[5:].replace("_", "-").lower()] = value
    if "CONTENT_TYPE" in environ:
        out["content-type"] = environ["CONTENT_TYPE"]
    if "CONTENT_LENGTH" in environ:
        out["content-length"] = environ["CONTENT_LENGTH"]
    return out


def _json_error_code(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return ""
    return doc.get("__type", "") if isinstance(doc, dict) else ""


def _checked_input(environ, info: RequestInfo, query: dict, headers: dict, body: bytes | None):
    """(the request's parameters, checked, or None if not read; the body if it was read).

    Raises wire.BadRequest for input AWS refuses. A blob payload (an S3 upload) is never buffered."""
    try:
        if not wire.reads(info, headers):
            return None, body
        if body is None and wire.reads_body(info):
            body = _read_body(environ)
        return wire.parse(info, query, headers, body), body
    except wire.BadRequest:
        raise
    except Exception:  # a reader bug must not refuse a request AWS would take: pass it on unread
        log.exception("could not read the input of %s; passing it on unchecked", info.label)
        return None, body


def _as_json_protocol(environ, info: RequestInfo, params: dict) -> dict | None:
    """The request re-sent in the json protocol (None if that protocol's model lacks the operation).
    moto's json answer reads the same to a rest-json client: botocore's rest-json parser takes the
    JSON body, and an error's code from ``__type``."""
    model = json_model(info.service)
    if info.operation not in model.operation_names:
        return None
    body, headers = wire.json_request(params, model.operation_model(info.operation))
    out = {k: v for k, v in environ.items() if k not in ("HTTP_CONTENT_ENCODING", "HTTP_TRANSFER_ENCODING")}
    out.update({"REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "", "RAW_URI": "/", "REQUEST_URI": "/",
                "CONTENT_TYPE": headers["Content-Type"], "CONTENT_LENGTH": str(len(body)),
                "HTTP_X_AMZ_TARGET": headers["X-Amz-Target"], "wsgi.input": io.BytesIO(body)})
    return out


def _read_body(environ) -> bytes:
    """Read the request body once and put an equivalent stream back for moto."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        body = stream.read(int(length)) if int(length) else b""
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body
