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
    assert len(store.latest_quiz()) == 20


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
    radio = form.question.children[1]
    key = exam.questions[single - 1].answer
    radio.value = key
    form.flag.value = True
    other = 1 if single != 1 else 2
    form.go(other)
    assert exam.given[exam.questions[single - 1].id] == key and single in exam.marked
    assert "answered 1 · marked 1" in form.header.value
    assert any(label.endswith("✓ ⚑") for label, _ in form.jump.options)
    form.go(single)
    assert form.question.children[1].value == key  # the earlier answer is shown again
    form.done(timed_out=False)
    assert exam.report is not None and exam.report.correct == 1
    assert form.finish.disabled and form.next.disabled
    assert "11 question(s) were unanswered" in form.message.value


def test_time_running_out_submits_automatically(settings, monkeypatch):
    monkeypatch.setattr(exam_notebook, "_TICK_SECONDS", 0.02)
    exam = PracticeExam("dea-c01", questions=5, minutes=0, seed=1, settings=settings)
    _ExamForm(exam)
    deadline = time.monotonic() + 5
    while exam.report is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert exam.report is not None and exam.report.timed_out and not exam.report.passed
