"""jobs: the job table every engine runs its asynchronous work on.

A ``JobTable`` owns one bounded thread pool and the jobs submitted to it. A job moves
QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED; the table sets those states itself, so an
engine's work function only does the work and raises ``JobCancelled`` (or returns) when it
sees ``job.cancelled``. ``cancel()`` really stops work: it sets the job's event and runs the
hooks the work registered with ``job.on_cancel`` (Athena interrupts its DuckDB cursor, a
crawler checks between folders). ``shutdown()`` — called when the endpoint is reset — cancels
everything and waits for in-flight jobs, so nothing writes into a freshly reset endpoint.

Engines get their table from the context: ``ctx.jobs("athena", workers=4)``. Service-specific
fields (an Athena query's text, a crawler's outcome) live in ``job.meta`` or in the engine's
own dataclass that holds the ``Job``.
"""
from __future__ import annotations

import concurrent.futures
import contextvars
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger("labkit.jobs")

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"
FINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})


class JobCancelled(Exception):
    """Raised inside a job's work when it notices it was cancelled."""


@dataclass
class Job:
    id: str
    kind: str
    submitted: float = field(default_factory=time.time)
    state: str = QUEUED
    started: float | None = None
    completed: float | None = None
    error: str = ""
    result: Any = None
    meta: dict = field(default_factory=dict)
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    done_event: threading.Event = field(default_factory=threading.Event, repr=False)
    _hooks: list = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    @property
    def done(self) -> bool:
        return self.state in FINAL

    def check_cancelled(self) -> None:
        """Call between units of work: raises JobCancelled once cancel() was requested."""
        if self.cancel_event.is_set():
            raise JobCancelled(self.id)

    def on_cancel(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Run ``hook`` when the job is cancelled (at once if it already is). Returns a remover."""
        with self._lock:
            already = self.cancel_event.is_set()
            if not already:
                self._hooks.append(hook)
        if already:
            _safely(hook)

        def remove() -> None:
            with self._lock:
                if hook in self._hooks:
                    self._hooks.remove(hook)
        return remove

    def request_cancel(self) -> None:
        with self._lock:
            self.cancel_event.set()
            hooks, self._hooks = list(self._hooks), []
        for hook in hooks:
            _safely(hook)

    def wait(self, timeout: float | None = None) -> bool:
        return self.done_event.wait(timeout)

    @property
    def elapsed_ms(self) -> int:
        if self.started is None:
            return 0
        return int(((self.completed or time.time()) - self.started) * 1000)


def _safely(hook: Callable[[], None]) -> None:
    try:
        hook()
    except Exception:   # noqa: BLE001 - a failing cancel hook must not stop the others
        log.exception("cancel hook failed")


class JobTable:
    """Jobs of one engine on a bounded pool. Thread-safe."""

    def __init__(self, name: str, workers: int = 4):
        self.name = name
        self.workers = workers
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix=f"{name}-job")
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._lock = threading.Lock()
        self._closed = False

    # -- submit and run --------------------------------------------------------------------------
    def submit(self, work: Callable[[Job], Any], *, kind: str = "", job_id: str | None = None,
               job: Job | None = None, **meta) -> Job:
        """Queue ``work(job)``. Its return value becomes ``job.result``; raising ``JobCancelled``
        ends it CANCELLED, any other exception FAILED (``job.error`` holds the text). The work may
        set ``job.state`` to a final state itself (e.g. CANCELLED for a limit it enforces)."""
        job = job or Job(id=job_id or str(uuid.uuid4()), kind=kind or self.name, meta=dict(meta))
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the {self.name} job table is shut down")
            self._jobs[job.id] = job
            self._order.append(job.id)
        # The job runs in the submitter's context: the account it acts in (endpoint/moto/accounts.py).
        self._pool.submit(contextvars.copy_context().run, self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            if job.cancelled:
                job.state = CANCELLED
                return
            job.state, job.started = RUNNING, time.time()
            result = work(job)
            job.result = result if result is not None else job.result
            if job.state not in FINAL:
                job.state = CANCELLED if job.cancelled else SUCCEEDED
        except JobCancelled:
            job.state = CANCELLED
        except Exception as exc:  # noqa: BLE001 - a job ends in a state; it never kills the pool
            log.exception("%s job %s failed", self.name, job.id)
            job.error = job.error or f"{type(exc).__name__}: {exc}"
            job.state = FAILED
        finally:
            job.completed = job.completed or time.time()
            job.done_event.set()

    # -- look up ---------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self, newest_first: bool = False) -> list[Job]:
        with self._lock:
            ids = list(reversed(self._order)) if newest_first else list(self._order)
            return [self._jobs[i] for i in ids]

    # -- cancel and shut down --------------------------------------------------------------------
    def cancel(self, job_id: str) -> Job | None:
        job = self.get(job_id)
        if job is None:
            return None
        job.request_cancel()
        if job.state == QUEUED:   # never started: final at once, as a queued Athena query is
            job.state, job.completed = CANCELLED, time.time()
        return job

    def shutdown(self, timeout: float = 60.0) -> None:
        """Cancel every job and wait for the running ones (the endpoint reset calls this)."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            if not job.done:
                job.request_cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        for job in jobs:
            if job.state == QUEUED:
                job.state, job.completed = CANCELLED, job.completed or time.time()
        deadline = time.monotonic() + timeout
        for job in jobs:
            if job.started is not None and not job.done_event.is_set():
                if not job.wait(max(0.0, deadline - time.monotonic())):
                    log.warning("%s job %s did not stop within %.0f s of the reset", self.name, job.id, timeout)
        self._pool.shutdown(wait=True)
