"""Question-bank coverage: counts per topic, exam domain, type and bank, and the gaps to fill."""
from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction
from pathlib import Path

from . import bank as banks
from .bank import EXAMS, TOPICS, TYPES
from .exam import EXAM_QUESTIONS

# The course's labs (DESIGN.md, "Labs"); each should carry a bank of at least LAB_MINIMUM questions.
COURSE_LABS = ("00_orientation", "01_kms_key_users", "02_lambda_load", "03_glue_crawlers", "04_athena_curate",
               "05_databrew", "06_redshift", "07_sagemaker")
LAB_MINIMUM = 10
TOTAL_MINIMUM = 300
FORMS = 2  # enough questions for two practice exams that share no question


def needed(weight: float, forms: int = FORMS, size: int = EXAM_QUESTIONS) -> int:
    """Questions a domain needs for `forms` disjoint exams: forms × ceil(size × weight)."""
    return forms * math.ceil(size * Fraction(str(weight)))


def coverage(quiz_dir: Path | None = None) -> dict:
    """The coverage report as plain data (the JSON `labkit quiz-coverage --json` prints)."""
    questions = list(banks.load_all(Path(quiz_dir or banks.QUIZ_DIR)).values())
    gaps: list[dict] = []

    def gap(kind, name, count, need, message):
        gaps.append({"kind": kind, "name": name, "count": count, "needed": need, "message": message})

    total = len(questions)
    if total < TOTAL_MINIMUM:
        gap("total", "all banks", total, TOTAL_MINIMUM, f"{total} questions in all; the kit aims for {TOTAL_MINIMUM}")

    topics = Counter(t for q in questions for t in q.topics)
    by_topic = {t: topics.get(t, 0) for t in TOPICS}
    for t, n in by_topic.items():
        if not n:
            gap("topic", t, 0, 1, f"no question covers topic {t}")

    by_domain: dict[str, dict[str, dict]] = {}
    for exam, domains in EXAMS.items():
        counts = Counter(q.domain for q in questions if q.exam == exam)
        by_domain[exam] = {}
        for d, (name, weight) in domains.items():
            need = needed(weight)
            row = {"name": name, "weight": weight, "count": counts.get(d, 0), "needed": need,
                   "ok": counts.get(d, 0) >= need}
            by_domain[exam][str(d)] = row
            if not row["ok"]:
                gap("domain", f"{exam} {d}", row["count"], need,
                    f"{exam} domain {d} ({name}) has {row['count']}; two disjoint {EXAM_QUESTIONS}-question exams "
                    f"need {need} ({FORMS} × ceil({EXAM_QUESTIONS} × {weight}))")

    types = Counter(q.type for q in questions)
    by_type = {t: types.get(t, 0) for t in TYPES}
    for t, n in by_type.items():
        if not n:
            gap("type", t, 0, 1, f"no {t} questions")

    sizes = Counter(q.bank for q in questions)
    by_bank = {b: sizes.get(b, 0) for b in sorted(set(sizes) | set(COURSE_LABS))}
    for lab in COURSE_LABS:
        if by_bank[lab] < LAB_MINIMUM:
            gap("bank", lab, by_bank[lab], LAB_MINIMUM,
                f"lab {lab} has {by_bank[lab]} questions; each lab needs at least {LAB_MINIMUM}"
                + ("" if by_bank[lab] else f" (create quizzes/{lab}.yml)"))

    return {"total": total, "by_topic": by_topic, "by_domain": by_domain, "by_type": by_type,
            "by_bank": by_bank, "gaps": gaps}


def render_text(report: dict) -> str:
    """The report for a terminal: every count, gaps marked with ✘ and listed at the end."""
    lines = [f"Question banks: {report['total']} questions (target {TOTAL_MINIMUM})", "", "By exam domain "
             f"(needed = {FORMS} disjoint {EXAM_QUESTIONS}-question exams):"]
    for exam, domains in report["by_domain"].items():
        lines.append(f"  {exam}")
        for d, row in domains.items():
            mark = "✔" if row["ok"] else "✘"
            lines.append(f"    {mark} {d}. {row['name']:<52s} {row['count']:>4d} / {row['needed']}")
    lines += ["", "By type:"]
    lines += [f"  {'✔' if n else '✘'} {t:<10s} {n:>4d}" for t, n in report["by_type"].items()]
    lines += ["", "By bank:"]
    for b, n in report["by_bank"].items():
        mark = "✘" if b in COURSE_LABS and n < LAB_MINIMUM else "✔"
        lines.append(f"  {mark} {b:<20s} {n:>4d}")
    lines += ["", "By topic:"]
    cells = [f"{'✘' if not n else ' '} {t:<22s}{n:>4d}" for t, n in report["by_topic"].items()]
    for i in range(0, len(cells), 3):
        lines.append("  " + "   ".join(cells[i:i + 3]))
    gaps = report["gaps"]
    lines += ["", f"Gaps ({len(gaps)}):" if gaps else "No gaps."]
    lines += [f"  - {g['message']}" for g in gaps]
    return "\n".join(lines)
