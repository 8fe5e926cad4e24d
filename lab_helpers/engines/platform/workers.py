"""Worker processes: a Python child serving many calls over a pipe, killed with its whole process tree.

Shared by engines that run user code out of process (Lambda execution environments; SageMaker
training and serving). The parent makes a ``WorkerProcess``; the child runs this file as its main
program (standard library only: neither the kit nor site-packages need be importable there), loads
a *bootstrap* file and calls ``<entry>(channel)``. The bootstrap decides what messages mean; this
module moves them, bounds every wait, streams the child's output and kills.

Frames, both ways: a 13-byte header (kind: 1 byte; seq, JSON length, data length: 4 bytes each,
big-endian), a JSON object, raw bytes. The child's first frame is HELLO (the entry process's pid),
then the entry's messages; on Linux the last one is EXIT (the entry process's exit status, sent by
the supervisor). EOF on the child's control pipe asks the entry to return.

Output: the child's fd 1 and 2 are one pipe whose lines reach ``on_output`` in order. Every
``Channel.send`` is a barrier: it flushes sys.stdout/stderr and writes a sync marker on that pipe,
and the parent returns the message only after what came before the marker reached ``on_output``.

Process trees (Linux): the child is a *supervisor*. It makes itself a child subreaper (prctl
PR_SET_CHILD_SUBREAPER) and forks the process that runs the entry, so every process the entry starts
stays below it whatever it does: setsid() keeps the parent, and orphans of a double fork re-parent to
the nearest subreaper. The supervisor outlives a crash of the entry process (os._exit, a signal),
kills what is left below itself, sends EXIT and exits; it does the same when the parent process
dies (checked every second) or on SIGTERM, SIGINT or SIGHUP. ``kill()`` walks
/proc/<pid>/task/*/children from the supervisor and SIGKILLs every process below it, pass after
pass until none is left (a process that forked meanwhile is found on the next pass), then ends the
supervisor. Why not make the entry process the subreaper: when it crashes, its orphans re-parent
to init and nothing finds them any more.

Elsewhere (macOS, Windows) there is no supervisor: the child runs in its own session (POSIX) or
process group (Windows) and ``kill()`` kills that group (Windows: the process), so descendants that
left the group survive; ``descendants()`` is empty and ``kill_descendants()`` does nothing. On a
Linux that refuses the prctl, the walk starts at the entry process (orphans escape to init).
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import struct
import sys
import time
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence

if __name__ != "__main__":  # parent side only: the worker starts faster without them (subprocess
    import logging          # with selectors and locale cost more than the rest of this module)
    import queue
    import re
    import select
    import subprocess
    import threading
    import weakref

    log = logging.getLogger("labkit.workers")

_HEADER = struct.Struct(">BIII")  # kind, seq (0: no sync marker), JSON length, data length
_MESSAGE, _HELLO, _EXIT = 0, 1, 2
_SYNC = b"\x00LABKIT-SYNC "  # + token + b" <seq>\n" on the output pipe
_LINUX = sys.platform.startswith("linux")
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36
_KILL_PATIENCE_S = 5.0  # kill passes stop after this (a process in uninterruptible sleep)
_SYNC_PATIENCE_S = 5.0  # a message never waits longer for the output before it
_EOF = object()


class WorkerError(Exception):
    """The worker gave no answer."""


class WorkerTimeout(WorkerError):
    """No answer within the timeout; the worker's whole process tree has been killed."""

    def __init__(self, timeout: float | None, peak_rss_kb: int = 0):
        super().__init__(f"The worker process gave no answer within {timeout} s; its processes were killed.")
        self.timeout = timeout
        self.peak_rss_kb = peak_rss_kb  # the entry process's peak RSS just before the kill (Linux)


class WorkerExited(WorkerError):
    """The worker ended (exit, crash, kill) before answering; its whole process tree is gone."""

    def __init__(self, returncode: int | None):
        super().__init__(f"The worker process ended (exit status {returncode}) before answering.")
        self.returncode = returncode  # as Popen's: negative for a signal, None if unknown


