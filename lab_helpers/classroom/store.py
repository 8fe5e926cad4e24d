"""store: a learner's progress, as submitted to the class (one JSON file per learner, replaced on each submit).

``labkit submit`` writes it, and so does every check a learner runs in class mode
(LABKIT_CLASS_STORE set): the instructor's report is never more than one check behind. The file
holds the latest result of every check with how many times it failed since it last passed, quiz
scores per bank, practice exams and the time of the last activity — never quiz answers.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import tempfile
import time
from pathlib import Path

log = logging.getLogger("labkit.classroom")


def snapshot(progress, learner: str, workspace: str, lab_checks: dict[str, list[str]],
             bank_sizes: dict[str, int]) -> dict:
    """What a learner submits: per lab, each check's latest result and failures since its last pass."""
    checks: dict[tuple[str, str], dict] = {}
    last_activity = 0.0
    for row in progress.check_history(workspace=workspace):
        key = (row["lab"], row["check_id"])
        entry = checks.setdefault(key, {"attempts": 0, "fails_in_a_row": 0})
        entry["attempts"] += 1
        entry["fails_in_a_row"] = 0 if row["passed"] else entry["fails_in_a_row"] + 1
        entry.update(passed=bool(row["passed"]), points=row["points"], max_points=row["max_points"],
                     message=row["message"] or "", ts=row["ts"], origin=row["origin"])
        if row["origin"] == "learner":
            last_activity = max(last_activity, row["ts"])
    quiz = progress.latest_quiz()
    last_activity = max([last_activity] + [r["ts"] for r in quiz.values()])
    labs = {}
    for lab, ids in lab_checks.items():
        answered = [r for r in quiz.values() if r["bank"] == lab]
        labs[lab] = {
            "checks": {cid: checks[(lab, cid)] for cid in ids if (lab, cid) in checks},
            "checks_total": len(ids),
            "quiz": {"correct": sum(r["correct"] for r in answered), "answered": len(answered),
                     "total": bank_sizes.get(lab, 0)},
        }
    exams = [{"exam": e["exam"], "score": e["score"], "passed": bool(e["passed"]), "ts": e["ts"]}
             for e in progress.exams()]
    return {"learner": learner, "workspace": workspace, "submitted": time.time(),
            "last_activity": last_activity or None, "labs": labs, "exams": exams}


def write(store_dir: Path, learner: str, data: dict) -> Path:
    store_dir = Path(store_dir)
    store_dir.mkdir(parents=True, exist_ok=True)
    path = store_dir / f"{learner}.json"
    fd, tmp = tempfile.mkstemp(dir=store_dir, prefix=f".{learner}-")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)   # atomic: the report never reads half a file
    return path


def read_all(store_dir: Path) -> dict[str, dict]:
    out = {}
    for path in sorted(Path(store_dir).glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        out[data.get("learner") or path.stem] = data
    return out


@functools.lru_cache(maxsize=1)
def _lab_tables():
    from ..grading import bank, labs

    sizes: dict[str, int] = {}
    for q in bank.load_all().values():
        sizes[q.bank] = sizes.get(q.bank, 0) + 1
    return {lab.id: [c.id for c in lab.checks] for lab in labs.LABS}, sizes


def submit(settings, progress, workspace: str) -> Path:
    """Send this learner's progress to the class store (LABKIT_CLASS_STORE, as LABKIT_LEARNER)."""
    if settings.class_store is None or not settings.learner:
        raise ValueError("not in a class: LABKIT_CLASS_STORE and LABKIT_LEARNER are set by the env file "
                         "your instructor gave you (labkit class create writes one per learner)")
    lab_checks, sizes = _lab_tables()
    return write(settings.class_store, settings.learner,
                 snapshot(progress, settings.learner, workspace, lab_checks, sizes))


def submit_quietly(settings, progress, workspace: str) -> None:
    """After each check in class mode; a full disk or a missing share never breaks the learner's check."""
    if settings.class_store is None or not settings.learner:
        return
    try:
        submit(settings, progress, workspace)
    except Exception:  # noqa: BLE001
        log.exception("could not submit progress to the class store %s", settings.class_store)
