"""Build and serve the embedded endpoint: one threaded HTTP server on loopback."""
from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import make_server

from .. import __version__
from ..config import load
from . import logs, moto
from .context import EngineContext
from .gateway import Gateway
from .registry import Registry

LOOPBACK = "127.0.0.1"
# How often serve_forever looks for a shutdown request: stop() waits up to this long. socketserver's
# default (0.5 s) made every `labkit down` and every stopped test endpoint wait half a second.
POLL_INTERVAL_S = 0.05


def _configure_moto() -> None:
    # moto must never try Docker (there is none); our lambda_ engine runs functions instead.
    os.environ.setdefault("MOTO_DOCKER_NETWORK_MODE", "none")
    # Lambda functions must be stored with their code so our engine can run them.
    os.environ.setdefault("MOTO_LAMBDA_STUB_ECR", "TRUE")
    moto.disable_bucket_policy_evaluation()
    moto.seal_from_user_aws_config()


def build_app(port: int, home: Path, registry: Registry | None = None,
              allowed_hosts: tuple[str, ...] | None = None) -> Gateway:
    _configure_moto()
    moto_app = moto.make_app()   # one app: the gateway serves it, engines call it in-process (call_moto)
    context = EngineContext(f"http://{LOOPBACK}:{port}", home, moto_app)
    hosts = load().allowed_hosts if allowed_hosts is None else allowed_hosts
    return Gateway(registry or Registry(), context, moto_app=moto_app, version=__version__,
                   allowed_hosts=frozenset(hosts))


@dataclass
class RunningEndpoint:
    """An endpoint served from a thread of this process (tests, notebooks' in-process mode)."""

    url: str
    port: int
    app: Gateway
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        # Engine state first, while the server still answers: in-flight jobs (a crawl writing the
        # catalog, a Lambda calling S3) finish or stop through the endpoint before it goes away.
        self.app.context.stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def start_in_thread(home: Path, port: int = 0, registry: Registry | None = None) -> RunningEndpoint:
    """Serve on a free port (port=0) in a daemon thread; returns once it accepts requests."""
    server = make_server(LOOPBACK, port, None, threaded=True, request_handler=moto.REQUEST_HANDLER)
    real_port = server.server_address[1]
    app = build_app(real_port, home, registry)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S},
                              name="labkit-endpoint", daemon=True)
    thread.start()
    return RunningEndpoint(f"http://{LOOPBACK}:{real_port}", real_port, app, server, thread)


def serve_forever(port: int, home: Path, logfile: Path | None = None) -> None:
    """The daemon's main loop (``python -m lab_helpers.endpoint``). With ``logfile`` (the daemon),
    logging and stdout/stderr go to that file, rotated and bounded (endpoint/logs.py)."""
    home.mkdir(parents=True, exist_ok=True)
    if logfile is not None:
        logs.configure(logfile)
    else:
        logging.basicConfig(level=logging.INFO, format=logs.FORMAT)
        logs.quiet_request_log()
    # Loopback only: the endpoint accepts any credentials, so it must never be reachable from outside.
    server = make_server(LOOPBACK, port, None, threaded=True, request_handler=moto.REQUEST_HANDLER)
    server.app = build_app(port, home)

    def _reset_then_shutdown():
        server.app.context.stop()   # in-flight jobs finish through the still-serving endpoint
        server.shutdown()

    def _stop(signum, frame):
        threading.Thread(target=_reset_then_shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    logging.getLogger("labkit").info("labkit endpoint listening on http://%s:%d", LOOPBACK, port)
    try:
        server.serve_forever(poll_interval=POLL_INTERVAL_S)
    finally:
        server.app.context.stop()
        server.server_close()
