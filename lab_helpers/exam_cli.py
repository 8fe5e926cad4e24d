"""`labkit exam` and `labkit quiz-coverage`: click wiring around grading.exam and grading.coverage."""
from __future__ import annotations

import json
import contextlib
import math
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path

import click
import yaml

from .config import ConfigError, load
from .grading import bank as banks
from .grading import coverage as cov
from .grading.exam import (EXAM_MINUTES, EXAM_QUESTIONS, ExamError, ExamReport, SheetError, check_sheet, draw_exam,
                           exam_code, grade_exam)
from .grading.quiz import InvalidAnswer, parse_answer, render_text

_clock = time.monotonic  # tests replace it to run out the timer
COMMANDS = ("Commands: type an answer to save it and move on; n next, p previous, g N go to question N, "
            "m mark/unmark for review, r list marked and unanswered, s submit. "
            "When the time runs out the exam is submitted as it stands.")


class CannotGrade(click.ClickException):
    """Exit code 2: the exam could not be graded (bad sheet, bad banks, bad settings)."""
    exit_code = 2


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("exam_name", metavar="EXAM", type=click.Choice([c.lower() for c in banks.EXAMS], case_sensitive=False))
@click.option("--questions", "n", type=click.IntRange(min=1), default=EXAM_QUESTIONS, show_default=True,
              help="Questions on the form, split over the exam's domains by weight.")
@click.option("--minutes", type=click.IntRange(min=1), default=EXAM_MINUTES, show_default=True,
              help="Time limit of the interactive exam.")
@click.option("--seed", type=int, help="Draw the same form again (the report prints the seed it used).")
@click.option("--answers", "answers_file", type=click.Path(exists=True, dir_okay=False),
              help="Grade an answer sheet (YAML or JSON: question id -> answer) instead of asking.")
@click.option("--sheet", "sheet_file", type=click.Path(dir_okay=False),
              help="Write a blank answer sheet for the drawn form (questions as comments) and stop.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiz-dir", type=click.Path(exists=True, file_okay=False), hidden=True)
def exam(exam_name, n, minutes, seed, answers_file, sheet_file, as_json, quiz_dir):
    """Take a timed practice exam (dea-c01 or mla-c01) drawn from every question bank.

    The form has the exam's domain weights (65 DEA-C01 questions: 22/17/14/12 for domains 1-4);
    the same --seed gives the same form. Score: 100 + round(900 × correct / total), pass at 720
    — a linear rule, since AWS does not publish its scaling; unanswered questions count as wrong.
    After submitting you get a per-domain breakdown and a review of every missed question with
    the right answer and why. Every exam and answer is saved to `labkit progress`.

    \b
    In the terminal: answer as the prompt shows (b | a,d | c,a,d,b | p1=b,p2=a);
    n / p next and previous, g 12 go to question 12, m mark or unmark for review,
    r list marked and unanswered, s submit. Every prompt shows the minutes left;
    when they run out the exam is submitted as it stands.

    \b
    With --answers FILE the sheet is graded without asking: exactly the questions
    it lists, or, with --seed, the drawn form (ids it leaves out are unanswered).
    Exit code: 0 pass, 1 fail, 2 the sheet (or the banks) cannot be graded.

    \b
    Example:
      labkit exam dea-c01                           # 65 questions, 130 minutes
      labkit exam mla-c01 --questions 20 --minutes 40 --seed 7
      labkit exam dea-c01 --seed 7 --sheet sheet.yml     # blank sheet to fill in
      labkit exam dea-c01 --seed 7 --answers sheet.yml --json
    """
    if answers_file and sheet_file:
        raise click.UsageError("use --sheet to write a blank sheet, then --answers to grade it; not both at once")
    try:
        settings = load()
    except ConfigError as exc:
        raise CannotGrade(str(exc)) from None
    code = exam_code(exam_name)
    quiz_dir = Path(quiz_dir) if quiz_dir else None
    try:
        if answers_file and seed is None:
            report = _grade_listed(code, _read_sheet(answers_file), quiz_dir)
            mode = "sheet"
        else:
            form = draw_exam(code, n, seed, quiz_dir)
            if sheet_file:
                _write_sheet(form, n, sheet_file)
                return
            if answers_file:
                where = f"the {code} form drawn with --seed {form.seed} --questions {n}"
                given = check_sheet(_read_sheet(answers_file), form.questions, code,
                                    every=banks.load_all(quiz_dir or banks.QUIZ_DIR), form=where)
                report = grade_exam(code, form.questions, given, seed=form.seed, notes=form.notes)
                mode = "sheet"
            else:
                report = _interactive(form, minutes)
                mode = "interactive"
    except (ExamError, banks.BankError) as exc:
        raise CannotGrade(str(exc)) from None
    except SheetError as exc:
        raise CannotGrade(f"answer sheet {answers_file} cannot be graded:\n  - " + "\n  - ".join(exc.problems)) \
            from None
    _record(settings, report, mode, minutes if mode == "interactive" else None)
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.render_text())
    sys.exit(0 if report.passed else 1)


