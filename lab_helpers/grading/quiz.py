"""Grade quiz answers (all four AWS item types) and render questions without leaking the key."""
from __future__ import annotations

import html
from dataclasses import dataclass

from . import markdown as md
from .bank import Question


class InvalidAnswer(ValueError):
    """The answer cannot be graded; the message lists what is valid."""


def parse_answer(q: Question, answer) -> object:
    """Normalise a learner's answer to the bank's answer format, or explain what is valid."""
    keys = list(q.choices)
    valid = ", ".join(keys)
    if q.type == "single":
        if isinstance(answer, (list, tuple)) and len(answer) == 1:
            answer = answer[0]
        if not isinstance(answer, str) or answer.strip().lower() not in q.choices:
            raise InvalidAnswer(f"{answer!r} is not a choice of {q.id}; answer with one of: {valid}")
        return answer.strip().lower()
    if q.type in ("multiple", "ordering"):
        items = _as_items(answer)
        unknown = [a for a in items if a not in q.choices]
        if unknown:
            raise InvalidAnswer(f"{unknown} are not choices of {q.id}; valid choices: {valid}")
        if len(set(items)) != len(items):
            raise InvalidAnswer(f"each choice may appear once; got {items}")
        if q.type == "multiple":
            need = len(q.answer)
            if len(items) != need:
                raise InvalidAnswer(f"{q.id} asks you to choose {need}; you gave {len(items)} ({items}). "
                                    f"Valid choices: {valid}")
            return sorted(items)
        if sorted(items) != sorted(keys):
            raise InvalidAnswer(f"{q.id} wants all {len(keys)} steps in order (each of {valid} once); got {items}")
        return items
    # matching
    mapping = _as_mapping(answer)
    unknown_pairs = [k for k in mapping if k not in q.pairs]
    missing = [k for k in q.pairs if k not in mapping]
    bad_choices = [v for v in mapping.values() if v not in q.choices]
    if unknown_pairs or missing or bad_choices:
        raise InvalidAnswer(
            f"{q.id} needs one choice for each of {', '.join(q.pairs)} from {valid} "
            f"(e.g. {{'{next(iter(q.pairs))}': '{keys[0]}', ...}}); "
            + "; ".join(filter(None, [
                f"unknown items {unknown_pairs}" if unknown_pairs else "",
                f"missing {missing}" if missing else "",
                f"unknown choices {bad_choices}" if bad_choices else ""])))
    return {k: mapping[k] for k in q.pairs}


def _literal(answer):
    """Accept the forms the hints show (``['a', 'd']``, ``{'p1': 'a'}``) when typed as text."""
    if isinstance(answer, str) and answer.strip()[:1] in ("[", "{", "("):
        import ast

        try:
            return ast.literal_eval(answer.strip())
        except (ValueError, SyntaxError):
            raise InvalidAnswer(f"could not read {answer!r}; write it like a,d or p1=a,p2=c") from None
    return answer


def _as_items(answer) -> list[str]:
    answer = _literal(answer)
    if isinstance(answer, str):
        parts = answer.replace(";", ",").replace(" ", ",").split(",")
    elif isinstance(answer, (list, tuple, set)):
        parts = list(answer)
    else:
        raise InvalidAnswer(f"expected a list of choice keys such as ['a', 'c'], got {answer!r}")
    return [str(p).strip().lower() for p in parts if str(p).strip()]


def _as_mapping(answer) -> dict[str, str]:
    answer = _literal(answer)
    if isinstance(answer, str):
        out = {}
        for part in answer.split(","):
            if "=" not in part:
                raise InvalidAnswer(f"write matching answers as p1=a,p2=c; got {answer!r}")
            k, _, v = part.partition("=")
            out[k.strip().lower()] = v.strip().lower()
        return out
    if isinstance(answer, dict):
        return {str(k).strip().lower(): str(v).strip().lower() for k, v in answer.items()}
    raise InvalidAnswer(f"expected a mapping such as {{'p1': 'a'}}, got {answer!r}")


