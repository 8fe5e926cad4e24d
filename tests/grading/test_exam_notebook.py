"""The notebook exam: domain-weighted draw, answers by call or by widgets, timer, report, progress."""
import time

import pytest

from lab_helpers import config
from lab_helpers.grading import exam_notebook
from lab_helpers.grading.exam_notebook import PracticeExam, _ExamForm, start_exam
from lab_helpers.grading.progress import ProgressStore
from lab_helpers.grading.quiz import InvalidAnswer


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path))
    return config.load()


def test_start_exam_draws_a_weighted_form_and_says_how_it_is_scored(settings, capsys):
    exam = start_exam("dea-c01", seed=11)
    out = capsys.readouterr().out
    assert "65 questions (domain 1 × 22, domain 2 × 17, domain 3 × 14, domain 4 × 12)" in out
    assert "pass at 720" in out
    assert [q.id for q in exam.questions] == [q.id for q in PracticeExam("DEA-C01", seed=11).questions]


def test_answers_by_call_grade_save_and_lock(settings):
    exam = PracticeExam("dea-c01", questions=20, seed=3, settings=settings)
    for n, q in enumerate(exam.questions, 1):
        exam.answer(n, q.answer)
    first = exam.questions[0]
    wrong = next(k for k in first.choices if k != first.answer) if first.type == "single" else None
    if wrong:
        exam.answer(1, wrong)
    exam.mark(2)
    report = exam.submit()
    assert report.total == 20 and report.correct == (19 if wrong else 20)
    assert report.passed and report.score >= 720
    page = report._repr_html_()
    assert "PASS" in page and ("Review: 1 missed" in page) == bool(wrong)
    with pytest.raises(RuntimeError, match="already submitted"):
        exam.answer(3, "a")
    assert exam.submit() is report  # a second submit changes nothing
    store = ProgressStore(settings.progress_db)
    saved = store.exams()
    assert len(saved) == 1 and saved[0]["exam"] == "DEA-C01" and saved[0]["score"] == report.score
    assert len(store.latest_quiz(("exam",))) == 20


def test_bad_answers_and_numbers_explain_what_is_valid(settings):
    exam = PracticeExam("dea-c01", questions=10, seed=5, settings=settings)
    single = next(n for n, q in enumerate(exam.questions, 1) if q.type == "single")
    with pytest.raises(InvalidAnswer):
        exam.answer(single, "z")
    with pytest.raises(IndexError, match="numbered 1 to 10"):
        exam.answer(11, "a")


def test_widget_form_keeps_answers_across_navigation_and_grades_on_finish(settings):
    exam = PracticeExam("mla-c01", questions=12, seed=2, settings=settings)
    single = next(n for n, q in enumerate(exam.questions, 1) if q.type == "single")
    form = _ExamForm(exam)
    form.go(single)
    key = exam.questions[single - 1].answer
    form.inputs.set(key)
    form.flag.value = True
    other = 1 if single != 1 else 2
    form.go(other)
    assert exam.given[exam.questions[single - 1].id] == key and single in exam.marked
    assert "answered 1 · marked 1" in form.header.value
    assert any(label.endswith("✓ ⚑") for label, _ in form.jump.options)
    form.go(single)
    assert form.inputs.read() == key  # the earlier answer is shown again
    form.ask_to_finish()
    form.done(timed_out=False)
    assert exam.report is not None and exam.report.correct == 1
    assert form.finish.disabled and form.next.disabled
    assert "11 question(s) were unanswered" in form.message.value


def _first(exam, qtype):
    return next(n for n, q in enumerate(exam.questions, 1) if q.type == qtype)


def test_counters_and_go_to_labels_update_as_soon_as_an_answer_is_chosen(settings):
    exam = PracticeExam("dea-c01", questions=15, seed=4, settings=settings)
    form = _ExamForm(exam)
    n = _first(exam, "single")
    form.go(n)
    form.inputs.set(exam.questions[n - 1].answer)   # no navigation after choosing
    assert "answered 1 · marked 0" in form.header.value
    assert dict((v, label) for label, v in form.jump.options)[n].startswith(f"Q{n} ✓")
    form.flag.value = True
    assert "answered 1 · marked 1" in form.header.value
    form.inputs.set(None)                            # clearing the choice un-answers it at once
    assert "answered 0 · marked 1" in form.header.value and exam.questions[n - 1].id not in exam.given


