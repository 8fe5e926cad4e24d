"""Worker processes: many calls over one pipe, timeouts and crashes reported, output streamed, and
the whole process tree (setsid children, double-forked daemons) killed."""
from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab_helpers.engines.platform.workers import WorkerExited, WorkerProcess, WorkerTimeout

LINUX = sys.platform.startswith("linux")
linux_only = pytest.mark.skipif(not LINUX, reason="process trees are walked through /proc on Linux")
ROOT = Path(__file__).resolve().parents[3]

BOOTSTRAP = '''\
import os, subprocess, sys, time

def main(channel):
    print("init output")
    channel.send({"ready": True, "pid": os.getpid()})
    for message, data in channel:
        op = message["op"]
        if op == "echo":
            print("echo", message["n"])
            channel.send({"n": message["n"]}, data[::-1])
        elif op == "partial":
            sys.stdout.write("no newline yet")
            channel.send({})
        elif op == "sleep":
            print("sleeping", flush=True)
            time.sleep(message["s"])
            channel.send({})
        elif op == "exit":
            os._exit(message["code"])
        elif op == "signal":
            os.kill(os.getpid(), signal_number(message["sig"]))
        elif op == "spawn":  # a setsid child and a double-forked daemon, both sleeping 600 s
            setsid = subprocess.Popen(["setsid", "sleep", "600"])
            daemon = subprocess.run(["sh", "-c", "(setsid sleep 600 >/dev/null 2>&1 & echo $!)"],
                                    capture_output=True, text=True, check=True).stdout
            channel.send({"setsid": setsid.pid, "daemon": int(daemon)})
        elif op == "stop_reading":
            time.sleep(600)

def signal_number(name):
    import signal
    return getattr(signal, name)
'''


def _alive(pid: int) -> bool:
    """Running (a zombie has been killed already and only waits to be reaped)."""
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except (FileNotFoundError, ProcessLookupError):
            return False
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _gone(pids, timeout: float = 10.0) -> bool:
    """Poll until none of pids runs, for at most timeout seconds."""
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def bootstrap(tmp_path) -> str:
    path = tmp_path / "test_bootstrap.py"
    path.write_text(BOOTSTRAP)
    return str(path)


@pytest.fixture
def spawn(bootstrap, tmp_path):
    """spawn(on_output=None) -> a started WorkerProcess whose ready message was received; all are
    killed at the end."""
    workers = []

    def make(on_output=None, **kwargs):
        worker = WorkerProcess(bootstrap, "main", env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                               cwd=str(tmp_path), on_output=on_output, **kwargs)
        workers.append(worker)
        ready, _ = worker.receive(timeout=30)
        assert ready == {"ready": True, "pid": worker.pid}
        return worker

    yield make
    for worker in workers:
        worker.kill()


def test_one_worker_serves_many_calls_in_order_with_bytes_both_ways(spawn):
    worker = spawn()
    for n in range(200):
        message, data = worker.call({"op": "echo", "n": n}, f"payload-{n}".encode(), timeout=30)
        assert message == {"n": n} and data == f"payload-{n}".encode()[::-1]
    big = os.urandom(3 << 20)  # larger than any pipe buffer, both ways
    assert worker.call({"op": "echo", "n": -1}, big, timeout=30) == ({"n": -1}, big[::-1])
    assert worker.returncode is None


def test_output_lines_reach_the_callback_before_the_answer_that_follows_them(spawn):
    lines: list[bytes] = []
    worker = spawn(on_output=lines.append)
    assert lines == [b"init output\n"]  # the ready message is a barrier too
    for n in range(20):
        worker.call({"op": "echo", "n": n}, timeout=30)
        assert lines[-1] == f"echo {n}\n".encode()
    worker.call({"op": "partial"}, timeout=30)
    assert lines[-1] == b"no newline yet"  # a partial line is delivered at the barrier
    worker.call({"op": "echo", "n": 99}, timeout=30)
    assert b"".join(lines).endswith(b"no newline yetecho 99\n")


def test_timeout_kills_the_worker_and_raises_worker_timeout(spawn):
    lines: list[bytes] = []
    worker = spawn(on_output=lines.append)
    pid = worker.pid
    with pytest.raises(WorkerTimeout) as err:
        worker.call({"op": "sleep", "s": 600}, timeout=0.5)
    assert err.value.timeout == 0.5
    assert not _alive(pid)  # killed before the error was raised
    assert worker.returncode == -signal.SIGKILL
    assert b"sleeping\n" in lines  # output written before the kill is not lost
    with pytest.raises(WorkerExited):  # a dead worker answers nothing more
        worker.call({"op": "echo", "n": 1}, timeout=5)


