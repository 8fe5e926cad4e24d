"""Private working copies of the learner notebooks: made from labs/, never overwritten, out of git.

labs/ is generated and tracked, so a learner who typed into it would conflict with the next
`git pull`. `make lab` therefore opens my-labs/ (ignored by git): `sync()` copies each notebook of
labs/ that has no copy yet and leaves every existing copy alone, saying which ones have a newer
version in labs/. `fresh(lab)` gives one lab a new copy and keeps the old one under
my-labs/backups/ — nothing a learner wrote is ever deleted.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..config import REPO_ROOT
from .build import LABS

WORK = REPO_ROOT / "my-labs"
BACKUPS = "backups"


class WorkCopyError(ValueError):
    """No such lab in labs/ (the message lists the labs there are)."""


@dataclass
class SyncReport:
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    newer_in_labs: list[str] = field(default_factory=list)   # kept copies whose labs/ source changed since


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy(src: Path, dest: Path) -> None:
    """Copy a lab notebook and note in its metadata where it came from (and which version)."""
    nb = json.loads(src.read_text())
    nb.setdefault("metadata", {})["labkit"] = {
        "working_copy_of": f"labs/{src.name}", "source_sha256": _digest(src),
        "copied": time.strftime("%Y-%m-%d %H:%M:%S"),
        "note": f"Your own copy: edit freely. `labkit fresh {src.stem}` gives you a new one "
                f"(this one is then kept in {BACKUPS}/)."}
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".ipynb.tmp")
    tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    tmp.replace(dest)


def _source_digest(copy: Path) -> str | None:
    try:
        return json.loads(copy.read_text())["metadata"]["labkit"]["source_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def sync(work: Path = WORK, labs: Path = LABS) -> SyncReport:
    """Copy every labs/ notebook that has no working copy yet; never touch an existing copy."""
    report = SyncReport()
    for src in sorted(Path(labs).glob("*.ipynb")):
        dest = Path(work) / src.name
        if dest.exists():
            report.kept.append(src.stem)
            if _source_digest(dest) not in (None, _digest(src)):
                report.newer_in_labs.append(src.stem)
            continue
        _copy(src, dest)
        report.copied.append(src.stem)
    return report


def fresh(lab_id: str, work: Path = WORK, labs: Path = LABS) -> tuple[Path, Path | None]:
    """A new copy of one lab from labs/; the learner's old copy moves to backups/ (returned)."""
    stem = Path(lab_id).stem
    src = Path(labs) / f"{stem}.ipynb"
    if not src.exists():
        have = ", ".join(p.stem for p in sorted(Path(labs).glob("*.ipynb")))
        raise WorkCopyError(f"no lab {lab_id!r} in {labs}; labs are: {have}")
    dest = Path(work) / src.name
    backup = None
    if dest.exists():
        backup = Path(work) / BACKUPS / f"{stem}.{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
        n = 1
        while backup.exists():
            backup = backup.with_name(f"{stem}.{time.strftime('%Y%m%d-%H%M%S')}-{n}.ipynb")
            n += 1
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(dest), str(backup))
    _copy(src, dest)
    return dest, backup
