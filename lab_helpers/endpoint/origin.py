"""origin: only the learner's own machine may drive the endpoint — not a web page, not a rebound DNS name.

The endpoint accepts any credentials, so whoever can send it requests owns the learner's local
"account". It listens on loopback only, but a page open in the learner's browser can still
send requests to ``http://127.0.0.1:4566`` (and read the answers if CORS allows it), and a
DNS-rebinding name (``attacker.example`` resolving to 127.0.0.1) arrives with a foreign
``Host`` header. So:

- a request whose ``Host`` is not a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``, any
  port, plus names the user configures) is refused with 403;
- a request carrying a foreign ``Origin`` (a web page) is refused with 403 — preflights included —
  and no answer ever carries an ``Access-Control-Allow-*`` grant for a foreign origin.
  Tools (boto3, the CLI, notebooks) send no ``Origin`` and are unaffected; JupyterLab pages on
  loopback origins keep working.
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "localhost.localdomain"})


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):                       # [::1]:4566
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:                       # name:port
        return host.rsplit(":", 1)[0]
    return host


def is_loopback(name: str, extra: frozenset[str] = frozenset()) -> bool:
    name = name.rstrip(".")
    return name in LOOPBACK_NAMES or name in extra or name.endswith(".localhost") or (
        name.startswith("127.") and name.replace(".", "").isdigit())


def refusal(environ, extra_hosts: frozenset[str] = frozenset()) -> str | None:
    """Why this request must be refused (None: it comes from the learner's own machine)."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    if not is_loopback(_hostname(host), extra_hosts):
        return (f"Host '{host}' is not a loopback name: the labkit endpoint answers only localhost, 127.0.0.1 "
                "and [::1] (add a name with LABKIT_ALLOWED_HOSTS).")
    origin = environ.get("HTTP_ORIGIN")
    if origin and origin != "null":
        name = urlsplit(origin).hostname or ""
        if not is_loopback(name, extra_hosts):
            return (f"Origin '{origin}' is a foreign web page: the labkit endpoint does not answer requests "
                    "from web pages outside this machine.")
    elif origin == "null":
        return "Origin 'null' (a sandboxed or file:// page) may not drive the labkit endpoint."
    return None


def forbidden(start_response, message: str):
    body = json.dumps({"__type": "AccessDeniedException", "message": message, "Message": message}).encode()
    start_response("403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def without_cors(start_response):
    """A start_response that drops any CORS grant (moto's server adds one for every origin)."""
    def wrapped(status, headers, exc_info=None):
        kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-allow-")]
        return start_response(status, kept, exc_info)
    return wrapped
