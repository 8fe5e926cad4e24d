"""Shared fixtures: one endpoint per test session, reset before every test that uses it; the
environment restored after every test; boto3 pointed at the endpoint.

Starting an endpoint per test cost more than most tests (a server, its boto3 clients, a shutdown);
POST /_labkit/reset gives the same clean account. A module whose tests only read one expensive set-up
(a provisioned stack) marks itself ``shared_account`` and resets once, in its own module fixture.
"""
from __future__ import annotations

import logging
import os
import socket
import urllib.request

import boto3
import pytest

from lab_helpers.endpoint.server import start_in_thread

logging.getLogger("werkzeug").setLevel(logging.WARNING)
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # loopback, whatever HTTP_PROXY says


# The modules that take longest (BENCHMARKS.md, "Test suite"): scheduled first, so that with one worker
# per core (make test: -n auto --dist loadscope) none of them starts last and runs alone at the end.
SLOWEST_FIRST = ("tests/targets/test_ministack.py", "tests/grading/test_lab_walk.py",
                 "tests/classroom/test_learners.py", "tests/test_cli_class.py", "tests/test_cli_cloud.py",
                 "tests/targets/test_localstack.py", "tests/test_cli.py")


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))   # stable: order kept within


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "shared_account: the module's tests share one account on the session endpoint, set up "
                   "once by a module fixture (call reset_endpoint there); nothing is reset between them")


@pytest.fixture(autouse=True)
def _isolated_aws_env(monkeypatch, tmp_path_factory):
    """No test may read the developer's ~/.aws or reach a real account, and no test leaks variables:
    whatever a test or the code it calls (Target.apply, a Session) puts into os.environ is undone."""
    saved = dict(os.environ)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    empty = tmp_path_factory.mktemp("noaws") / "none"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield
    for key in set(os.environ) - set(saved):
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _shares_account(request) -> bool:
    return request.node.get_closest_marker("shared_account") is not None


@pytest.fixture(autouse=True)
def _fresh_moto_state(request):
    """moto's backends are process-global: every test starts from an empty account (endpoints a
    test starts itself included), except inside a ``shared_account`` module."""
    if not _shares_account(request):
        from lab_helpers.endpoint import moto

        moto.reset()
    yield


def reset_endpoint(ep) -> None:
    """POST /_labkit/reset: the engines' state (jobs, Lambda environments, DuckDB) and every moto
    backend wiped; it returns once background work has stopped."""
    request = urllib.request.Request(f"{ep.url}/_labkit/reset", method="POST", data=b"")
    with _NO_PROXY.open(request, timeout=120) as resp:
        assert resp.status == 200, resp.read()


@pytest.fixture(scope="session")
def endpoint_server(tmp_path_factory):
    """The session's endpoint (one per pytest process); use it through ``endpoint``."""
    ep = start_in_thread(tmp_path_factory.mktemp("endpoint-home"))
    yield ep
    ep.stop()


@pytest.fixture
def endpoint(endpoint_server, request):
    """The session's endpoint, reset before and after the test (after: no Lambda environment or
    crawl keeps running into the next test). Files a test writes belong in its own tmp_path."""
    shared = _shares_account(request)
    if not shared:
        reset_endpoint(endpoint_server)
    yield endpoint_server
    if not shared:
        reset_endpoint(endpoint_server)


@pytest.fixture(scope="session")
def session():
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


@pytest.fixture(scope="session")
def _client_cache():
    return {}


@pytest.fixture
def client(endpoint, session, _client_cache):
    """client("s3") -> a boto3 client for the test endpoint (plain clients are built once per session;
    building one costs more than many a test)."""
    def make(service, **kwargs):
        if kwargs:
            return session.client(service, endpoint_url=endpoint.url, **kwargs)
        key = (endpoint.url, service, session.get_credentials().access_key, session.region_name)
        if key not in _client_cache:
            _client_cache[key] = session.client(service, endpoint_url=endpoint.url)
        return _client_cache[key]
    return make


@pytest.fixture
def workspace(endpoint, monkeypatch):
    """A labkit Session (what a notebook's first cell builds) with its stack provisioned on the freshly
    reset endpoint. LABKIT_HOME has to be the endpoint's own home (the local target refuses an endpoint
    serving another workspace), so the files a workspace keeps there, its guid and its progress store,
    are removed first: every test starts as a new learner."""
    return new_learner(endpoint, monkeypatch)


def point_at(endpoint, monkeypatch) -> None:
    """LABKIT_* for the local target on the session endpoint (its home is the workspace's home)."""
    monkeypatch.setenv("LABKIT_HOME", str(endpoint.app.context.home))
    monkeypatch.setenv("LABKIT_PORT", str(endpoint.port))
    monkeypatch.delenv("LABKIT_TARGET", raising=False)
    monkeypatch.delenv("LABKIT_CATCHUP", raising=False)


def new_learner(endpoint, monkeypatch):
    """A Session for a new learner: the workspace's guid and progress store removed, the stack provisioned."""
    from lab_helpers import config
    from lab_helpers.grading.notebook import Session

    point_at(endpoint, monkeypatch)
    settings = config.load()
    for path in (settings.workspace_file, settings.progress_db):
        path.unlink(missing_ok=True)
    return Session(settings)


def role_session(client, role_name: str) -> boto3.session.Session:
    """A boto3 session for an assumed role on the endpoint (as a Lambda or crawler would have)."""
    iam = client("iam")
    try:
        iam.get_role(RoleName=role_name)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")
    creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::123456789012:role/{role_name}",
                                      RoleSessionName="test-session")["Credentials"]
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name="us-east-1")


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def kernel_env(endpoint, monkeypatch, tmp_path):
    """This process as a lab kernel on the local target sees it: LABKIT_* set, the target applied, boto3's
    default session fresh. Host lookups other than loopback fail and are recorded (the list it yields)."""
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABKIT_PORT", str(endpoint.port))
    monkeypatch.delenv("LABKIT_TARGET", raising=False)
    from lab_helpers import config
    from lab_helpers.targets import get_target

    get_target(config.load()).apply()
    looked_up = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK:
            looked_up.append(host)
            raise socket.gaierror(f"test: {host} is not on this machine")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    boto3.DEFAULT_SESSION = None
    yield looked_up
    boto3.DEFAULT_SESSION = None
