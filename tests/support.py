"""Running real `labkit` commands from a test: the command line, a free loopback port, one run."""
from __future__ import annotations

import socket
import subprocess
import sys

LABKIT = [sys.executable, "-m", "lab_helpers.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(env, *args, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    """`labkit ARGS` in ``env``; with ``check`` a failure shows the command's own output."""
    proc = subprocess.run(LABKIT + list(args), env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if check:
        assert proc.returncode == 0, f"labkit {' '.join(args)} failed:\n{proc.stderr[-4000:]}\n{proc.stdout[-4000:]}"
    return proc
