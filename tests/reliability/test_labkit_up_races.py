"""`labkit up` run twice at once, or from another workspace on the same port (issue 11.10).

Before: two `labkit up` at once each spawned an endpoint; the pidfile named the one that lost the
port, so `labkit down` said nothing was running and the other endpoint lived on (3 of 3 tries),
and the loser died provisioning with AlreadyExistsException. A second workspace's `labkit up` on
a port served by another workspace provisioned its stack into that workspace's endpoint.
Every test runs real `labkit` subprocesses with its own LABKIT_HOME and a free port, and always
stops what it started (`labkit down`, then any endpoint process of its own home by pid)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from lab_helpers.config import load
from lab_helpers.endpoint import daemon
from tests.reliability.support import endpoint_pids, labkit_env, run_labkit
from tests.support import LABKIT, free_port


def _health(port: int) -> dict | None:
    return daemon.health(f"http://127.0.0.1:{port}")


@pytest.fixture
def workspaces(tmp_path):
    """make(name) -> (home, env); every workspace made is taken down afterwards, whatever happened."""
    made = []
    port = free_port()

    def make(name: str, on_port: int | None = None):
        home = tmp_path / name
        env = labkit_env(home, on_port or port)
        made.append((home, env))
        return home, env

    make.port = port
    yield make
    for home, env in made:
        run_labkit(["down"], env, timeout=60)
    for home, _ in made:
        for pid in endpoint_pids(home):   # only processes this test started (its own home)
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


def test_three_labkit_up_at_once_share_one_endpoint_that_down_stops(workspaces):
    home, env = workspaces("ws")
    procs = [subprocess.Popen([*LABKIT, "up", "--no-data"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, stdin=subprocess.DEVNULL) for _ in range(3)]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], "\n---\n".join(outputs)
    guid = json.loads((home / "workspace.json").read_text())["local"]["guid"]
    assert all(guid in out for out in outputs), outputs            # one workspace, reported by all three
    assert sum("nothing to do" in out for out in outputs) == 2, outputs   # the later two waited, then found it
    running = endpoint_pids(home)
    assert len(running) == 1, f"endpoints running for one workspace: {running}"
    assert int((home / "endpoint.pid").read_text()) == running[0] == _health(workspaces.port)["pid"]
    down = run_labkit(["down"], env)
    assert "stopped" in down.stdout, down.stdout + down.stderr
    deadline = time.monotonic() + 10
    while endpoint_pids(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert endpoint_pids(home) == []


def test_labkit_up_from_another_workspace_refuses_the_port_naming_that_workspace(workspaces):
    home_a, env_a = workspaces("first")
    home_b, env_b = workspaces("second")
    up_a = run_labkit(["up", "--no-data"], env_a)
    assert up_a.returncode == 0, up_a.stdout + up_a.stderr
    guid_a = json.loads((home_a / "workspace.json").read_text())["local"]["guid"]
    requests_before = _health(workspaces.port)["requests"]

    up_b = run_labkit(["up", "--no-data"], env_b)
    assert up_b.returncode != 0
    assert str(home_a) in up_b.stderr and guid_a in up_b.stderr, up_b.stderr
    assert f"--port {workspaces.port + 1}" in up_b.stderr and "Traceback" not in up_b.stderr
    assert not (home_b / "workspace.json").exists()               # nothing provisioned for the second
    # the second only asked for the health route (twice: status, then start)
    assert _health(workspaces.port)["requests"] - requests_before <= 3
    assert run_labkit(["down"], env_b).stdout.startswith("No labkit endpoint was running")
    assert _health(workspaces.port) is not None                   # the first workspace's endpoint is untouched


def test_labkit_down_stops_an_endpoint_whose_pidfile_was_lost(workspaces):
    home, env = workspaces("orphan")
    assert run_labkit(["up", "--no-data"], env).returncode == 0
    (home / "endpoint.pid").unlink()          # what the race left behind
    down = run_labkit(["down"], env)
    assert "stopped" in down.stdout, down.stdout + down.stderr
    assert _health(workspaces.port) is None


def test_a_second_holder_of_the_workspace_lock_waits_then_times_out_naming_the_holder(tmp_path):
    settings = load(environ={"LABKIT_HOME": str(tmp_path / "ws")})
    other = [sys.executable, "-c",
             "import sys, time; from lab_helpers.config import load; from lab_helpers.endpoint import daemon\n"
             f"s = load(environ={{'LABKIT_HOME': {str(tmp_path / 'ws')!r}}})\n"
             "t = time.monotonic()\n"
             "try:\n"
             "    with daemon.workspace_lock(s, timeout=float(sys.argv[1])):\n"
             "        print('got it after', round(time.monotonic() - t, 2))\n"
             "except daemon.EndpointError as exc:\n"
             "    print('refused:', exc)\n"]
    with daemon.workspace_lock(settings):
        refused = subprocess.run([*other, "0.3"], capture_output=True, text=True, timeout=60)
        assert f"pid {os.getpid()}" in refused.stdout and f"kill {os.getpid()}" in refused.stdout, refused
        waiter = subprocess.Popen([*other, "30"], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert waiter.poll() is None                                   # still waiting while we hold it
    out = waiter.communicate(timeout=60)[0]
    assert out.startswith("got it after"), out
    with daemon.workspace_lock(settings):                              # re-entrant in one thread
        with daemon.workspace_lock(settings):
            pass
