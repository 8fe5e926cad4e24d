"""A practice exam in a notebook: ipywidgets form with timer, navigation and mark-for-review.

``exam = start_exam("dea-c01")`` draws a domain-weighted form (the same draw as ``labkit exam``)
and ``exam`` displayed in JupyterLab is the form. Answers are graded in the kernel when the
learner presses *Finish* or the time runs out; the report (scaled score, pass line, per-domain
breakdown, review of every missed question) appears under the form and is saved to progress.

Without widgets (nbval, a plain console) the same object works by calls:
``exam.answer(3, "b")``, ``exam.mark(3)``, ``exam.submit()``.
"""
from __future__ import annotations

import html
import threading
import time

from .bank import EXAMS, Question
from .exam import EXAM_QUESTIONS, SCALING_RULE, ExamReport, draw_exam, grade_exam, report_html, save_report
from .quiz import InvalidAnswer, parse_answer

_TICK_SECONDS = 5


class PracticeExam:
    def __init__(self, exam: str, questions: int = EXAM_QUESTIONS, minutes: int = 130, seed: int | None = None,
                 settings=None):
        self.draw = draw_exam(exam, questions, seed)
        self.exam = self.draw.exam
        self.questions: list[Question] = self.draw.questions
        self.minutes = minutes
        self.given: dict[str, object] = {}
        self.marked: set[int] = set()
        self.report: ExamReport | None = None
        self._settings = settings
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._ui = None

    # --- the exam as calls (also what the widgets use) -------------------------------------------

    def _question(self, number: int) -> Question:
        if not 1 <= number <= len(self.questions):
            raise IndexError(f"questions are numbered 1 to {len(self.questions)}; got {number}")
        return self.questions[number - 1]

    def answer(self, number: int, answer) -> None:
        """Record (or with ``None`` clear) the answer to question ``number`` (1-based)."""
        q = self._question(number)
        if self.report is not None:
            raise RuntimeError("this exam is already submitted; start a new one with start_exam()")
        if answer is None or answer == [] or answer == {}:
            self.given.pop(q.id, None)
            return
        self.given[q.id] = parse_answer(q, answer)

    def mark(self, number: int, on: bool = True) -> None:
        self._question(number)
        (self.marked.add if on else self.marked.discard)(number)

    @property
    def seconds_left(self) -> float:
        return max(0.0, self.minutes * 60 - (time.monotonic() - self._started))

    def submit(self, timed_out: bool = False) -> ExamReport:
        """Grade the form, save it to progress, and return the report (displayed as HTML)."""
        with self._lock:
            if self.report is None:
                self.report = grade_exam(self.exam, self.questions, self.given, seed=self.draw.seed,
                                         notes=self.draw.notes, timed_out=timed_out)
                self._save()
        return self.report

    def _save(self) -> None:
        from .. import config

        try:
            save_report(self._settings or config.load(), self.report, "notebook", self.minutes)
        except Exception as exc:  # progress is a convenience; the report itself must still show
            print(f"Warning: this exam could not be saved to progress: {exc}")

    # --- display -----------------------------------------------------------------------------------

    def summary(self) -> str:
        planned = ", ".join(f"domain {d} × {k}" for d, k in self.draw.drawn.items())
        return (f"{self.exam} practice exam: {len(self.questions)} questions ({planned}), {self.minutes} minutes. "
                f"Scoring: {SCALING_RULE}.")

    def __repr__(self) -> str:
        if self.report is not None:
            return self.report.render_text()
        return self.summary() + (f"\nAnswered {len(self.given)} of {len(self.questions)}. "
                                 "Display this object in JupyterLab for the form, or use "
                                 ".answer(n, ...) and .submit().")

    def _ipython_display_(self):
        from IPython.display import display

        from .widgets import widgets_available

        if not widgets_available():
            print(repr(self))
            return
        if self._ui is None:
            self._ui = _ExamForm(self)
        display(self._ui.root)


