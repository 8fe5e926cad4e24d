"""The progress store: every check and quiz attempt in SQLite in the workspace dir, and reports."""
from __future__ import annotations

import html
import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
  id INTEGER PRIMARY KEY, ts REAL NOT NULL, target TEXT, workspace TEXT, lab TEXT NOT NULL,
  check_id TEXT NOT NULL, passed INTEGER NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL,
  message TEXT, origin TEXT NOT NULL DEFAULT 'learner');
CREATE TABLE IF NOT EXISTS quiz (
  id INTEGER PRIMARY KEY, ts REAL NOT NULL, bank TEXT NOT NULL, question_id TEXT NOT NULL, exam TEXT,
  domain INTEGER, correct INTEGER NOT NULL, answer TEXT, origin TEXT NOT NULL DEFAULT 'learner');
CREATE TABLE IF NOT EXISTS exams (
  id INTEGER PRIMARY KEY, ts REAL NOT NULL, exam TEXT NOT NULL, score INTEGER NOT NULL, passed INTEGER NOT NULL,
  detail TEXT NOT NULL);
"""


class ProgressStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con, con:
            con.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10)
        con.row_factory = sqlite3.Row
        return con

    def record_check(self, lab: str, result, *, target: str = "", workspace: str = "", origin: str = "learner"):
        with closing(self._connect()) as con, con:
            con.execute(
                "INSERT INTO checks (ts, target, workspace, lab, check_id, passed, points, max_points, message, origin)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (time.time(), target, workspace, lab, result.check_id, int(result.passed), result.points,
                 result.max_points, result.message, origin))

    def record_quiz(self, bank: str, qresult, *, origin: str = "learner"):
        q = qresult.question
        with closing(self._connect()) as con, con:
            con.execute(
                "INSERT INTO quiz (ts, bank, question_id, exam, domain, correct, answer, origin) VALUES (?,?,?,?,?,?,?,?)",
                (time.time(), bank, q.id, q.exam, q.domain, int(qresult.correct), json.dumps(qresult.given), origin))

    def record_exam(self, exam: str, score: int, passed: bool, detail: dict):
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO exams (ts, exam, score, passed, detail) VALUES (?,?,?,?,?)",
                        (time.time(), exam, score, int(passed), json.dumps(detail)))

    def latest_checks(self, lab: str | None = None, workspace: str | None = None) -> dict[tuple[str, str], dict]:
        sql = "SELECT * FROM checks" + (" WHERE lab = ?" if lab else "") + " ORDER BY id"
        with closing(self._connect()) as con:
            rows = con.execute(sql, (lab,) if lab else ()).fetchall()
        out = {}
        for row in rows:
            if workspace and row["workspace"] and row["workspace"] != workspace:
                continue
            out[(row["lab"], row["check_id"])] = dict(row)
        return out

    def check_history(self, workspace: str | None = None) -> list[dict]:
        """Every check attempt in order (class mode counts the failures since the last pass)."""
        with closing(self._connect()) as con:
            rows = con.execute("SELECT * FROM checks ORDER BY id").fetchall()
        return [dict(r) for r in rows if not (workspace and r["workspace"] and r["workspace"] != workspace)]

    def latest_quiz(self) -> dict[str, dict]:
        with closing(self._connect()) as con:
            rows = con.execute("SELECT * FROM quiz WHERE origin = 'learner' ORDER BY id").fetchall()
        return {row["question_id"]: dict(row) for row in rows}

    def exams(self) -> list[dict]:
        with closing(self._connect()) as con:
            return [dict(r) | {"detail": json.loads(r["detail"])} for r in con.execute("SELECT * FROM exams ORDER BY id")]


def summary(store: ProgressStore, labs: list[str], checks_per_lab: dict[str, list[str]],
            bank_sizes: dict[str, int], workspace: str | None = None) -> dict:
    """Per lab: checks passed (latest result of each check) and quiz score (latest attempt)."""
    latest = store.latest_checks(workspace=workspace)
    quiz = store.latest_quiz()
    domains: dict[str, dict[int, list[int]]] = {}
    for row in quiz.values():
        domains.setdefault(row["exam"], {}).setdefault(row["domain"], []).append(row["correct"])
    out = {"labs": [], "domains": {}, "exams": store.exams()}
    for lab in labs:
        ids = checks_per_lab.get(lab, [])
        passed = [c for c in ids if latest.get((lab, c), {}).get("passed")]
        answered = [r for r in quiz.values() if r["bank"] == lab]
        out["labs"].append({
            "lab": lab, "checks_passed": len(passed), "checks_total": len(ids),
            "quiz_correct": sum(r["correct"] for r in answered), "quiz_answered": len(answered),
            "quiz_total": bank_sizes.get(lab, 0),
        })
    for exam, by_domain in domains.items():
        out["domains"][exam] = {str(d): {"correct": sum(v), "answered": len(v)} for d, v in sorted(by_domain.items())}
    return out


def _bar(label: str, value: int, total: int, color: str, width: int = 320) -> str:
    frac = value / total if total else 0
    return (f'<div style="display:flex;align-items:center;gap:8px;margin:2px 0">'
            f'<span style="width:170px">{html.escape(label)}</span>'
            f'<svg width="{width}" height="14" role="img" aria-label="{html.escape(label)} {value} of {total}">'
            f'<rect width="{width}" height="14" fill="#eee"/><rect width="{frac * width:.0f}" height="14" fill="{color}"/>'
            f'</svg><span>{value}/{total}</span></div>')


def html_report(data: dict, domain_names: dict[str, dict[int, tuple[str, float]]]) -> str:
    """A self-contained HTML page (inline SVG bars, no scripts, no downloads)."""
    parts = ["<!doctype html><meta charset='utf-8'><title>labkit progress</title>",
             "<body style='font-family:sans-serif;max-width:900px;margin:2em auto'>",
             "<h1>Lab progress</h1>"]
    for row in data["labs"]:
        parts.append(f"<h3>{html.escape(row['lab'])}</h3>")
        parts.append(_bar("checks passed", row["checks_passed"], row["checks_total"], "#2e7d32"))
        parts.append(_bar("quiz correct", row["quiz_correct"], row["quiz_total"], "#1565c0"))
    if data["domains"]:
        parts.append("<h2>Quiz answers by exam domain</h2>")
        for exam, domains in sorted(data["domains"].items()):
            parts.append(f"<h3>{html.escape(exam)}</h3>")
            for d, v in domains.items():
                name = domain_names.get(exam, {}).get(int(d), (f"domain {d}", 0))[0]
                parts.append(_bar(f"{d}. {name}"[:28], v["correct"], v["answered"], "#6a1b9a"))
    if data.get("exams"):
        parts.append("<h2>Practice exams</h2><ul>")
        for e in data["exams"]:
            verdict = "PASS" if e["passed"] else "FAIL"
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e["ts"]))
            parts.append(f"<li>{html.escape(e['exam'])} {when}: {e['score']} ({verdict})</li>")
        parts.append("</ul>")
    parts.append("</body>")
    return "\n".join(parts)