def test_an_incomplete_multiple_response_answer_counts_as_unanswered_and_says_why(settings):
    exam = PracticeExam("dea-c01", questions=40, seed=4, settings=settings)
    form = _ExamForm(exam)
    n = _first(exam, "multiple")
    form.go(n)
    q = exam.questions[n - 1]
    form.inputs.set(q.answer[:1])
    assert q.id not in exam.given and f"choose {len(q.answer)}" in form.message.value
    form.inputs.set(q.answer)
    assert exam.given[q.id] == q.answer and form.message.value == ""


def _index_updates(sent):
    return [m["state"]["index"] for m in sent if m.get("method") == "update" and "index" in m["state"]]


def test_go_to_keeps_showing_the_question_chosen_in_the_browser(settings):
    """A choice made in the browser's Go-to list must not be followed by an index reset to Q1.

    Relabelling the list (a question just became ✓ or ⚑) resets its index to 0 in the kernel; the property lock
    of the browser's own change then swallowed the index that followed, leaving the browser on Q1.
    """
    exam = PracticeExam("dea-c01", questions=10, seed=6, settings=settings)
    form = _ExamForm(exam)
    sent = []
    form.jump.comm.kernel = object()            # behave as if a browser were attached
    form.jump._send = lambda msg, buffers=None: sent.append(msg)
    exam.marked.add(2)                          # the labels change during the jump (Q2 gets ⚑)
    form.jump.set_state({"index": 3})           # what the front end sends when Q4 is picked
    assert form.number == 4 and form.jump.value == 4
    assert dict((v, label) for label, v in form.jump.options)[2] == "Q2 · ⚑"
    assert _index_updates(sent) in ([], [3]), f"the browser was sent index {_index_updates(sent)} after choosing Q4"
    sent.clear()
    form.go(7)                                  # Next/Previous: the kernel moves the list itself
    assert _index_updates(sent)[-1:] == [6]


def test_finish_asks_for_confirmation_naming_unanswered_questions(settings):
    exam = PracticeExam("dea-c01", questions=8, seed=7, settings=settings)
    form = _ExamForm(exam)
    form.inputs.set(exam.questions[0].answer)
    form.flag.value = True
    form.finish.click()
    assert exam.report is None                       # nothing graded yet
    assert form.confirm.layout.display != "none"
    text = form.confirm_text.value
    assert "7 of 8 question(s) are unanswered" in text and "Q2, Q3" in text and "marked for review (Q1)" in text
    form.confirm_no.click()
    assert exam.report is None and form.confirm.layout.display == "none"
    form.finish.click()
    form.confirm_yes.click()
    assert exam.report is not None and exam.report.answered == 1


def test_answers_are_locked_after_grading(settings):
    exam = PracticeExam("dea-c01", questions=6, seed=8, settings=settings)
    form = _ExamForm(exam)
    form.inputs.set(exam.questions[0].answer)
    form.done(timed_out=False)
    assert form.inputs.disabled and all(c.disabled for c in form.inputs._controls)
    with pytest.raises(RuntimeError):
        exam.answer(1, None)


def test_review_shows_the_text_of_each_missed_question(settings):
    from lab_helpers.grading import markdown as md

    exam = PracticeExam("dea-c01", questions=6, seed=9, settings=settings)
    report = exam.submit()                       # nothing answered: every question is in the review
    page = report._repr_html_()
    for q in exam.questions:
        assert md.to_html(q.prompt) in page       # the question itself, rendered, not only its id
    assert "```" not in page
    text = " ".join(report.render_text().split())
    for q in exam.questions:
        assert " ".join(md.to_text(q.prompt).split()) in text


def test_time_running_out_submits_automatically(settings, monkeypatch):
    monkeypatch.setattr(exam_notebook, "_TICK_SECONDS", 0.02)
    exam = PracticeExam("dea-c01", questions=5, minutes=0, seed=1, settings=settings)
    _ExamForm(exam)
    deadline = time.monotonic() + 5
    while exam.report is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert exam.report is not None and exam.report.timed_out and not exam.report.passed
