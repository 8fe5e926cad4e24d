"""logs: the endpoint daemon's log file, rotated and bounded, with one short entry per failure.

Everything the daemon prints ends up in one rotated file: logging records, and (through a pipe
read by a thread) whatever anything writes to file descriptors 1 and 2: print(), warnings,
threads' uncaught exceptions, the output of child processes. A failure is logged as one line
naming the exception, then a traceback cut to its first and last frames: a deeply nested SQL
statement used to put a 200 KB RecursionError traceback in the log on every try.
"""
from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import sys
import threading
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024     # per file; with BACKUPS the log never passes 20 MiB
BACKUPS = 3
TRACEBACK_HEAD = 6              # lines kept from the top of a traceback (where it entered our code)
TRACEBACK_TAIL = 14             # and from the bottom (where it failed)
MAX_LINE = 500                  # characters of any one line of a record
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class BoundedFormatter(logging.Formatter):
    """One line per record (the exception's type and message appended), then at most
    TRACEBACK_HEAD + TRACEBACK_TAIL traceback lines of at most MAX_LINE characters."""

    def format(self, record: logging.LogRecord) -> str:
        exc_info, record.exc_info, record.exc_text = record.exc_info, None, None
        stack_info, record.stack_info = record.stack_info, None
        try:
            line = _clip(" ".join(super().format(record).split("\n")), MAX_LINE * 4)
        finally:
            record.exc_info, record.stack_info = exc_info, stack_info
        if exc_info and exc_info[1] is not None:
            exc = exc_info[1]
            line += f" [{type(exc).__name__}: {_clip(' '.join(str(exc).split()), MAX_LINE)}]"
            line += "\n" + self.formatException(exc_info)
        return line

    def formatException(self, exc_info) -> str:
        return truncate_traceback(super().formatException(exc_info))


def truncate_traceback(text: str, head: int = TRACEBACK_HEAD, tail: int = TRACEBACK_TAIL) -> str:
    lines = [_clip(line, MAX_LINE) for line in text.splitlines()]
    if len(lines) > head + tail + 1:
        lines = lines[:head] + [f"  ... {len(lines) - head - tail} traceback lines omitted ..."] + lines[-tail:]
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def quiet_request_log() -> None:
    """No line per request from werkzeug's server (its access log): a lab makes thousands of calls,
    each line cost the request ~5 % of its time and pushed the log's useful lines out of rotation.
    Its warnings and errors still reach the log."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def configure(logfile: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
    """Send the process's logging and its stdout/stderr to ``logfile``, rotated at ``max_bytes``
    with ``backups`` old files. For the daemon only: it takes over file descriptors 1 and 2."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(logfile, maxBytes=max_bytes, backupCount=backups,
                                                   encoding="utf-8")
    handler.setFormatter(BoundedFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    quiet_request_log()
    logging.raiseExceptions = False     # a failing handler must not print (into the pipe it reads)
    logging.captureWarnings(True)
    crashed = logging.getLogger("labkit.crash")
    # Uncaught exceptions are written by the handler itself, at once: the pipe below is read by a
    # thread that may not get to run again when the main thread dies (a port taken at start-up).
    sys.excepthook = lambda kind, exc, tb: crashed.critical("the endpoint stopped", exc_info=(kind, exc, tb))
    threading.excepthook = lambda args: crashed.error(
        "thread %s failed", getattr(args.thread, "name", "?"),
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
    _capture_std_streams(logging.getLogger("labkit.output"))


def _capture_std_streams(logger: logging.Logger) -> None:
    """fds 1 and 2 become a pipe whose lines are logged (each clipped): nothing the process or
    its children print reaches a file that is not rotated."""
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 1)
    os.dup2(write_fd, 2)
    os.close(write_fd)

    def pump():
        with os.fdopen(read_fd, "rb") as pipe:
            for raw in pipe:
                text = raw.decode("utf-8", "replace").rstrip()
                if text:
                    logger.info("%s", _clip(text, MAX_LINE))

    thread = threading.Thread(target=pump, name="labkit-log-pump", daemon=True)
    thread.start()

    def drain():   # at exit: close our ends so the pump reads what is left (children may keep it open)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        for fd in (1, 2):
            try:
                os.close(fd)
            except OSError:
                pass
        thread.join(timeout=1.0)

    atexit.register(drain)
