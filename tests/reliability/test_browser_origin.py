"""A web page or a DNS-rebinding name must not drive the endpoint (issue 11.2)."""
from __future__ import annotations

import http.client
import json

import pytest

from lab_helpers.endpoint.origin import is_loopback, refusal

LIST_BUCKETS = ("GET", "/")


def _send(endpoint, method="GET", path="/", headers=None, body=b""):
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=30)
    hdrs = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
                             "SignedHeaders=host, Signature=x", "X-Amz-Date": "20260101T000000Z"}
    hdrs.update(headers or {})
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


@pytest.mark.parametrize("host", ["localhost:4566", "127.0.0.1", "[::1]:4566", "LOCALHOST", "127.0.0.2:80"])
def test_loopback_hosts_are_served(endpoint, host):
    status, _, _ = _send(endpoint, headers={"Host": host})
    assert status == 200


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:4566", "192.168.1.20:4566",
                                  "localhost.attacker.example", "127.0.0.1.nip.io"])
def test_foreign_host_names_are_refused_with_403(endpoint, host):
    status, _, body = _send(endpoint, headers={"Host": host})
    assert status == 403
    assert "not a loopback name" in json.loads(body)["message"]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://attacker.example:4566", "null"])
def test_a_foreign_web_page_gets_no_answer_and_no_cors_grant(endpoint, origin):
    status, headers, _ = _send(endpoint, headers={"Origin": origin})
    assert status == 403
    assert not any(k.startswith("access-control-allow") for k in headers)
    status, headers, _ = _send(endpoint, "OPTIONS", "/", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert status == 403
    assert "access-control-allow-origin" not in headers


def test_tools_without_origin_get_no_cors_grant_either(endpoint):
    status, headers, _ = _send(endpoint)
    assert status == 200
    assert "access-control-allow-origin" not in headers


def test_a_loopback_page_such_as_jupyterlab_is_served(endpoint):
    status, _, _ = _send(endpoint, headers={"Origin": "http://127.0.0.1:8888"})
    assert status == 200


def test_configured_names_are_allowed():
    env = {"HTTP_HOST": "labkit.internal:4566"}
    assert refusal(env) is not None
    assert refusal(env, frozenset({"labkit.internal"})) is None
    assert is_loopback("127.9.9.9") and not is_loopback("127.0.0.1.evil")


def test_labkit_allowed_hosts_reaches_the_gateway(tmp_path, monkeypatch):
    from lab_helpers.config import load
    from lab_helpers.endpoint.server import build_app

    monkeypatch.setenv("LABKIT_ALLOWED_HOSTS", "labkit.internal, Devbox")
    assert load().allowed_hosts == ("labkit.internal", "devbox")
    app = build_app(4566, tmp_path)
    assert refusal({"HTTP_HOST": "devbox:4566"}, app.allowed_hosts) is None
    assert refusal({"HTTP_HOST": "elsewhere:4566"}, app.allowed_hosts) is not None
