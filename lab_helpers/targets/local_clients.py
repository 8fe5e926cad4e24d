"""local_clients: the local target's botocore client plugin (``BOTOCORE_EXPERIMENTAL__PLUGINS``).

The local target points every client at the kit's endpoint with ``AWS_ENDPOINT_URL``, but an
``endpoint_url`` passed in code wins over it. The SageMaker Python SDK 2.x passes one for STS
(``https://sts.<region>.amazonaws.com``: ``Session().default_bucket()``, ``account_id()``, the
execution-role lookup), so those calls would leave the machine. For every client whose endpoint
is an AWS host, the plugin sends its requests to ``AWS_ENDPOINT_URL`` instead: on the local target
nothing reaches AWS by accident.

It also takes the SDK's fixed waits out of the local target. ``sagemaker.session`` sleeps before
every poll: ``fit()`` reads logs every 10 s and the job's status only every 30 s, ``deploy()`` sleeps
30 s before its first DescribeEndpoint, though a local job or endpoint is ready in seconds. When
the SDK creates its SageMaker client, the plugin gives ``sagemaker.session`` a clock whose
``sleep(s)`` waits at most 0.2 s and whose ``time()`` advances by the rest, so the SDK's own logic
(intervals, the 30 s describe cadence, timeouts) runs unchanged, only faster.

botocore imports this module in each process where the variable is set (the local target's
kernels) and calls ``initialize_client_plugin(client)`` for every client it creates.
"""
from __future__ import annotations

import os
import sys
import time as _time
import types
from urllib.parse import urlsplit, urlunsplit

MAX_SDK_SLEEP_S = 0.2
_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


class FastClock(types.ModuleType):
    """A stand-in for the ``time`` module: short real sleeps, a clock that counts the skipped time."""

    def __init__(self, real=_time, max_sleep: float = MAX_SDK_SLEEP_S):
        super().__init__("time")
        self._real, self._max, self.skipped = real, max_sleep, 0.0

    def sleep(self, seconds: float) -> None:
        wait = max(0.0, min(float(seconds), self._max))
        self._real.sleep(wait)
        self.skipped += max(0.0, float(seconds) - wait)

    def time(self) -> float:
        return self._real.time() + self.skipped

    def __getattr__(self, name):
        return getattr(self._real, name)


def _redirect(target: str):
    base = urlsplit(target)

    def handler(request, **_):
        url = urlsplit(request.url)
        request.url = urlunsplit((base.scheme, base.netloc, url.path, url.query, url.fragment))
    return handler


def speed_up_sagemaker_sdk() -> bool:
    """Give a loaded ``sagemaker.session`` the fast clock (once). True if it has it now."""
    module = sys.modules.get("sagemaker.session")
    if module is None or not hasattr(module, "time"):
        return False
    if not isinstance(module.time, FastClock):
        module.time = FastClock()
    return True


def initialize_client_plugin(client) -> None:
    target = os.environ.get("AWS_ENDPOINT_URL")
    if not target:
        return
    host = (urlsplit(client.meta.endpoint_url or "").hostname or "").lower()
    if host.endswith(_AWS_HOSTS):
        client.meta.events.register_first("before-sign", _redirect(target), unique_id="labkit-local-endpoint")
    if client.meta.service_model.service_name == "sagemaker":
        speed_up_sagemaker_sdk()
