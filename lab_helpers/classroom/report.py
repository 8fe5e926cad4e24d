"""report: the class at a glance — learners x labs, checks and quiz scores, who is stuck where.

A learner works on the first lab (in course order) whose checks are not all passed. They are
*stuck* there when a check of that lab has failed ``STUCK_FAILS`` times in a row since it last
passed, and *idle* when their last check or quiz answer is older than ``IDLE_MINUTES``. Both are
rules of thumb for where an instructor should walk over; the JSON carries the numbers behind them.
"""
from __future__ import annotations

import html
import time

STUCK_FAILS = 3
IDLE_MINUTES = 20


def _lab_status(entry: dict, lab_id: str, current: str | None, stuck: dict | None) -> str:
    passed = sum(1 for c in entry["checks"].values() if c["passed"])
    if entry["checks_total"] and passed == entry["checks_total"]:
        return "done"
    if stuck and stuck["lab"] == lab_id:
        return "stuck"
    if lab_id == current and (entry["checks"] or entry["quiz"]["answered"]):
        return "in-progress"
    return "started" if entry["checks"] or entry["quiz"]["answered"] else "not-started"


def learner_row(name: str, account: str, data: dict | None, labs: list[str], now: float) -> dict:
    if data is None:
        return {"learner": name, "account": account, "submitted": False, "current_lab": labs[0] if labs else None,
                "stuck": None, "idle_minutes": None, "last_activity": None, "finished": False,
                "labs": {lab: {"status": "not-started", "checks_passed": 0, "checks_total": 0, "quiz_correct": 0,
                               "quiz_answered": 0, "quiz_total": 0} for lab in labs}}
    lab_data = data.get("labs", {})
    current = next((lab for lab in labs if lab in lab_data and (
        sum(c["passed"] for c in lab_data[lab]["checks"].values()) < lab_data[lab]["checks_total"])), None)
    stuck = None
    if current:
        failing = [(cid, c) for cid, c in lab_data[current]["checks"].items()
                   if not c["passed"] and c.get("fails_in_a_row", 0) >= STUCK_FAILS]
        if failing:
            cid, c = max(failing, key=lambda item: item[1]["fails_in_a_row"])
            stuck = {"lab": current, "check": cid, "fails": c["fails_in_a_row"], "message": c.get("message", "")}
    last = data.get("last_activity")
    idle = round((now - last) / 60, 1) if last else None
    row = {"learner": name, "account": account, "submitted": True, "submitted_at": data.get("submitted"),
           "workspace": data.get("workspace"), "current_lab": current, "finished": current is None,
           "stuck": stuck, "last_activity": last, "idle_minutes": idle,
           "idle": bool(current and idle is not None and idle >= IDLE_MINUTES), "labs": {},
           "exams": data.get("exams", [])}
    for lab in labs:
        entry = lab_data.get(lab, {"checks": {}, "checks_total": 0, "quiz": {"correct": 0, "answered": 0, "total": 0}})
        row["labs"][lab] = {
            "status": _lab_status(entry, lab, current, stuck),
            "checks_passed": sum(1 for c in entry["checks"].values() if c["passed"]),
            "checks_total": entry["checks_total"],
            "quiz_correct": entry["quiz"]["correct"], "quiz_answered": entry["quiz"]["answered"],
            "quiz_total": entry["quiz"]["total"],
        }
    return row


