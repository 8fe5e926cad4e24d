"""streamlog: a worker's output lines written to one CloudWatch Logs stream in small batches."""
from __future__ import annotations

import threading
import time


class StreamLog:
    """Lines for ``group``/``stream``; written at most every ``interval`` seconds and on ``flush()``.

    ``line`` is a worker's ``on_output`` callback (bytes from its reader thread) and also takes text.
    Writing never fails the work it describes (``write_quietly``)."""

    def __init__(self, writer, group: str, stream: str, interval: float = 0.5):
        self.writer, self.group, self.stream, self.interval = writer, group, stream, interval
        self._pending: list[str] = []
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()   # one write at a time keeps the stream in order
        self.lines: list[str] = []         # everything written, for tests and failure reasons

    def line(self, raw) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        with self._lock:
            for part in text.rstrip("\n").split("\n"):
                if part.strip():
                    self._pending.append(part.rstrip("\r"))
            due = time.monotonic() - self._last >= self.interval
        if due:
            self.flush()

    def write(self, *lines: str) -> None:
        for text in lines:
            self.line(text)

    def flush(self) -> None:
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, []
                self._last = time.monotonic()
            if pending:
                self.lines.extend(pending)
                self.writer.write_quietly(self.group, self.stream, pending)
