"""manifest: the workspace's resources that carry no tag (Glue databases and tables, budgets), recorded when created.

Teardown deletes a resource only when it can prove the workspace owns it: by the
``labkit:workspace=<guid>`` tag, or — for what AWS cannot tag — by an entry here, written at the
moment the kit (or a notebook, through the tagging hooks) created it. Entries are per target and
per workspace guid, in ``LABKIT_HOME/manifest.json``; writes are atomic and serialized with a
lock file, because several kernels of one workspace may record at once.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

try:  # POSIX; on Windows the lock is a no-op (one kernel at a time is the common case there)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

# What may be recorded, and the fields that identify one resource of that kind.
KINDS = {
    "glue_database": ("name",),
    "glue_table": ("database", "name"),
    "budget": ("name",),
}


class Manifest:
    def __init__(self, path: Path, target: str, guid: str):
        self.path = Path(path)
        self.target = target
        self.guid = guid

    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write(self, data: dict) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".manifest-")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.replace(tmp, self.path)

    def entries(self) -> list[dict]:
        return list(self._read().get(self.target, {}).get(self.guid, []))

    @staticmethod
    def _identity(entry: dict) -> tuple:
        return (entry["kind"], entry.get("region", "")) + tuple(entry.get(f, "") for f in KINDS[entry["kind"]])

    def record(self, kind: str, region: str = "", **fields) -> dict:
        """Remember that this workspace created the resource (idempotent)."""
        if kind not in KINDS:
            raise ValueError(f"unknown manifest kind {kind!r}; kinds are {', '.join(KINDS)}")
        missing = [f for f in KINDS[kind] if not fields.get(f)]
        if missing:
            raise ValueError(f"a {kind} entry needs {', '.join(missing)}")
        entry = {"kind": kind, "region": region, **{k: str(v) for k, v in fields.items()}, "recorded": time.time()}
        with self._locked():
            data = self._read()
            mine = data.setdefault(self.target, {}).setdefault(self.guid, [])
            if all(self._identity(e) != self._identity(entry) for e in mine):
                mine.append(entry)
                self._write(data)
        return entry

    def forget(self, entry: dict) -> None:
        with self._locked():
            data = self._read()
            mine = data.get(self.target, {}).get(self.guid, [])
            kept = [e for e in mine if self._identity(e) != self._identity(entry)]
            if len(kept) != len(mine):
                data[self.target][self.guid] = kept
                self._write(data)

    def owns(self, kind: str, region: str = "", **fields) -> bool:
        probe = {"kind": kind, "region": region, **fields}
        return any(self._identity(e) == self._identity(probe) for e in self.entries())


def for_workspace(settings, guid: str) -> Manifest:
    return Manifest(settings.home / "manifest.json", settings.target, guid)