def _read_sheet(path) -> object:
    try:
        return yaml.safe_load(Path(path).read_text()) or {}  # JSON is YAML, so one parser reads both
    except (OSError, UnicodeDecodeError) as exc:
        raise SheetError([f"cannot read it: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise SheetError([f"not valid YAML or JSON: {exc}"]) from None


def _grade_listed(code: str, sheet, quiz_dir) -> ExamReport:
    every = banks.load_all(quiz_dir or banks.QUIZ_DIR)
    listed = [every[k] for k in (sheet if isinstance(sheet, dict) else {}) if k in every and every[k].exam == code]
    given = check_sheet(sheet, listed, code, every=every)
    if not listed:
        raise SheetError([f"the sheet lists no {code} question ids (write `question-id: answer` lines, or draw "
                          f"a form with --seed N --sheet FILE)"])
    return grade_exam(code, listed, given)


def _write_sheet(form, n: int, path) -> None:
    lines = [f"# {form.exam} practice answer sheet: {len(form.questions)} questions, seed {form.seed}.",
             "# Answer after each colon: single `b`, multiple `[a, d]`, ordering `[c, a, d, b]`,",
             "# matching `{p1: b, p2: a}`. Leave an answer empty to skip it (it counts as wrong). Grade with:",
             f"#   labkit exam {form.exam.lower()} --seed {form.seed} --questions {n} --answers {path}", ""]
    for i, q in enumerate(form.questions, 1):
        lines += [f"# {line}".rstrip() for line in f"Q{i}. {_question_text(q)}".splitlines()]
        lines += [f"{q.id}:", ""]
    Path(path).write_text("\n".join(lines))
    click.echo(f"Wrote a blank {form.exam} sheet with {len(form.questions)} questions to {path}. Grade it with:\n"
               f"  labkit exam {form.exam.lower()} --seed {form.seed} --questions {n} --answers {path}")


def _question_text(q) -> str:
    """The question without render_text's header line: a real exam does not show the domain."""
    text = render_text(q)
    return text.split("\n", 1)[1] if text.startswith(f"[{q.id}]") else text


def _how(q) -> str:
    keys = list(q.choices)
    if q.type == "single":
        return f"one key, e.g. {keys[0]}"
    if q.type == "multiple":
        return f"{len(q.answer)} keys, e.g. {','.join(keys[:len(q.answer)])}"
    if q.type == "ordering":
        return f"every key in order, e.g. {','.join(keys)}"
    return "one choice per item, e.g. " + ",".join(f"{p}={keys[0]}" for p in q.pairs)


def _typed(raw: str):
    """Also accept the literal forms how_to_answer shows (['a', 'd'], {'p1': 'b'}) as typed text."""
    if raw.startswith(("[", "{")):
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError:
            return raw
    return raw


def _short(answer) -> str:
    if isinstance(answer, dict):
        return ",".join(f"{k}={v}" for k, v in answer.items())
    if isinstance(answer, list):
        return ",".join(answer)
    return str(answer)


def _interactive(form, minutes: int) -> ExamReport:
    qs = form.questions
    deadline = _clock() + minutes * 60
    given: dict[str, object] = {}
    marked: set[int] = set()
    i, show, timed_out = 0, True, False
    click.echo(f"{form.exam} practice exam: {len(qs)} questions, {minutes} minutes, seed {form.seed} "
               f"(the same form again: --seed {form.seed}).")
    click.echo("Questions per domain: " + ", ".join(f"{d}: {k}" for d, k in form.drawn.items()))
    for note in form.notes:
        click.echo(f"Note: {note}")
    click.echo(COMMANDS)
    while True:
        left = deadline - _clock()
        if left <= 0:
            timed_out = True
            break
        q = qs[i]
        if show:
            status = [f"Question {i + 1} of {len(qs)}"]
            if i in marked:
                status.append("marked for review")
            if q.id in given:
                status.append(f"your answer: {_short(given[q.id])}")
            click.echo("\n" + " · ".join(status))
            click.echo(_question_text(q))
            show = False
        how = _how(q)
        try:
            with _alarm(left):
                raw = click.prompt(f"[{math.ceil(left / 60)} min left] Q{i + 1}: answer ({how}) or n/p/g N/m/r/s",
                                   default="", show_default=False).strip()
        except _TimeUp:
            click.echo("")
            timed_out = True
            break
        if _clock() >= deadline:
            click.echo("Time is up; that last entry came too late and is not counted.")
            timed_out = True
            break
        cmd = raw.lower()
        if cmd in ("", "n"):
            if i + 1 < len(qs):
                i, show = i + 1, True
            else:
                click.echo("This is the last question: r to review, g 1 to go back to the start, s to submit.")
        elif cmd == "p":
            if i:
                i, show = i - 1, True
            else:
                click.echo("This is the first question.")
        elif cmd == "g" or (cmd.startswith("g") and cmd[1:].strip().isdigit()):
            number = int(cmd[1:].strip() or 0)
            if 1 <= number <= len(qs):
                i, show = number - 1, True
            else:
                click.echo(f"Go to a question from 1 to {len(qs)}, e.g. g 3.")
        elif cmd == "m":
            marked ^= {i}
            click.echo(f"Q{i + 1} {'marked for review' if i in marked else 'unmarked'}.")
        elif cmd == "r":
            click.echo(_review_lines(qs, given, marked))
        elif cmd == "s":
            open_ = [n for n, qq in enumerate(qs, 1) if qq.id not in given]
            if open_ and not click.confirm(f"{len(open_)} question(s) unanswered ({_numbers(open_)}) will count "
                                           f"as wrong. Submit now?", default=False):
                continue
            break
        else:
            try:
                given[q.id] = parse_answer(q, _typed(raw))
            except InvalidAnswer as exc:
                click.echo(f"  {exc}")
                continue
            click.echo(f"  Saved Q{i + 1}: {_short(given[q.id])}")
            if i + 1 < len(qs):
                i, show = i + 1, True
            else:
                click.echo("That was the last question: r to review, g N to revisit, s to submit.")
    if timed_out:
        click.echo(f"Time is up after {minutes} minutes: the exam was submitted automatically.")
    return grade_exam(form.exam, qs, given, seed=form.seed, notes=form.notes, timed_out=timed_out)


class _TimeUp(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds: float):
    """In a real terminal, interrupt the waiting prompt when time runs out (POSIX timers).

    Elsewhere (Windows, piped input, tests) the deadline is checked after each entry instead.
    """
    usable = (hasattr(signal, "setitimer") and sys.stdin.isatty()
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def ring(signum, frame):
        raise _TimeUp()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _numbers(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers)) or "none"


def _review_lines(qs, given, marked) -> str:
    open_ = [n for n, q in enumerate(qs, 1) if q.id not in given]
    return (f"Answered {len(qs) - len(open_)} of {len(qs)}.\n"
            f"Marked for review: {_numbers(sorted(m + 1 for m in marked))}\n"
            f"Unanswered: {_numbers(open_)}")


def _record(settings, report: ExamReport, mode: str, minutes) -> None:
    """Save the exam and each answered question, so `labkit progress --html` charts them by domain."""
    from .grading.exam import save_report

    try:
        save_report(settings, report, mode, minutes)
    except (OSError, sqlite3.Error) as exc:
        click.echo(f"Warning: could not save this exam to {settings.progress_db}: {exc}", err=True)


@click.command("quiz-coverage", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--quiz-dir", type=click.Path(exists=True, file_okay=False),
              help="Bank directory to report on (default: the kit's quizzes/).")
def quiz_coverage(as_json, quiz_dir):
    """Count questions per topic, exam domain, type and bank, and list the gaps to fill.

    \b
    Gaps: a seed topic with no question; an exam domain with fewer than the
    2 × ceil(65 × weight) questions two disjoint practice exams need; a question
    type with none; a lab 00-07 with fewer than 10; fewer than 300 in all.
    The report always exits 0 (it informs; tests/content enforce the schema).

    \b
    Example:
      labkit quiz-coverage
      labkit quiz coverage --json | jq '.gaps[].message'
    """
    try:
        report = cov.coverage(Path(quiz_dir) if quiz_dir else None)
    except banks.BankError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(report, indent=2) if as_json else cov.render_text(report))


class _QuizWithCoverage(click.Command):
    """`labkit quiz LAB_ID` unchanged, plus `labkit quiz coverage [--json]` for the coverage report."""

    def __init__(self, base: click.Command, coverage_cmd: click.Command):
        help_text = (base.help or "").rstrip() + (
            "\n\nAlso `labkit quiz coverage [--json]`: question counts and gaps (see `labkit quiz-coverage --help`).")
        super().__init__(base.name, context_settings=base.context_settings, callback=base.callback,
                         params=base.params, help=help_text, epilog=base.epilog, short_help=base.short_help,
                         options_metavar=base.options_metavar, add_help_option=base.add_help_option,
                         no_args_is_help=base.no_args_is_help, hidden=base.hidden, deprecated=base.deprecated)
        self.coverage_cmd = coverage_cmd

    def make_context(self, info_name, args, parent=None, **extra):
        if args and args[0] == "coverage":
            return self.coverage_cmd.make_context(f"{info_name} coverage", list(args[1:]), parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)


def register(main: click.Group) -> None:
    """Add `exam` and `quiz-coverage` to the `labkit` group (and `quiz coverage` beside `quiz LAB_ID`)."""
    main.add_command(exam)
    main.add_command(quiz_coverage)
    quiz = main.commands.get("quiz")
    if isinstance(quiz, click.Group):
        quiz.add_command(quiz_coverage, "coverage")
    elif quiz is not None and not isinstance(quiz, _QuizWithCoverage):
        main.add_command(_QuizWithCoverage(quiz, quiz_coverage), "quiz")