class _ExamForm:
    """The widgets of one PracticeExam: header with timer, one question at a time, navigation.

    Answers are saved the moment an input changes (the counters and the Go-to list follow at
    once); *Finish and grade* asks for confirmation, naming unanswered and marked questions;
    after grading every input is locked.
    """

    def __init__(self, exam: PracticeExam):
        import ipywidgets as w

        from .widgets import QUIZ_CLASS, style_widget

        self.exam, self.w = exam, w
        self.number = 1
        self.inputs = None
        self.header = w.HTML()
        self.question = w.VBox(layout=w.Layout(width="100%"))
        self.flag = w.ToggleButton(description="Mark for review", icon="flag")
        self.prev = w.Button(description="◀ Previous")
        self.next = w.Button(description="Next ▶")
        self.jump = w.Dropdown(description="Go to", layout=w.Layout(width="220px"))
        self.jump.add_class("labkit-goto")
        self.finish = w.Button(description="Finish and grade", button_style="danger")
        self.confirm_text = w.HTML()
        self.confirm_yes = w.Button(description="Grade now", button_style="danger")
        self.confirm_no = w.Button(description="Keep working")
        self.confirm = w.VBox([self.confirm_text, w.HBox([self.confirm_yes, self.confirm_no])],
                              layout=w.Layout(display="none", border="1px solid #b3261e", padding="6px 10px"))
        self.confirm.add_class("labkit-confirm")
        self.message = w.HTML()
        self.result = w.Output()
        self.prev.on_click(lambda _: self.go(self.number - 1))
        self.next.on_click(lambda _: self.go(self.number + 1))
        self.jump.observe(self.on_jump, names="value")
        self.flag.observe(self.on_flag, names="value")
        self.finish.on_click(lambda _: self.ask_to_finish())
        self.confirm_yes.on_click(lambda _: self.done(timed_out=False))
        self.confirm_no.on_click(lambda _: self.hide_confirm())
        self.root = w.VBox([style_widget(), self.header, self.question,
                            w.HBox([self.prev, self.next, self.flag, self.jump, self.finish]),
                            self.confirm, self.message, self.result], layout=w.Layout(width="100%"))
        self.root.add_class(QUIZ_CLASS)
        self.show()
        threading.Thread(target=self.tick, daemon=True).start()

    # --- answers -----------------------------------------------------------------------------

    def save_current(self) -> None:
        """Store what the inputs of the shown question hold; an incomplete answer counts as unanswered."""
        if self.inputs is None or self.exam.report is not None:
            return
        q = self.exam.questions[self.number - 1]
        try:
            self.exam.answer(self.number, self.inputs.read())
            self.message.value = ""
        except InvalidAnswer as exc:
            self.exam.answer(self.number, None)
            self.message.value = (f"<span style='color:#8a5a00'>Q{self.number} is not answered yet: "
                                  f"{html.escape(_incomplete(q, exc))}</span>")
        except RuntimeError:
            pass

    def on_input(self) -> None:
        self.save_current()
        self.refresh_jump()
        self.render_header()

    # --- navigation ----------------------------------------------------------------------------

    def on_jump(self, change) -> None:
        if change["new"]:
            self.go(change["new"])

    def go(self, number: int) -> None:
        if self.exam.report is not None or not 1 <= number <= len(self.exam.questions) or number == self.number:
            return
        self.save_current()
        self.number = number
        self.show()

    def on_flag(self, change) -> None:
        self.exam.mark(self.number, change["new"])
        self.refresh_jump()
        self.render_header()

    def refresh_jump(self) -> None:
        """Relabel the Go-to list (✓ answered, ⚑ marked) and select the question shown.

        Assigning options makes ipywidgets reset the index to 0; when the change came from the
        dropdown itself, the property lock then suppresses the index that follows, and the browser
        would be left on Q1. hold_sync sends one final state instead, and nothing when unchanged.
        """
        options = []
        for n, q in enumerate(self.exam.questions, 1):
            state = ("✓" if q.id in self.exam.given else "·") + (" ⚑" if n in self.exam.marked else "")
            options.append((f"Q{n} {state}", n))
        self.jump.unobserve(self.on_jump, names="value")
        try:
            with self.jump.hold_sync():
                if list(self.jump.options) != options:
                    self.jump.options = options
                self.jump.value = self.number
        finally:
            self.jump.observe(self.on_jump, names="value")

    def render_header(self) -> None:
        left = int(self.exam.seconds_left)
        q = self.exam.questions[self.number - 1]
        name = EXAMS[self.exam.exam][q.domain][0]
        self.header.value = (
            f"<b>{self.exam.exam}</b> · question {self.number} of {len(self.exam.questions)} · "
            f"answered {len(self.exam.given)} · marked {len(self.exam.marked)} · "
            f"<b>{left // 3600:d}:{left % 3600 // 60:02d}:{left % 60:02d}</b> left"
            f"<br><small style='color:#666'>domain {q.domain}: {html.escape(name)} · {q.type}</small>")

    def show(self) -> None:
        from . import markdown as md
        from .widgets import AnswerInputs

        q = self.exam.questions[self.number - 1]
        self.inputs = AnswerInputs(q, self.exam.given.get(q.id))
        if self.exam.report is not None:
            self.inputs.disable()
        self.inputs.on_change(self.on_input)
        prompt = self.w.HTML(f"<div style='margin:6px 0'>{md.to_html(q.prompt)}</div>")
        self.question.children = [prompt, *self.inputs.children]
        self.flag.unobserve(self.on_flag, names="value")
        self.flag.value = self.number in self.exam.marked
        self.flag.observe(self.on_flag, names="value")
        self.refresh_jump()
        self.render_header()

    def tick(self) -> None:
        while self.exam.report is None:
            time.sleep(_TICK_SECONDS)
            if self.exam.report is not None:
                return
            if self.exam.seconds_left <= 0:
                self.done(timed_out=True)
                return
            self.render_header()

    # --- finishing -------------------------------------------------------------------------------

    def open_questions(self) -> list[int]:
        return [n for n, q in enumerate(self.exam.questions, 1) if q.id not in self.exam.given]

    def ask_to_finish(self) -> None:
        """The confirmation before grading: what is unanswered or marked, and that grading ends the exam."""
        if self.exam.report is not None:
            return
        self.save_current()
        open_, marked = self.open_questions(), sorted(self.exam.marked)
        lines = []
        if open_:
            lines.append(f"<b>{len(open_)} of {len(self.exam.questions)} question(s) are unanswered</b> "
                         f"({_numbers(open_)}); they count as wrong.")
        if marked:
            lines.append(f"{len(marked)} question(s) are marked for review ({_numbers(marked)}).")
        if not lines:
            lines.append(f"All {len(self.exam.questions)} questions are answered.")
        lines.append("Grading ends the exam: answers cannot be changed afterwards. Grade now?")
        self.confirm_text.value = "<br>".join(lines)
        self.confirm.layout.display = "flex"

    def hide_confirm(self) -> None:
        self.confirm.layout.display = "none"

    def done(self, timed_out: bool) -> None:
        if self.exam.report is not None:
            return
        self.save_current()
        self.hide_confirm()
        open_ = self.open_questions()
        report = self.exam.submit(timed_out=timed_out)
        for button in (self.prev, self.next, self.flag, self.jump, self.finish):
            button.disabled = True
        if self.inputs is not None:
            self.inputs.disable()
        self.render_header()
        self.message.value = (f"<i>{len(open_)} question(s) were unanswered.</i>" if open_ else "")
        self.result.clear_output()
        with self.result:
            from IPython.display import HTML, display

            display(HTML(report_html(report)))


def _numbers(numbers: list[int], most: int = 12) -> str:
    shown = ", ".join(f"Q{n}" for n in numbers[:most])
    return shown + (f" and {len(numbers) - most} more" if len(numbers) > most else "")


def _incomplete(q: Question, exc: InvalidAnswer) -> str:
    if q.type == "multiple":
        return f"choose {len(q.answer)}"
    if q.type == "ordering":
        return "put every step in order"
    if q.type == "matching":
        return "match every item"
    return str(exc)


def start_exam(exam: str = "dea-c01", questions: int = EXAM_QUESTIONS, minutes: int = 130,
               seed: int | None = None) -> PracticeExam:
    """Draw a practice exam form; display the returned object to take it."""
    practice = PracticeExam(exam, questions, minutes, seed)
    print(practice.summary())
    for note in practice.draw.notes:
        print(f"note: {note}")
    return practice
