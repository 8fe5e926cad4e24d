"""lambda_: no process a function starts outlives its invocation, and none outlives endpoint reset or stop."""
from __future__ import annotations

import base64
import io
import json
import os
import re
import sys
import time
import urllib.request
import uuid
import zipfile

import pytest

from lab_helpers.endpoint.server import start_in_thread

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="setsid children are found through /proc on Linux only")
ROLE_ARN = "arn:aws:iam::123456789012:role/leak-role"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
# A setsid child and a double-forked daemon (its parent shell exits at once), both sleeping 600 s.
SPAWN = ("import os, subprocess, time\n"
         "def spawn():\n"
         "    child = subprocess.Popen(['setsid', 'sleep', '600'])\n"
         "    daemon = subprocess.run(['sh', '-c', '(setsid sleep 600 >/dev/null 2>&1 & echo $!)'],\n"
         "                            capture_output=True, text=True, check=True).stdout.strip()\n"
         "    print('spawned', child.pid, daemon, flush=True)\n"
         "    return [child.pid, int(daemon)]\n")


def make_function(lam, iam, source: str, timeout: int = 30) -> str:
    try:
        iam.create_role(RoleName="leak-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", source)
    name = f"leak-{uuid.uuid4().hex[:12]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE_ARN, Handler="app.handler",
                        Code={"ZipFile": buf.getvalue()}, Timeout=timeout)
    return name


def processes_of(function_name: str) -> list[int]:
    """Running processes (not zombies) whose environment names the function: its execution
    environments and everything they started (children inherit the environment)."""
    needle = f"\0AWS_LAMBDA_FUNCTION_NAME={function_name}\0".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = b"\0" + f.read()
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:  # ended meanwhile, or not ours
            continue
        if needle in environ and state not in ("Z", "X"):
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def eventually_none_left(function_name: str, timeout: float = 10.0) -> list[int]:
    """Poll (bounded) until no process of the function runs; returns those still running."""
    deadline = time.monotonic() + timeout
    while (left := processes_of(function_name)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def spawned_pids(resp: dict) -> list[int]:
    tail = base64.b64decode(resp["LogResult"]).decode()
    child, daemon = re.search(r"spawned (\d+) (\d+)", tail).groups()
    return [int(child), int(daemon)]


@pytest.mark.parametrize("ending", ["returns", "raises", "times out", "crashes"])
def test_processes_an_invocation_started_are_gone_when_it_ends(client, ending):
    lam, iam = client("lambda"), client("iam")
    source = SPAWN + (
        "def handler(event, context):\n"
        "    pids = spawn()\n"
        "    if event['ending'] == 'raises':\n        raise RuntimeError('after spawning')\n"
        "    if event['ending'] == 'times out':\n        time.sleep(600)\n"
        "    if event['ending'] == 'crashes':\n        os._exit(1)\n"
        "    return pids\n")
    name = make_function(lam, iam, source, timeout=2 if ending == "times out" else 30)
    resp = lam.invoke(FunctionName=name, Payload=json.dumps({"ending": ending}), LogType="Tail")
    assert ("FunctionError" in resp) == (ending != "returns")
    pids = spawned_pids(resp)
    assert not any(alive(pid) for pid in pids)  # dead when Invoke answered, not only later
    environments = processes_of(name)
    assert len(environments) == (2 if ending in ("returns", "raises") else 0)  # a warm worker (and
    # its supervisor) stays after a result or a handled error; a timeout or crash discards it
    assert not set(environments) & set(pids)


def test_the_next_invocation_finds_the_warm_environment_without_leftovers(client):
    lam, iam = client("lambda"), client("iam")
    name = make_function(lam, iam, SPAWN + "def handler(event, context):\n"
                                           "    return [os.getpid()] + spawn()\n")
    first = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    second = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert first[0] == second[0]  # the same warm environment
    assert not any(alive(pid) for pid in first[1:] + second[1:])
    assert first[0] in processes_of(name) and len(processes_of(name)) == 2


def test_processes_started_at_init_live_with_the_environment_until_endpoint_reset(client, endpoint):
    lam, iam = client("lambda"), client("iam")
    name = make_function(lam, iam, SPAWN + "SIDECAR = spawn()  # init: lives as long as the environment\n"
                                           "def handler(event, context):\n"
                                           "    return [os.getpid()] + SIDECAR\n")
    pids = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == pids  # warm, sidecars kept
    assert all(alive(pid) for pid in pids)
    request = urllib.request.Request(f"{endpoint.url}/_labkit/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.status == 200
    assert processes_of(name) == [] and not any(alive(pid) for pid in pids)


def test_endpoint_stop_leaves_no_process_of_any_function(tmp_path, session):
    ep = start_in_thread(tmp_path / "home")
    try:
        lam = session.client("lambda", endpoint_url=ep.url)
        iam = session.client("iam", endpoint_url=ep.url)
        busy = make_function(lam, iam, SPAWN + "SIDECAR = spawn()\n"
                                               "def handler(event, context):\n"
                                               "    spawn()\n    time.sleep(600)\n")
        idle = make_function(lam, iam, SPAWN + "SIDECAR = spawn()\n"
                                               "def handler(event, context):\n    return SIDECAR\n")
        lam.invoke(FunctionName=idle)
        lam.invoke(FunctionName=busy, InvocationType="Event")  # runs on, in the endpoint's pool
        deadline = time.monotonic() + 30
        # 2 workers + 4 sleeps; while spawn() runs, its `sh -c` and subshell are counted too (7 or 8)
        while len(processes_of(busy)) != 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(processes_of(busy)) == 6 and len(processes_of(idle)) == 4
    finally:
        ep.stop()
    assert processes_of(busy) == [] and processes_of(idle) == []
    assert eventually_none_left(busy) == [] and eventually_none_left(idle) == []
