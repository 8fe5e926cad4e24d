"""The job table: states, a bounded pool, cancel that reaches the work, shutdown that waits."""
from __future__ import annotations

import threading

import pytest

from lab_helpers.engines.platform.jobs import (CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED, Job, JobCancelled,
                                               JobTable)

WAIT = 10  # seconds: a bound for waits that normally end at once (never a timing assertion)


@pytest.fixture
def table():
    t = JobTable("test", workers=1)
    yield t
    t.shutdown(timeout=WAIT)


def test_a_job_runs_and_keeps_its_result(table):
    job = table.submit(lambda job: 42, kind="answer", colour="blue")
    assert job.wait(WAIT)
    assert (job.state, job.result, job.kind, job.meta) == (SUCCEEDED, 42, "answer", {"colour": "blue"})
    assert job.started is not None and job.completed >= job.started
    assert table.get(job.id) is job


def test_a_failing_job_ends_failed_with_its_error(table):
    def boom(job):
        raise ValueError("bad parameter")
    job = table.submit(boom)
    assert job.wait(WAIT)
    assert job.state == FAILED and job.error == "ValueError: bad parameter"
    again = table.submit(lambda job: "pool still works")
    assert again.wait(WAIT) and again.result == "pool still works"


def test_the_pool_is_bounded_and_a_queued_job_cancels_at_once(table):
    release = threading.Event()
    first = table.submit(lambda job: release.wait(WAIT))
    second = table.submit(lambda job: "ran")
    _until(lambda: first.state == RUNNING)
    assert second.state == QUEUED                    # one worker: the second waits
    table.cancel(second.id)
    assert second.state == CANCELLED and second.completed is not None
    release.set()
    assert first.wait(WAIT) and first.state == SUCCEEDED
    assert second.result is None                     # it never ran


def test_cancel_runs_the_hooks_the_work_registered(table):
    interrupted = threading.Event()

    def work(job):
        job.on_cancel(interrupted.set)               # e.g. a DuckDB connection's interrupt()
        interrupted.wait(WAIT)
        job.check_cancelled()
        return "not reached"
    job = table.submit(work)
    _until(lambda: job.state == RUNNING)
    table.cancel(job.id)
    assert job.wait(WAIT)
    assert job.state == CANCELLED and job.result is None and interrupted.is_set()


def test_a_hook_registered_after_cancel_runs_at_once():
    job = Job(id="j", kind="k")
    job.request_cancel()
    hit = []
    job.on_cancel(lambda: hit.append(1))
    assert hit == [1]
    with pytest.raises(JobCancelled):
        job.check_cancelled()


def test_shutdown_cancels_and_waits_for_running_work():
    table = JobTable("test", workers=2)
    finished = []

    def work(job):
        job.cancel_event.wait(WAIT)                  # runs until cancelled
        finished.append(job.id)                      # e.g. the last write of a crawl
    running = table.submit(work)
    _until(lambda: running.state == RUNNING)
    table.shutdown(timeout=WAIT)
    assert finished == [running.id]                  # shutdown returned only after the work ended
    assert running.state == CANCELLED
    with pytest.raises(RuntimeError, match="shut down"):
        table.submit(lambda job: None)


def _until(predicate, timeout: float = WAIT) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        done.wait(0.01)
    raise AssertionError("condition not reached")
