"""Start, find and stop the endpoint as a background process (pidfile + log in the workspace)."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

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

    def served_home(self) -> Path | None:
        """The workspace (LABKIT_HOME) of the endpoint answering on the port (None: unknown or none)."""
        home = (self.health or {}).get("home")
        return Path(home).resolve() if home else None


# How long a second `labkit up` waits for the first to finish starting and provisioning.
LOCK_TIMEOUT_S = 600.0
_locks: dict[Path, list] = {}          # lock file -> [thread lock, open file, depth]
_locks_guard = threading.Lock()


@contextlib.contextmanager
def workspace_lock(settings: Settings, timeout: float = LOCK_TIMEOUT_S):
    """Hold the workspace's lock (``LABKIT_HOME/labkit.lock``, fcntl.flock): one start, stop or
    provisioning of a workspace at a time. Without it two `labkit up` each spawned an endpoint, the
    pidfile named the one that lost the port, and `labkit down` could not stop the survivor.
    Re-entrant in one thread (``labkit up`` holds it around start and provisioning, start takes it too);
    another process or thread waits, up to ``timeout`` seconds. The kernel drops the lock if its
    holder dies, so a killed `labkit up` never leaves the workspace locked."""
    settings.home.mkdir(parents=True, exist_ok=True)
    path = (settings.home / "labkit.lock").resolve()
    with _locks_guard:
        entry = _locks.setdefault(path, [threading.RLock(), None, 0])
    thread_lock = entry[0]
    if not thread_lock.acquire(timeout=timeout):
        raise EndpointError(f"Another thread of this process holds {path}; gave up after {timeout:.0f}s.")
    try:
        if entry[2] == 0:
            entry[1] = _flock(path, timeout)
        entry[2] += 1
        try:
            yield
        finally:
            entry[2] -= 1
            if entry[2] == 0:
                entry[1].close()          # closing the file releases the flock
                entry[1] = None
    finally:
        thread_lock.release()


def _flock(path: Path, timeout: float):
    handle = open(path, "a+")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                handle.close()
                raise EndpointError(
                    f"Another labkit command (pid {holder}) has been starting or stopping this workspace's "
                    f"endpoint for over {timeout:.0f}s. If it is stuck, stop it (kill {holder}) and run "
                    "`labkit up` again.") from None
            time.sleep(0.1)
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))        # named in the message of a command that waits too long
    handle.flush()
    return handle


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
    """Start the endpoint unless one is already healthy. Returns (status, started_now).

    Under the workspace lock: a second caller waits for the first and finds its endpoint healthy.
    An endpoint of another workspace on the port is refused (EndpointError naming it), never used."""
    with workspace_lock(settings):
        return _start(settings)


def _start(settings: Settings) -> tuple[DaemonStatus, bool]:
    current = status(settings)
    _refuse_foreign(settings, current)
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
    with workspace_lock(settings):
        return _stop(settings, timeout)


def _stop(settings: Settings, timeout: float) -> bool:
    pid = _read_pid(settings)
    settings.pidfile.unlink(missing_ok=True)
    if pid is None:
        pid = _orphan_pid(settings)
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


def _refuse_foreign(settings: Settings, current: DaemonStatus) -> None:
    """An endpoint of another workspace answers on our port: say whose, and how to get past it."""
    served = current.served_home()
    if not current.healthy or served is None or served == settings.home.resolve():
        return
    from ..stack.names import workspace

    names = workspace(replace(settings, home=served), create=False)
    guid = f" (workspace {names.guid})" if names else ""
    raise EndpointError(
        f"Port {settings.port} is served by the labkit endpoint of another workspace: {served}{guid}. "
        f"This workspace ({settings.home}) will not provision into it. Use another port "
        f"(labkit up --port {settings.port + 1}), or stop that endpoint first (LABKIT_HOME={served} labkit down).")


def _orphan_pid(settings: Settings) -> int | None:
    """The pid of an endpoint serving this workspace whose pidfile was lost (e.g. to the race
    workspace_lock now prevents); None if the port's endpoint is not ours."""
    current = status(settings)
    if current.healthy and current.served_home() == settings.home.resolve():
        pid = current.health.get("pid")
        return pid if isinstance(pid, int) and pid > 0 else None
    return None


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