def build(klass, submissions: dict[str, dict], labs: list[str], now: float | None = None) -> dict:
    """The report as data (``labkit class report NAME --json``)."""
    now = time.time() if now is None else now
    rows = [learner_row(l.name, l.account, submissions.get(l.name), labs, now) for l in klass.learners]
    per_lab = {}
    for lab in labs:
        statuses = [r["labs"][lab]["status"] for r in rows]
        per_lab[lab] = {s: statuses.count(s) for s in ("done", "in-progress", "stuck", "started", "not-started")}
    hotspots: dict[str, list[str]] = {}
    for r in rows:
        if r["stuck"]:
            hotspots.setdefault(f"{r['stuck']['lab']}/{r['stuck']['check']}", []).append(r["learner"])
    return {
        "class": klass.name, "generated": now, "learners": len(rows),
        "submitted": sum(r["submitted"] for r in rows), "finished": sum(r["finished"] for r in rows),
        "rules": {"stuck_fails": STUCK_FAILS, "idle_minutes": IDLE_MINUTES},
        "labs": labs, "per_lab": per_lab,
        "stuck": [{"where": where, "learners": sorted(who)} for where, who in
                  sorted(hotspots.items(), key=lambda item: (-len(item[1]), item[0]))],
        "rows": rows,
    }


_COLORS = {"done": "#c8e6c9", "in-progress": "#fff3c4", "stuck": "#ffcdd2", "started": "#e3f2fd",
           "not-started": "#f1f1f1"}


def to_html(report: dict) -> str:
    """A self-contained page (no scripts, no downloads): the matrix, the hot spots, per-lab counts."""
    e = html.escape
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(report["generated"]))
    out = ["<!doctype html><meta charset='utf-8'>", f"<title>labkit class {e(report['class'])}</title>",
           "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:13px}"
           "td,th{border:1px solid #ccc;padding:3px 6px;text-align:center}th{background:#fafafa}"
           "td.l{text-align:left}.legend span{padding:2px 8px;margin-right:4px}</style>",
           f"<h1>Class {e(report['class'])}</h1>",
           f"<p>{report['learners']} learners, {report['submitted']} submitted, {report['finished']} finished all labs "
           f"· generated {when} · stuck = a check failed {report['rules']['stuck_fails']}+ times in a row; "
           f"idle = nothing for {report['rules']['idle_minutes']}+ minutes</p>",
           "<p class='legend'>" + "".join(f"<span style='background:{c}'>{e(s)}</span>" for s, c in _COLORS.items())
           + "</p>"]
    if report["stuck"]:
        out.append("<h2>Where learners are stuck</h2><ul>")
        out += [f"<li><b>{e(s['where'])}</b>: {len(s['learners'])} ({e(', '.join(s['learners']))})</li>"
                for s in report["stuck"]]
        out.append("</ul>")
    out.append("<h2>Learners × labs</h2><table><tr><th>learner</th><th>working on</th>"
               + "".join(f"<th>{e(lab)}</th>" for lab in report["labs"]) + "<th>idle (min)</th></tr>")
    for r in report["rows"]:
        where = "finished" if r["finished"] else (r["current_lab"] or "")
        if not r["submitted"]:
            where = "nothing submitted"
        if r["stuck"]:
            where = f"STUCK {r['stuck']['lab']}/{r['stuck']['check']} ({r['stuck']['fails']} fails)"
        cells = []
        for lab in report["labs"]:
            c = r["labs"][lab]
            quiz = f"<br><small>quiz {c['quiz_correct']}/{c['quiz_total']}</small>" if c["quiz_total"] else ""
            cells.append(f"<td style='background:{_COLORS[c['status']]}' title='{e(c['status'])}'>"
                         f"{c['checks_passed']}/{c['checks_total']}{quiz}</td>")
        idle = "" if r["idle_minutes"] is None else f"{r['idle_minutes']:g}"
        style = " style='color:#b3261e;font-weight:bold'" if r.get("idle") else ""
        out.append(f"<tr><td class='l'>{e(r['learner'])}</td><td class='l'>{e(where)}</td>{''.join(cells)}"
                   f"<td{style}>{e(idle)}</td></tr>")
    out.append("<tr><th>per lab</th><th></th>" + "".join(
        f"<th><small>{p['done']} done · {p['stuck']} stuck · {p['in-progress']} working</small></th>"
        for p in (report["per_lab"][lab] for lab in report["labs"])) + "<th></th></tr></table>")
    return "\n".join(out)