@dataclass
class QuizResult:
    question: Question
    given: object
    correct: bool

    @property
    def score(self) -> int:
        return 1 if self.correct else 0

    def _correct_text(self) -> str:
        q = self.question
        if q.type == "single":
            return f"{q.answer}) {q.choices[q.answer]}"
        if q.type == "multiple":
            return "; ".join(f"{k}) {q.choices[k]}" for k in q.answer)
        if q.type == "ordering":
            return " → ".join(f"{k}) {q.choices[k]}" for k in q.answer)
        return "; ".join(f"{q.pairs[p]} → {q.choices[c]}" for p, c in q.answer.items())

    def __repr__(self) -> str:   # the plain-text view (terminals, nbval) is the learner's view
        return str(self)

    def __str__(self) -> str:
        q = self.question
        lines = [("✔ Correct" if self.correct else "✘ Not quite") + f" — {q.id}"]
        if not self.correct:
            lines.append(f"  Best answer: {self._correct_text()}")
        lines.append(f"  Why: {q.explanation['overall'].strip()}")
        for key, why in (q.explanation.get("choices") or {}).items():
            lines.append(f"    {key}) {str(why).strip()}")
        return "\n".join(lines)

    def _correct_html(self) -> str:
        q = self.question
        opt = lambda k: f"<b>{html.escape(k)})</b> {md.to_html(q.choices[k], block=False)}"  # noqa: E731
        if q.type == "single":
            return opt(q.answer)
        if q.type == "multiple":
            return "<br>".join(opt(k) for k in q.answer)
        if q.type == "ordering":
            return "<br>".join(f"{n}. {opt(k)}" for n, k in enumerate(q.answer, 1))
        return "<br>".join(f"{md.to_html(q.pairs[p], block=False)} → {opt(c)}" for p, c in q.answer.items())

    def _repr_html_(self) -> str:
        q = self.question
        color = "#1b7f3b" if self.correct else "#b3261e"
        head = "✔ Correct" if self.correct else "✘ Not quite"
        parts = [f'<div style="border-left:4px solid {color};padding:4px 10px">',
                 f'<b style="color:{color}">{head}</b> <code>{html.escape(q.id)}</code>']
        if not self.correct:
            parts.append(f"<div style='margin:4px 0'><b>Best answer:</b><br>{self._correct_html()}</div>")
        parts.append(md.to_html(q.explanation["overall"]))
        per = q.explanation.get("choices") or {}
        if per:
            parts.append("<ul style='margin:2px 0;padding-left:22px'>" + "".join(
                f"<li><b>{html.escape(k)})</b> {md.to_html(str(v), block=False)}</li>" for k, v in per.items())
                + "</ul>")
        parts.append("</div>")
        return "".join(parts)


def grade(q: Question, answer) -> QuizResult:
    given = parse_answer(q, answer)
    return QuizResult(q, given, given == q.answer)


def render_text(q: Question) -> str:
    """The question as a learner sees it before answering: no key, no explanation."""
    lines = [f"[{q.id}] ({q.exam} · domain {q.domain}: {q.domain_name})", md.to_text(q.prompt), ""]
    if q.type == "matching":
        lines.append("Match each item:")
        lines += [f"  {k}. {v}" for k, v in q.pairs.items()]
        lines.append("with one of:")
    elif q.type == "ordering":
        lines.append("Put these in order:")
    elif q.type == "multiple":
        lines.append(f"(Choose {len(q.answer)}.)")
    lines += [f"  {k}) {v}" for k, v in q.choices.items()]
    return "\n".join(lines)


def how_to_answer(q: Question) -> str:
    keys = list(q.choices)
    if q.type == "single":
        return f"answer with one key, e.g. answer='{keys[0]}'"
    if q.type == "multiple":
        return f"answer with {len(q.answer)} keys, e.g. answer={keys[:len(q.answer)]}"
    if q.type == "ordering":
        return f"answer with all keys in order, e.g. answer={keys}"
    return f"answer with one choice per item, e.g. answer={{{', '.join(repr(p) + ': ' + repr(keys[0]) for p in q.pairs)}}}"