def test_a_worker_that_stops_reading_cannot_outlast_the_timeout_of_a_send(spawn):
    worker = spawn()
    with pytest.raises(WorkerTimeout):
        worker.call({"op": "stop_reading"}, timeout=0.5)  # never answered
    worker = spawn()
    worker.send({"op": "stop_reading"})
    with pytest.raises(WorkerTimeout):
        worker.send({"op": "echo", "n": 0}, os.urandom(16 << 20), timeout=0.5)  # blocks on a full pipe
    assert not _alive(worker.pid)


@pytest.mark.parametrize("op, returncode", [
    ({"op": "exit", "code": 3}, 3),
    ({"op": "exit", "code": 0}, 0),
    ({"op": "signal", "sig": "SIGKILL"}, -signal.SIGKILL),
    ({"op": "signal", "sig": "SIGSEGV"}, -signal.SIGSEGV),
])
def test_a_crashed_worker_is_reported_with_its_exit_status(spawn, op, returncode):
    worker = spawn()
    with pytest.raises(WorkerExited) as err:
        worker.call(op, timeout=30)
    assert err.value.returncode == returncode == worker.returncode


def test_close_ends_the_entry_with_eof_and_a_clean_exit(spawn):
    worker = spawn()
    pid = worker.pid
    assert worker.close(grace=30) == 0
    assert not _alive(pid)


def test_a_worker_nobody_references_is_killed(bootstrap, tmp_path):
    worker = WorkerProcess(bootstrap, env={}, cwd=str(tmp_path))
    worker.receive(timeout=30)
    pid = worker.pid
    del worker
    gc.collect()
    assert _gone([pid])


@linux_only
def test_kill_takes_a_setsid_child_and_a_double_forked_daemon_with_it(spawn):
    worker = spawn()
    pids, _ = worker.call({"op": "spawn"}, timeout=30)
    tree = [worker.pid, pids["setsid"], pids["daemon"]]
    assert all(_alive(pid) for pid in tree)
    assert {p.pid for p in worker.descendants()} >= {pids["setsid"], pids["daemon"]}
    worker.kill()
    assert not any(_alive(pid) for pid in tree)  # kill() returns once the whole tree is dead


@linux_only
@pytest.mark.parametrize("ending", ["timeout", "crash", "close"])
def test_every_way_a_worker_ends_takes_its_escaped_descendants_with_it(spawn, ending):
    worker = spawn()
    pids, _ = worker.call({"op": "spawn"}, timeout=30)
    tree = [worker.pid, pids["setsid"], pids["daemon"]]
    if ending == "timeout":
        with pytest.raises(WorkerTimeout):
            worker.call({"op": "sleep", "s": 600}, timeout=0.5)
    elif ending == "crash":  # the entry process dies; the supervisor still holds its orphans
        with pytest.raises(WorkerExited):
            worker.call({"op": "exit", "code": 1}, timeout=30)
    else:
        worker.close(grace=30)
    assert not any(_alive(pid) for pid in tree)


@linux_only
def test_kill_descendants_spares_the_worker_and_the_given_processes(spawn):
    worker = spawn()
    first, _ = worker.call({"op": "spawn"}, timeout=30)
    spare = worker.descendants()
    second, _ = worker.call({"op": "spawn"}, timeout=30)
    assert worker.kill_descendants(spare=spare) == 2
    assert not _alive(second["setsid"]) and not _alive(second["daemon"])
    assert _alive(first["setsid"]) and _alive(first["daemon"]) and _alive(worker.pid)
    assert worker.call({"op": "echo", "n": 1}, timeout=30)[0] == {"n": 1}  # still serving
    assert worker.kill_descendants() == 2
    assert worker.descendants() == frozenset()


@linux_only
def test_the_tree_dies_when_the_parent_process_is_killed(bootstrap, tmp_path):
    """The endpoint killed with SIGKILL (labkit down escalating) leaves no worker behind."""
    script = (
        "import json, os, sys\n"
        "from lab_helpers.engines.platform.workers import WorkerProcess\n"
        f"w = WorkerProcess({bootstrap!r}, env={{'PATH': os.environ['PATH']}}, cwd={str(tmp_path)!r})\n"
        "w.receive(timeout=30)\n"
        "pids, _ = w.call({'op': 'spawn'}, timeout=30)\n"
        "w.send({'op': 'sleep', 's': 600})  # busy: it will not see the pipe close\n"
        "print(json.dumps([w.pid, pids['setsid'], pids['daemon']]), flush=True)\n"
        "sys.stdin.read()\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        tree = json.loads(parent.stdout.readline())
        assert all(_alive(pid) for pid in tree)
    finally:
        parent.kill()
        parent.wait()
    assert _gone(tree)  # the supervisor notices within a second
