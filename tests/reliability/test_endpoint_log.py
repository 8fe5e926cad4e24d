"""The endpoint's log is rotated and bounded, and a failure is one short entry (issue 11.6, log part).

Before: the daemon's stdout/stderr were appended to LABKIT_HOME/endpoint.log forever, and every
failing request (a deeply nested SQL statement) appended a ~200 KB traceback to it."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import time
import traceback
from pathlib import Path

import boto3

from lab_helpers.endpoint import logs
from tests.reliability.support import endpoint_pids, labkit_env, run_labkit
from tests.support import free_port

REPO = Path(__file__).resolve().parents[2]


def _deep_recursion_error() -> BaseException:
    """A RecursionError through two alternating frames (Python's "[Previous line repeated]"
    compression does not shorten it), like a recursive-descent SQL parser's."""
    def a(n):
        return b(n + 1)

    def b(n):
        return a(n + 1)

    try:
        a(0)
    except RecursionError as exc:
        return exc
    raise AssertionError("no RecursionError")


def test_a_failure_is_one_line_naming_the_error_and_a_truncated_traceback():
    exc = _deep_recursion_error()
    full = "".join(traceback.format_exception(exc))
    assert len(full) > 100_000                       # what used to land in the log
    record = logging.LogRecord("labkit.gateway", logging.ERROR, __file__, 1, "engine failed on %s",
                               ("athena:StartQueryExecution",), (type(exc), exc, exc.__traceback__))
    text = logs.BoundedFormatter(logs.FORMAT).format(record)
    first, *rest = text.splitlines()
    assert "engine failed on athena:StartQueryExecution [RecursionError: maximum recursion depth exceeded" in first
    assert len(text) < 6_000 and len(rest) <= logs.TRACEBACK_HEAD + logs.TRACEBACK_TAIL + 1
    assert any("traceback lines omitted" in line for line in rest)
    assert rest[-1].startswith("RecursionError")      # the tail, where it failed, is kept


def test_a_long_message_without_an_exception_stays_one_clipped_line():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("line\n" * 10_000,), None)
    text = logs.BoundedFormatter(logs.FORMAT).format(record)
    assert "\n" not in text and len(text) < 3_000


def test_log_rotates_within_its_bound_and_takes_in_stdout_stderr_and_children(tmp_path):
    logfile = tmp_path / "endpoint.log"
    script = textwrap.dedent(f"""
        import logging, os, subprocess, sys
        from pathlib import Path
        from lab_helpers.endpoint import logs
        logs.configure(Path({str(logfile)!r}), max_bytes=20_000, backups=2)
        for i in range(3000):
            logging.getLogger("labkit.test").info("record %d %s", i, "x" * 40)
            print("stdout line", i, flush=True)
            os.write(2, b"stderr line %d\\n" % i)
        subprocess.run(["sh", "-c", "echo a child process printed this"], check=True)
        print("last words", flush=True)
        raise SystemExit(0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""          # nothing escaped to the real stdout/stderr
    files = sorted(tmp_path.glob("endpoint.log*"))
    assert [f.name for f in files] == ["endpoint.log", "endpoint.log.1", "endpoint.log.2"]
    assert all(f.stat().st_size <= 20_000 for f in files)
    text = logfile.read_text()
    assert "a child process printed this" in text and "last words" in text
    assert "stdout line 2999" in text + files[1].read_text() + files[2].read_text()


def test_daemon_output_goes_to_the_rotated_log_and_a_deep_sql_failure_stays_small(tmp_path):
    home, port = tmp_path / "ws", free_port()
    env = labkit_env(home, port)
    try:
        up = run_labkit(["up", "--no-data"], env)
        assert up.returncode == 0, up.stdout + up.stderr
        pid = int((home / "endpoint.pid").read_text())
        for fd in (1, 2):   # the daemon's stdout/stderr are the log's pipe, not an ever-growing file
            assert os.readlink(f"/proc/{pid}/fd/{fd}").startswith("pipe:")
        log = home / "endpoint.log"
        assert "labkit endpoint listening" in log.read_text()
        before = log.stat().st_size
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
        s3 = session.client("s3", endpoint_url=f"http://127.0.0.1:{port}")
        s3.create_bucket(Bucket="deep-sql-results")
        athena = session.client("athena", endpoint_url=f"http://127.0.0.1:{port}")
        deep = "SELECT " + "(" * 400 + "1" + ")" * 400
        try:
            qid = athena.start_query_execution(QueryString=deep, ResultConfiguration={
                "OutputLocation": "s3://deep-sql-results/"})["QueryExecutionId"]
            for _ in range(100):
                state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
                if state not in ("QUEUED", "RUNNING"):
                    break
                time.sleep(0.1)
        except athena.exceptions.InvalidRequestException:
            pass                      # refused at submission (issue 11.6's other half): fine too
        grown = log.read_text()[before:] if log.stat().st_size >= before else log.read_text()
        assert len(grown) < 20_000, f"the log grew by {len(grown)} characters for one failing query"
        assert " HTTP/1.1\" 200" not in grown, "a line per request (werkzeug's access log) in the endpoint log"
        assert max(map(len, grown.splitlines() or [""])) <= 4 * logs.MAX_LINE + 200
    finally:
        run_labkit(["down"], env, timeout=60)
        for pid in endpoint_pids(home):
            os.kill(pid, 9)
