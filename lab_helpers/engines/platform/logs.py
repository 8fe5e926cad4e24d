"""logs: CloudWatch Logs writing for engines (crawler runs, Lambda invocations, training jobs).

``ctx.logs(region).write(group, stream, lines)`` creates the group and the stream when they do
not exist (again if a learner deleted them meanwhile) and appends the lines as events in the
order given, with non-decreasing timestamps, in batches of at most 1,000 events (the
PutLogEvents limit). Writing logs never fails the work it describes: callers that must not
fail use ``write_quietly``.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Iterable

log = logging.getLogger("labkit.logs")
MAX_BATCH = 1000


class LogWriter:
    def __init__(self, client_factory):
        self._client = client_factory          # () -> boto3 logs client of the endpoint itself
        self._known: set[tuple[str, str]] = set()
        self._last_ms: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def write(self, group: str, stream: str, lines: Iterable[str] | str, timestamp_ms: int | None = None) -> int:
        """Append ``lines`` (a list, or a text split on newlines) to group/stream; returns events written."""
        if isinstance(lines, str):
            lines = lines.rstrip("\n").split("\n")
        messages = [line for line in lines if line.strip()]
        if not messages:
            return 0
        key = (group, stream)
        with self._lock:   # one writer per stream at a time keeps the events in order
            now = max(timestamp_ms or int(time.time() * 1000), self._last_ms.get(key, 0))
            self._last_ms[key] = now
            events = [{"timestamp": now, "message": m} for m in messages]
            logs = self._client()
            if key not in self._known:
                self._ensure(logs, group, stream)
            try:
                self._put(logs, group, stream, events)
            except logs.exceptions.ResourceNotFoundException:   # deleted meanwhile: create it again
                self._ensure(logs, group, stream)
                self._put(logs, group, stream, events)
        return len(events)

    def write_quietly(self, group: str, stream: str, lines: Iterable[str] | str) -> int:
        try:
            return self.write(group, stream, lines)
        except Exception:   # noqa: BLE001 - logging never turns finished work into an error
            log.exception("could not write CloudWatch logs to %s %s", group, stream)
            return 0

    def _ensure(self, logs, group: str, stream: str) -> None:
        try:
            logs.create_log_group(logGroupName=group)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        try:
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        self._known.add((group, stream))

    @staticmethod
    def _put(logs, group: str, stream: str, events: list[dict]) -> None:
        for i in range(0, len(events), MAX_BATCH):
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i:i + MAX_BATCH])
