"""Start, find and stop the endpoint as a background process (pidfile + log in the workspace)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from ..config import Settings
from ..sessions import without_foreign_aws


class EndpointError(RuntimeError):
    """The endpoint could not be started or reached; the message says what to do."""


@dataclass
class DaemonStatus:
    running: bool
    pid: int | None
    healthy: bool
    health: dict | None


def health(url: str, timeout: float = 2.0) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_labkit/health", timeout=timeout) as resp:
            return json.load(resp)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _read_pid(settings: Settings) -> int | None:
    try:
        pid = int(settings.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def status(settings: Settings) -> DaemonStatus:
    pid = _read_pid(settings)
    info = health(settings.endpoint_url)
    return DaemonStatus(pid is not None, pid, info is not None, info)


def start(settings: Settings) -> tuple[DaemonStatus, bool]:
    """Start the endpoint unless one is already healthy. Returns (status, started_now)."""
    current = status(settings)
    if current.healthy:
        return current, False
    if current.running:  # a process we started is alive but not answering: replace it
        stop(settings)
    _check_port_free(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    log = open(settings.logfile, "ab")
    env = without_foreign_aws(os.environ)   # the endpoint never reads the learner's AWS set-up
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab_helpers.endpoint", "--port", str(settings.port), "--home", str(settings.home),
         "--log", str(settings.logfile)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, env=env,
        cwd=str(settings.home),
    )
    log.close()
    settings.pidfile.write_text(str(proc.pid))
    deadline = time.monotonic() + settings.start_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            settings.pidfile.unlink(missing_ok=True)
            raise EndpointError(
                f"The endpoint exited during start-up (code {proc.returncode}). Last log lines:\n"
                + _tail(settings.logfile) + f"\nFull log: {settings.logfile}")
        info = health(settings.endpoint_url, timeout=1.0)
        if info is not None:
            return DaemonStatus(True, proc.pid, True, info), True
        time.sleep(0.1)
    stop(settings)
    raise EndpointError(f"The endpoint did not answer within {settings.start_timeout:.0f}s; see {settings.logfile}")


def stop(settings: Settings, timeout: float = 10.0) -> bool:
    """Stop the endpoint this workspace started. Returns True if a process was stopped."""
    pid = _read_pid(settings)
    settings.pidfile.unlink(missing_ok=True)
    if pid is None:
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return True


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True


def _check_port_free(settings: Settings) -> None:
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((settings.host, settings.port))
        except OSError:
            raise EndpointError(
                f"Port {settings.port} is in use by another program (not a labkit endpoint of this workspace). "
                f"Free it, or pick another port: labkit up --port {settings.port + 1}") from None


def _tail(path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
