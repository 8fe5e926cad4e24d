"""Running real `labkit` commands in a test: a free port, an environment of its own, its processes."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support import LABKIT


def labkit_env(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LABKIT_"))}
    env.update({"LABKIT_HOME": str(home), "LABKIT_PORT": str(port)})
    return env


def run_labkit(args, env, timeout=240) -> subprocess.CompletedProcess:
    return subprocess.run([*LABKIT, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=str(Path(__file__).resolve().parents[2]))


def endpoint_pids(home: Path) -> list[int]:
    """Pids of endpoint processes started for this home (the test's own tmp path)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if b"lab_helpers.endpoint" in argv and str(home).encode() in argv and state != "Z":
            pids.append(int(entry.name))
    return pids