# A process: its pid and start time in clock ticks after boot (/proc/<pid>/stat), which tells a
# reused pid apart. (A namedtuple, not typing.NamedTuple: typing is slow to import at every start.)
Proc = namedtuple("Proc", "pid start")


# -- parent side ------------------------------------------------------------------------------

class WorkerProcess:
    """One worker process (tree) seen from the parent. One caller at a time; kill() from any thread."""

    def __init__(self, bootstrap: str, entry: str = "main", *, env: Mapping[str, str], cwd: str,
                 on_output: Callable[[bytes], None] | None = None, python: str = sys.executable,
                 flags: Sequence[str] = ("-u",)):
        """Start ``python <flags> workers.py <bootstrap> <entry>`` with exactly ``env`` in ``cwd``.

        ``on_output(line)`` gets each line of the child's stdout and stderr (bytes, with its b"\\n"
        unless a barrier or the end cut it), from a reader thread."""
        token = os.urandom(8).hex()
        cmd = [python, *flags, os.path.abspath(__file__), os.path.abspath(bootstrap), entry, token]
        posix = os.name == "posix"
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, close_fds=True, start_new_session=posix,
            creationflags=0 if posix else getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
        if posix:  # writes wait in poll(), so a worker that stops reading cannot outlast a timeout
            os.set_blocking(proc.stdin.fileno(), False)
        self._s = _Shared(proc, token.encode(), on_output)
        for target in (_read_frames, _read_output):
            thread = threading.Thread(target=target, args=(self._s,), name=f"worker-{proc.pid}", daemon=True)
            thread.start()
            self._s.threads.append(thread)
        # Nothing outlives an unreferenced worker or the interpreter (finalize runs at exit too).
        weakref.finalize(self, _kill_tree, self._s)

    @property
    def pid(self) -> int | None:
        """The entry process (its os.getpid()); None until it said hello."""
        return self._s.pid

    @property
    def returncode(self) -> int | None:
        """The entry process's exit status once it ended (Popen style), else None."""
        if self._s.exit_code is not None:
            return self._s.exit_code
        return self._s.proc.poll()

    def send(self, message: dict, data: bytes = b"", *, timeout: float | None = None) -> None:
        """Send one message; raises WorkerTimeout or WorkerExited (the tree is killed then)."""
        self._send(message, data, _deadline(timeout), timeout)

    def receive(self, timeout: float | None = None) -> tuple[dict, bytes]:
        """The entry's next message and data; output written before it has reached on_output.

        Raises WorkerTimeout after ``timeout`` seconds and WorkerExited when the worker ended;
        either way its whole process tree has been killed."""
        return self._receive(_deadline(timeout), timeout)

    def call(self, message: dict, data: bytes = b"", *, timeout: float | None = None) -> tuple[dict, bytes]:
        """send() then receive(), both within one ``timeout``."""
        deadline = _deadline(timeout)
        self._send(message, data, deadline, timeout)
        return self._receive(deadline, timeout)

    def descendants(self) -> frozenset[Proc]:
        """The live processes the entry process started, directly or not (Linux; elsewhere empty)."""
        if not _LINUX or self._s.proc.poll() is not None:  # an ended pid may be someone else's now
            return frozenset()
        return frozenset(p for p in _descendants(self._s.proc.pid) if p.pid != self._s.pid)

    def kill_descendants(self, spare: frozenset[Proc] = frozenset()) -> int:
        """SIGKILL every descendant() not in ``spare``; the entry process lives on. Returns the count.

        Processes killed this way that were the entry process's children stay zombies until it
        reaps them (subprocess does on its next Popen); they no longer run."""
        if not _LINUX or self._s.pid is None or self._s.proc.poll() is not None:
            return 0
        return _kill_below(self._s.proc.pid, keep=frozenset({self._s.pid}), spare=spare)

    def peak_rss_kb(self) -> int:
        """The entry process's peak resident set size so far (VmHWM; Linux, else 0)."""
        try:
            with open(f"/proc/{self._s.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def kill(self) -> None:
        """SIGKILL the whole process tree and wait for it; all its output reaches on_output first."""
        _kill_tree(self._s)

    def close(self, grace: float = 5.0) -> int | None:
        """Shut down: EOF to the entry, up to ``grace`` seconds to return, then kill() whatever is left."""
        try:
            self._s.proc.stdin.close()
        except OSError:
            pass
        if grace > 0:
            try:
                self._s.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return self.returncode

    # -- internals -------------------------------------------------------------------------

    def _send(self, message: dict, data: bytes, deadline: float | None, timeout: float | None) -> None:
        try:
            fd = self._s.proc.stdin.fileno()
            view = memoryview(_frame(_MESSAGE, 0, message, data))
            poller = select.poll() if hasattr(select, "poll") and os.name == "posix" else None
            if poller is not None:
                poller.register(fd, select.POLLOUT)
            while view:
                if poller is not None and not poller.poll(_poll_ms(deadline)):
                    if _expired(deadline):
                        self._timed_out(timeout)
                    continue
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    pass
        except (OSError, ValueError):  # the worker closed the pipe (ended), or we did
            self._ended(deadline, timeout)

    def _receive(self, deadline: float | None, timeout: float | None) -> tuple[dict, bytes]:
        s = self._s
        while True:
            try:
                item = s.frames.get(timeout=min(_poll_ms(deadline, 500), 500) / 1000)
            except queue.Empty:
                if _expired(deadline):
                    self._timed_out(timeout)
                if s.proc.poll() is None:
                    continue
                # Ended, while a process it forked (without exec) may still hold the pipe open.
                s.threads[0].join(0.2)
                try:
                    item = s.frames.get_nowait()
                except queue.Empty:
                    item = _EOF
            if item is _EOF:
                s.frames.put(_EOF)  # every later receive() sees the end too
                self._ended(deadline, timeout)
            seq, message, data = item
            if seq:
                with s.cond:
                    s.cond.wait_for(lambda seq=seq: s.synced >= seq or s.output_done, _SYNC_PATIENCE_S)
            return message, data

    def _timed_out(self, timeout: float | None):
        peak = self.peak_rss_kb()
        self.kill()
        raise WorkerTimeout(timeout, peak)

    def _ended(self, deadline: float | None, timeout: float | None):
        """The worker is ending: wait for its exit status until the deadline, clean up, raise."""
        wait = None if deadline is None else max(deadline - time.monotonic(), 0.01)
        try:
            self._s.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self._timed_out(timeout)
        self.kill()
        raise WorkerExited(self.returncode)


class _Shared:
    """State of one worker shared with its reader threads and finalizer (never the WorkerProcess
    itself, which may then be garbage collected)."""

    def __init__(self, proc: subprocess.Popen, token: bytes, on_output):
        self.proc, self.token, self.on_output = proc, token, on_output
        self.frames: queue.Queue = queue.Queue()
        self.cond = threading.Condition()
        self.synced = 0  # the last sync marker seen on the output pipe
        self.output_done = False
        self.pid: int | None = None
        self.supervised = False
        self.exit_code: int | None = None
        self.kill_lock = threading.Lock()
        self.killed = False
        self.threads: list[threading.Thread] = []


def _read_frames(s: _Shared) -> None:
    stream = s.proc.stdout
    try:
        while True:
            header = stream.read(_HEADER.size)
            if len(header) < _HEADER.size:
                break
            kind, seq, size, data_size = _HEADER.unpack(header)
            body, data = stream.read(size), stream.read(data_size)
            if len(body) < size or len(data) < data_size:
                break
            message = json.loads(body)
            if kind == _HELLO:
                s.pid, s.supervised = message["pid"], message["supervised"]
            elif kind == _EXIT:
                s.exit_code = message["returncode"]
            else:
                s.frames.put((seq, message, data))
    except (OSError, ValueError):
        pass
    s.frames.put(_EOF)


def _read_output(s: _Shared) -> None:
    marker = re.compile(re.escape(_SYNC + s.token) + rb" (\d+)\n\Z")
    try:
        for line in s.proc.stderr:
            found = marker.search(line) if _SYNC in line else None
            if found is None:
                _emit(s, line)
                continue
            _emit(s, line[:found.start()])  # a partial line the barrier cut
            with s.cond:
                s.synced = max(s.synced, int(found.group(1)))
                s.cond.notify_all()
    except (OSError, ValueError):
        pass
    with s.cond:
        s.output_done = True
        s.cond.notify_all()


def _emit(s: _Shared, line: bytes) -> None:
    if line and s.on_output is not None:
        try:
            s.on_output(line)
        except Exception:  # a faulty callback must not stop the pipe being drained
            log.exception("worker output callback failed")


def _kill_tree(s: _Shared) -> None:
    with s.kill_lock:
        if not s.killed:
            s.killed = True
            proc = s.proc
            if _LINUX and proc.poll() is None:  # once reaped, its pid may be someone else's
                _kill_below(proc.pid)
                if s.supervised:  # its worker is dead: it reaps, reports EXIT and exits at once
                    try:
                        proc.wait(0.5)
                    except subprocess.TimeoutExpired:
                        pass
            if proc.poll() is None:
                try:
                    if os.name == "posix":
                        os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group is its pid
                    else:
                        proc.kill()
                except OSError:
                    pass
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    log.warning("worker process %s did not end after SIGKILL", proc.pid)
            try:
                proc.stdin.close()
            except OSError:
                pass
    for thread in s.threads:  # the output is drained once every writer is gone (processes that
        if thread is not threading.current_thread():  # escaped the group elsewhere may keep it open)
            thread.join(2)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + max(timeout, 0.0)


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _poll_ms(deadline: float | None, default: int = -1) -> int:
    if deadline is None:
        return default
    return max(int((deadline - time.monotonic()) * 1000 + 0.999), 0)


# -- process trees (/proc) ---------------------------------------------------------------------

def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start ticks) of a process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        fields = data[data.rindex(b")") + 2:].split()  # the command name may hold spaces and ')'
        return fields[0].decode(), int(fields[1]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    pids: list[bytes] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tids:  # each thread has its own children (the forks it made)
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                pids += f.read().split()
        except OSError:
            pass
    return [int(p) for p in pids]


def _children_by_scan():
    """For kernels without CONFIG_PROC_CHILDREN: one scan of /proc/*/stat per walk."""
    table: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = _stat(int(name))
            if info is not None:
                table.setdefault(info[1], []).append(int(name))
    return lambda pid: table.get(pid, [])


def _descendants(root: int) -> list[Proc]:
    """Every live (not zombie) process below root."""
    children = _children if os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children") \
        else _children_by_scan()
    found, todo = [], [root]
    while todo:
        for pid in children(todo.pop()):
            info = _stat(pid)
            if info is not None and info[0] not in "ZXx":  # a zombie has no children left either
                found.append(Proc(pid, info[2]))
                todo.append(pid)
    return found


def _kill_below(root: int, keep: frozenset[int] = frozenset(), spare: frozenset[Proc] = frozenset()) -> int:
    """SIGKILL every live process below root except ``keep`` (pids, walked through) and ``spare``,
    pass after pass until none is left. Returns how many were killed."""
    signalled: set[Proc] = set()
    give_up = time.monotonic() + _KILL_PATIENCE_S
    while True:
        doomed = [p for p in _descendants(root) if p.pid not in keep and p not in spare]
        if not doomed or time.monotonic() > give_up:
            return len(signalled)
        if signalled.issuperset(doomed):
            time.sleep(0.001)  # all signalled already, still exiting
        for proc in doomed:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            signalled.add(proc)


# -- worker side (runs in the child) -----------------------------------------------------------

class Channel:
    """The worker's end of the pipe, handed to the bootstrap's entry. One thread at a time."""

    def __init__(self, control_in: int, control_out: int, log_fd: int, token: bytes):
        self._in = os.fdopen(control_in, "rb")
        self._out, self._log, self._token = control_out, log_fd, token
        self._seq = 0

    def receive(self) -> tuple[dict, bytes] | None:
        """The parent's next message and data; None once the parent closed the pipe (shut down)."""
        header = self._in.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return None
        _, _, size, data_size = _HEADER.unpack(header)
        body, data = self._in.read(size), self._in.read(data_size)
        if len(body) < size or len(data) < data_size:
            return None
        return json.loads(body), data

    def __iter__(self) -> Iterator[tuple[dict, bytes]]:
        while (item := self.receive()) is not None:
            yield item

    def send(self, message: dict, data: bytes = b"") -> None:
        """Answer; the output written so far reaches the parent's on_output before this message."""
        self._seq += 1
        seq = self._seq
        _flush_stdio()
        try:
            _write_all(self._log, _SYNC + self._token + b" %d\n" % seq)
        except OSError:  # nothing reads the output any more: do not make the parent wait for it
            seq = 0
        _write_all(self._out, _frame(_MESSAGE, seq, message, data))


def _frame(kind: int, seq: int, message: dict, data: bytes = b"") -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return _HEADER.pack(kind, seq, len(body), len(data)) + body + bytes(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # replaced or closed by user code
            pass


def _prctl(option: int, value: int) -> bool:
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap(child: int) -> int | None:
    """Reap every ended child; the entry process's exit status if it was among them."""
    status = None
    while True:
        try:
            pid, raw = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return status
        if pid == 0:
            return status
        if pid == child:
            status = os.waitstatus_to_exitcode(raw)


def _supervise(child: int, control_out: int, waited: set) -> None:
    parent = os.getppid()
    status = None
    while status is None:
        info = signal.sigtimedwait(waited, 1.0)
        status = _reap(child)
        if (info is not None and info.si_signo != signal.SIGCHLD) or os.getppid() != parent:
            break  # asked to stop, or the parent died (it could not close the pipe in time)
    _kill_below(os.getpid())
    late = _reap(child)
    try:
        _write_all(control_out, _frame(_EXIT, 0, {"returncode": late if status is None else status}))
    except OSError:
        pass
    os._exit(0)


def _worker_main(argv: list[str]) -> None:
    bootstrap, entry, token = argv[1], argv[2], argv[3].encode()
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]  # no `import workers`
    # The protocol moves to private descriptors (os.dup: not inheritable, so processes the entry
    # starts cannot hold them); fd 0 reads nothing, fd 1 and 2 are the output pipe.
    control_in, control_out, log_fd = os.dup(0), os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    supervised = _LINUX and _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    if supervised:
        waited = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
        signal.pthread_sigmask(signal.SIG_BLOCK, waited)  # before fork: no SIGCHLD can be missed
        supervisor = os.getpid()
        child = os.fork()
        if child:
            os.close(control_in)
            os.close(log_fd)
            _supervise(child, control_out, waited)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, waited)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # the supervisor is single-threaded: safe here
        if os.getppid() != supervisor:
            os._exit(1)
    channel = Channel(control_in, control_out, log_fd, token)
    _write_all(control_out, _frame(_HELLO, 0, {"pid": os.getpid(), "supervised": supervised}))
    spec = importlib.util.spec_from_file_location("_worker_bootstrap", bootstrap)
    module = importlib.util.module_from_spec(spec)
    sys.argv = [bootstrap]
    spec.loader.exec_module(module)
    getattr(module, entry)(channel)
    _flush_stdio()
    os._exit(0)  # no waiting for threads the entry left behind


if __name__ == "__main__":
    _worker_main(sys.argv)
