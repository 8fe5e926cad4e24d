"""Practice exams: domain-weighted draws from every bank, answer sheets, and scaled scoring."""
from __future__ import annotations

import html

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from . import bank as banks
from . import markdown as md
from .bank import EXAMS, Question
from .quiz import InvalidAnswer, parse_answer

EXAM_QUESTIONS = 65   # both associate exams: 65 items (50 scored + 15 unscored) ...
EXAM_MINUTES = 130    # ... in 130 minutes
PASS_SCORE = 720
# AWS scales scores 100-1000 with an unpublished, per-form equating; a practice exam cannot
# reproduce it, so the kit uses a linear rule and says so in every report.
SCALING_RULE = ("scaled score = 100 + round(900 × correct / total), rounded half up; pass at 720 "
                "(a linear rule: AWS's own per-form scaling is not published); unanswered questions count as wrong")


class ExamError(ValueError):
    """The exam cannot be built (unknown exam name, no questions tagged with it)."""


class SheetError(ValueError):
    """An answer sheet cannot be graded; `problems` lists every reason, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def exam_code(name: str) -> str:
    """'dea-c01' / 'DEA-C01' -> 'DEA-C01'; an unknown name lists the valid ones."""
    code = str(name).strip().upper()
    if code not in EXAMS:
        raise ExamError(f"unknown exam {name!r}; exams are: {', '.join(c.lower() for c in EXAMS)}")
    return code


def pool(exam: str, quiz_dir: Path | None = None) -> list[Question]:
    """Every question tagged with the exam, from every bank (lab banks and exam banks), by id."""
    code = exam_code(exam)
    every = banks.load_all(Path(quiz_dir or banks.QUIZ_DIR))
    return sorted((q for q in every.values() if q.exam == code), key=lambda q: q.id)


def allocate(exam: str, n: int) -> dict[int, int]:
    """Split n questions over the exam's domains by weight, largest remainder first.

    Ties in the remainder go to the heavier domain, then the lower domain number. Weights are
    turned into exact fractions so 0.29 × 100 is 29, not 28.999….
    """
    if n < 0:
        raise ExamError(f"an exam needs a positive number of questions, not {n}")
    domains = EXAMS[exam_code(exam)]
    weights = {d: Fraction(str(w)) for d, (_, w) in domains.items()}
    total_w = sum(weights.values())
    quotas = {d: n * w / total_w for d, w in weights.items()}
    out = {d: math.floor(q) for d, q in quotas.items()}
    order = sorted(domains, key=lambda d: (-(quotas[d] - out[d]), -weights[d], d))
    for d in order[:n - sum(out.values())]:
        out[d] += 1
    return out


@dataclass
class Draw:
    """One exam form: the questions in the order asked, and how they were chosen."""
    exam: str
    seed: int
    questions: list[Question]
    planned: dict[int, int]
    drawn: dict[int, int]
    notes: list[str] = field(default_factory=list)


def draw_exam(exam: str, n: int = EXAM_QUESTIONS, seed: int | None = None, quiz_dir: Path | None = None) -> Draw:
    """Sample a form without replacement; the same seed and banks always give the same form.

    A domain with too few questions gives all it has and the other domains fill its places, so
    the form still has n questions when the pool allows (each shortfall is listed in `notes`).
    """
    code = exam_code(exam)
    if seed is None:
        seed = random.SystemRandom().randrange(1, 1_000_000)
    candidates = pool(code, quiz_dir)
    if not candidates:
        raise ExamError(f"no questions are tagged exam: {code} in {quiz_dir or banks.QUIZ_DIR}")
    rng = random.Random(seed)
    planned = allocate(code, n)
    chosen: list[Question] = []
    notes: list[str] = []
    short = 0
    for d, k in planned.items():
        in_domain = [q for q in candidates if q.domain == d]
        if len(in_domain) < k:
            notes.append(f"domain {d} ({EXAMS[code][d][0]}) has {len(in_domain)} question(s) for {k} places; "
                         f"{k - len(in_domain)} drawn from other domains")
            chosen += in_domain
            short += k - len(in_domain)
        else:
            chosen += rng.sample(in_domain, k)
    if short:
        taken = {q.id for q in chosen}
        rest = [q for q in candidates if q.id not in taken]
        fill = rng.sample(rest, min(short, len(rest)))
        chosen += fill
        if len(fill) < short:
            notes.append(f"only {len(candidates)} {code} questions exist; the exam has {len(chosen)} instead of {n}")
    rng.shuffle(chosen)  # a real form interleaves domains
    drawn = {d: sum(q.domain == d for q in chosen) for d in planned}
    return Draw(code, seed, chosen, planned, drawn, notes)


def draw(exam: str, n: int = EXAM_QUESTIONS, seed: int | None = None, quiz_dir: Path | None = None) -> list[Question]:
    """The questions of `draw_exam(exam, n, seed)` in the order they are asked."""
    return draw_exam(exam, n, seed, quiz_dir).questions


def scaled_score(correct: int, total: int) -> int:
    """100 + round(900 × correct / total), half up (exact arithmetic, no float surprises)."""
    if total <= 0:
        return 100
    return 100 + math.floor(Fraction(900 * correct, total) + Fraction(1, 2))


def check_sheet(sheet, questions: list[Question], exam: str, *, every: dict[str, Question] | None = None,
                form: str = "") -> dict[str, object]:
    """Parse a sheet {question id: answer} for the given questions, collecting every problem.

    `null` / empty answers mean unanswered. Returns {id: parsed answer or None}; raises
    SheetError naming unknown ids and each malformed answer with what is valid.
    """
    if not isinstance(sheet, dict):
        raise SheetError([f"an answer sheet is a mapping of question ids to answers, got {type(sheet).__name__}"])
    by_id = {q.id: q for q in questions}
    sheet = {str(k).strip(): v for k, v in sheet.items()}
    problems = []
    unknown = sorted(k for k in sheet if k not in by_id and (every is None or k not in every))
    if unknown:
        problems.append(f"unknown question ids: {unknown}")
    elsewhere = sorted(k for k in sheet if k not in by_id and every is not None and k in every)
    if elsewhere:
        problems.append(f"question ids not in {form or exam}: {elsewhere}")
    parsed: dict[str, object] = {}
    for qid, raw in sheet.items():
        if qid not in by_id:
            continue
        if raw is None or (isinstance(raw, (str, list, dict)) and not raw):
            parsed[qid] = None
            continue
        try:
            parsed[qid] = parse_answer(by_id[qid], raw)
        except InvalidAnswer as exc:
            problems.append(f"{qid}: {exc}")
    if problems:
        raise SheetError(problems)
    return parsed


@dataclass
class ExamReport:
    exam: str
    questions: list[Question]
    given: dict[str, object]            # id -> parsed answer; missing or None = unanswered
    seed: int | None = None
    notes: list[str] = field(default_factory=list)
    timed_out: bool = False

    def is_correct(self, q: Question) -> bool:
        return self.given.get(q.id) is not None and self.given[q.id] == q.answer

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def correct(self) -> int:
        return sum(self.is_correct(q) for q in self.questions)

    @property
    def answered(self) -> int:
        return sum(self.given.get(q.id) is not None for q in self.questions)

    @property
    def score(self) -> int:
        return scaled_score(self.correct, self.total)

    @property
    def passed(self) -> bool:
        return self.score >= PASS_SCORE

    def domains(self) -> dict[int, dict]:
        out = {}
        for d, (name, _) in EXAMS[self.exam].items():
            qs = [q for q in self.questions if q.domain == d]
            right = sum(self.is_correct(q) for q in qs)
            out[d] = {"name": name, "correct": right, "total": len(qs),
                      "percent": round(100 * right / len(qs), 1) if qs else 0.0}
        return out

    def missed(self) -> list[dict]:
        out = []
        for number, q in enumerate(self.questions, 1):
            if self.is_correct(q):
                continue
            given = self.given.get(q.id)
            out.append({"number": number, "id": q.id, "bank": q.bank, "domain": q.domain, "type": q.type,
                        "prompt": q.prompt,
                        "your_answer": given, "your_answer_text": describe(q, given),
                        "answer": q.answer, "answer_text": describe(q, q.answer),
                        "explanation": q.explanation["overall"].strip(),
                        "choice_explanations": {k: str(v).strip()
                                                for k, v in (q.explanation.get("choices") or {}).items()},
                        "references": list(q.references)})
        return out

    def as_dict(self) -> dict:
        return {"exam": self.exam, "score": self.score, "passed": self.passed, "pass_score": PASS_SCORE,
                "correct": self.correct, "total": self.total, "answered": self.answered,
                "unanswered": self.total - self.answered,
                "percent": round(100 * self.correct / self.total, 1) if self.total else 0.0,
                "scaling_rule": SCALING_RULE, "seed": self.seed, "timed_out": self.timed_out,
                "notes": list(self.notes),
                "domains": {str(d): v for d, v in self.domains().items()},
                "questions": [q.id for q in self.questions], "missed": self.missed()}

    def progress_detail(self) -> dict:
        """What `ProgressStore.record_exam` keeps: no question texts, enough to redraw the form."""
        data = self.as_dict()
        data["missed"] = [m["id"] for m in data["missed"]]
        return data

    def _repr_html_(self) -> str:
        return report_html(self)

    def __repr__(self) -> str:
        return self.render_text()

    def render_text(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        lines = [f"{self.exam} practice exam: {self.score}/1000 — {verdict} (pass mark {PASS_SCORE})",
                 f"  {self.correct} of {self.total} correct ({self.answered} answered)"
                 + (f", seed {self.seed}" if self.seed is not None else "")
                 + (" — time ran out, submitted automatically" if self.timed_out else ""),
                 f"  Scoring: {SCALING_RULE}.", "", "By domain:"]
        for d, v in self.domains().items():
            lines.append(f"  {d}. {v['name']:<52s} {v['correct']:>3d}/{v['total']:<3d} {v['percent']:5.1f} %")
        lines += [f"  note: {n}" for n in self.notes]
        missed = self.missed()
        if missed:
            lines += ["", f"Review ({len(missed)} missed):"]
        for m in missed:
            lines += [f"  Q{m['number']} [{m['id']}] domain {m['domain']}",
                      _hanging("    ", md.to_text(m["prompt"])),
                      _hanging("    Your answer:  ", m["your_answer_text"]),
                      _hanging("    Right answer: ", m["answer_text"]),
                      _hanging("    Why: ", m["explanation"])]
            lines += [_hanging(f"      {k}) ", why) for k, why in m["choice_explanations"].items()]
        return "\n".join(lines)


def _hanging(head: str, text: str) -> str:
    """Multi-line bank text indented under its label."""
    return head + "\n".join(text.splitlines()).replace("\n", "\n" + " " * len(head))


def describe(q: Question, answer) -> str:
    """An answer in words (the learner's or the key), one line per key, for the review after submitting."""
    if answer is None:
        return "(unanswered)"
    if q.type == "single":
        return f"{answer}) {q.choices.get(answer, '?')}"
    if q.type == "multiple":
        return "\n".join(f"{k}) {q.choices.get(k, '?')}" for k in answer)
    if q.type == "ordering":
        return "\n".join(f"{n}. {k}) {q.choices.get(k, '?')}" for n, k in enumerate(answer, 1))
    return "\n".join(f"{p}. {q.pairs.get(p, p)} → {c}) {q.choices.get(c, '?')}" for p, c in answer.items())


def grade_exam(exam: str, questions: list[Question], given: dict[str, object], **kw) -> ExamReport:
    return ExamReport(exam_code(exam), list(questions), dict(given), **kw)


def save_report(settings, report: ExamReport, mode: str, minutes) -> None:
    """Store the exam and each answered question in progress (charted by domain in the HTML report)."""
    from .progress import ProgressStore
    from .quiz import QuizResult

    store = ProgressStore(settings.progress_db)
    for q in report.questions:
        answer = report.given.get(q.id)
        if answer is not None:  # an unanswered exam item is not an answer to chart
            # origin "exam": charted by exam domain, never counted as the answer to a lab's quiz cell
            store.record_quiz(q.bank, QuizResult(q, answer, report.is_correct(q)), origin="exam")
    store.record_exam(report.exam, report.score, report.passed,
                      report.progress_detail() | {"mode": mode, "minutes": minutes})


# --- the graded report as HTML (the notebook's view; the terminal uses render_text) ---------------

def report_html(report: "ExamReport") -> str:
    color = "#1b7f3b" if report.passed else "#b3261e"
    verdict = "PASS" if report.passed else "FAIL"
    rows = "".join(
        f"<tr><td>{d}. {html.escape(v['name'])}</td><td>{v['correct']}/{v['total']}</td>"
        f"<td><div style='background:#ddd;width:160px'><div style='background:{color};height:10px;"
        f"width:{int(1.6 * v['percent'])}px'></div></div></td><td>{v['percent']:.0f} %</td></tr>"
        for d, v in report.domains().items())
    parts = [f"<h3 style='color:{color}'>{report.score}/1000 — {verdict} (pass mark {PASS_SCORE})</h3>",
             f"<p>{report.correct} of {report.total} correct, {report.answered} answered"
             + (", time ran out: submitted automatically" if report.timed_out else "") + ".<br>"
             f"<small>{html.escape(SCALING_RULE)}. Seed {report.seed}: <code>labkit exam {report.exam.lower()} "
             f"--seed {report.seed}</code> retakes the same form.</small></p>",
             f"<table>{rows}</table>"]
    missed = report.missed()
    if missed:
        parts.append(f"<h4>Review: {len(missed)} missed</h4>")
    for m in missed:
        why = "".join(f"<li><b>{html.escape(k)})</b> {md.to_html(t, block=False)}</li>"
                      for k, t in m["choice_explanations"].items())
        parts.append(
            f"<details style='margin:4px 0'><summary><b>Q{m['number']}</b> · domain {m['domain']} · "
            f"{html.escape(_gist(m['prompt']))}</summary>"
            f"<div style='margin:6px 0 6px 18px'>{md.to_html(m['prompt'])}"
            f"<p><b>Your answer:</b><br>{_lines(m['your_answer_text'])}</p>"
            f"<p><b>Right answer:</b><br>{_lines(m['answer_text'])}</p>"
            f"{md.to_html(m['explanation'])}<ul>{why}</ul>"
            f"<small style='color:#666'>{html.escape(m['id'])}</small></div></details>")
    return "".join(parts)


def _gist(prompt: str, width: int = 110) -> str:
    """The question's first words, for the review's one-line summary (the full text opens below)."""
    text = " ".join(md.to_text(prompt).split())
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " …"


def _lines(text: str) -> str:
    return "<br>".join(md.inline(line) for line in text.splitlines())
