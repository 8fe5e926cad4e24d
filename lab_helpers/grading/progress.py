"""The progress store: every check and quiz attempt in SQLite in the workspace dir, and reports."""
from __future__ import annotations

import html
import json
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from ..config import REPO_ROOT

LEARNER_NOTEBOOKS = REPO_ROOT / "labs"
_QUIZ_CALL = re.compile(r"""\.quiz\(\s*['"]([a-z0-9][a-z0-9-]+)['"]""")

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

    def latest_quiz(self, origins: tuple[str, ...] = ("learner",)) -> dict[str, dict]:
        return {qid: rows[-1] for qid, rows in self.quiz_attempts(origins).items()}

    def quiz_attempts(self, origins: tuple[str, ...] = ("learner",)) -> dict[str, list[dict]]:
        """Every answer to each question, oldest first (a quiz cell answered twice has two)."""
        marks = ",".join("?" * len(origins))
        with closing(self._connect()) as con:
            rows = con.execute(f"SELECT * FROM quiz WHERE origin IN ({marks}) ORDER BY id", origins).fetchall()
        out: dict[str, list[dict]] = {}
        for row in rows:
            out.setdefault(row["question_id"], []).append(dict(row))
        return out

    def exams(self) -> list[dict]:
        with closing(self._connect()) as con:
            return [dict(r) | {"detail": json.loads(r["detail"])} for r in con.execute("SELECT * FROM exams ORDER BY id")]


def notebook_questions(notebooks: Path = LEARNER_NOTEBOOKS) -> dict[str, list[str]]:
    """The quiz questions each learner notebook really asks (its `lab.quiz("id")` cells), in order.

    A lab's score is out of these, not out of its whole bank: the bank holds more questions than
    the notebook asks (`labkit quiz LAB` asks them all), and counting the bank made 3 of 4 answered
    questions read as 3/15.
    """
    out: dict[str, list[str]] = {}
    for path in sorted(Path(notebooks).glob("*.ipynb")):
        try:
            cells = json.loads(path.read_text()).get("cells", [])
        except (OSError, ValueError):
            continue
        ids: list[str] = []
        for cell in cells:
            if cell.get("cell_type") == "code":
                source = "".join(cell.get("source", ""))
                ids += [i for i in _QUIZ_CALL.findall(source) if i not in ids]
        out[path.stem] = ids
    return out


def summary(store: ProgressStore, labs: list[str], checks_per_lab: dict[str, list[str]],
            quiz_questions: dict[str, list[str]], workspace: str | None = None) -> dict:
    """Per lab: checks passed (latest result of each check) and the notebook's quiz questions.

    A quiz question counts with its latest answer; one answered wrong first and right later is
    counted right *and* as a retry, so a score never hides that it took two tries. Answers given
    in a practice exam count for the exam-domain chart, not for a lab. Bank questions that the
    notebook does not ask (answered with `labkit quiz LAB`) are reported apart.
    """
    latest = store.latest_checks(workspace=workspace)
    attempts = store.quiz_attempts(("learner",))
    domains: dict[str, dict[int, list[int]]] = {}
    for rows in store.quiz_attempts(("learner", "exam")).values():
        row = rows[-1]
        domains.setdefault(row["exam"], {}).setdefault(row["domain"], []).append(row["correct"])
    out = {"labs": [], "domains": {}, "exams": store.exams()}
    for lab in labs:
        ids = checks_per_lab.get(lab, [])
        passed = [c for c in ids if latest.get((lab, c), {}).get("passed")]
        asked = list(quiz_questions.get(lab, []))
        mine = {qid: attempts[qid] for qid in asked if qid in attempts}
        retried = [qid for qid, rows in mine.items() if rows[-1]["correct"] and not rows[0]["correct"]]
        extra = [rows for qid, rows in attempts.items() if rows[-1]["bank"] == lab and qid not in asked]
        out["labs"].append({
            "lab": lab, "checks_passed": len(passed), "checks_total": len(ids),
            "quiz_correct": sum(rows[-1]["correct"] for rows in mine.values()), "quiz_answered": len(mine),
            "quiz_total": len(asked), "quiz_retried": len(retried),
            "quiz_first_try": sum(1 for rows in mine.values() if rows[0]["correct"]),
            "bank_correct": sum(rows[-1]["correct"] for rows in extra), "bank_answered": len(extra),
        })
    for exam, by_domain in domains.items():
        out["domains"][exam] = {str(d): {"correct": sum(v), "answered": len(v)} for d, v in sorted(by_domain.items())}
    return out


def quiz_text(row: dict) -> str:
    """`3/4`, `3/4 (1 on a retry)`, `-` for a lab without quiz cells; bank answers after a `+`."""
    text = f"{row['quiz_correct']}/{row['quiz_total']}" if row["quiz_total"] else "-"
    if row.get("quiz_retried"):
        text += f" ({row['quiz_retried']} on a retry)"
    if row.get("bank_answered"):
        text += f" + bank {row['bank_correct']}/{row['bank_answered']}"
    return text


def render_text(data: dict) -> str:
    lines = [f"{'lab':22s} {'checks':>8s}   quiz (right/asked in the notebook)"]
    for row in data["labs"]:
        lines.append(f"{row['lab']:22s} {row['checks_passed']:>3d}/{row['checks_total']:<4d}   {quiz_text(row)}")
    return "\n".join(lines)


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
        if row.get("quiz_retried"):
            parts.append(f"<div style='margin-left:178px;color:#555'>{row['quiz_retried']} of them right on a "
                         f"retry ({row['quiz_first_try']} right at the first try)</div>")
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
