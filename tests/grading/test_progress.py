"""Progress: attempts recorded in SQLite; summary uses the latest attempt; HTML report has charts."""
from lab_helpers.grading.bank import EXAMS
from lab_helpers.grading.checks import CheckResult
from lab_helpers.grading.progress import ProgressStore, html_report, notebook_questions, render_text, summary
from lab_helpers.grading.quiz import grade
from tests.grading.test_quiz import SINGLE, q


def test_latest_check_result_wins_and_quiz_scores_count(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    store.record_check("00_orientation", CheckResult("hello_lake", "t", False, 0, 10), workspace="w")
    store.record_check("00_orientation", CheckResult("hello_lake", "t", True, 10, 10), workspace="w")
    question = q(**SINGLE)
    store.record_quiz("t", grade(question, "a"))
    store.record_quiz("t", grade(question, "b"))
    data = summary(store, ["00_orientation", "t"], {"00_orientation": ["hello_lake", "lifecycle_rules"]},
                   {"t": [question.id]}, workspace="w")
    lab0, lab_t = data["labs"]
    assert (lab0["checks_passed"], lab0["checks_total"]) == (1, 2)
    assert (lab_t["quiz_correct"], lab_t["quiz_answered"], lab_t["quiz_total"]) == (1, 1, 1)
    assert data["domains"]["DEA-C01"]["1"] == {"correct": 1, "answered": 1}


def test_html_report_is_self_contained_with_a_chart_per_lab(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    data = summary(store, ["00_orientation", "01_kms_key_users"], {}, {})
    page = html_report(data, EXAMS)
    assert page.count("<svg") == 4 and "<script" not in page and "http" not in page


def test_a_labs_quiz_is_counted_out_of_the_questions_its_notebook_asks():
    asked = notebook_questions()
    assert asked["00_orientation"] == ["l00-data-lake-zones-01", "l00-data-lake-zones-02",
                                       "l00-data-lake-zones-03", "l00-s3-storage-classes-02"]
    assert "exam_practice" in asked and asked["exam_practice"] == []


def test_wrong_then_right_is_right_on_a_retry_and_says_so(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    first, second = q(**SINGLE), q(**(SINGLE | {"id": "other-q"}))
    store.record_quiz("lab", grade(first, "a"))      # wrong ...
    store.record_quiz("lab", grade(first, "b"))      # ... then right
    store.record_quiz("lab", grade(second, "b"))     # right at once
    (row,) = summary(store, ["lab"], {}, {"lab": [first.id, second.id, "never-answered"]})["labs"]
    assert (row["quiz_correct"], row["quiz_total"], row["quiz_retried"], row["quiz_first_try"]) == (2, 3, 1, 1)
    assert "2/3 (1 on a retry)" in render_text({"labs": [row]})
    assert "1 of them right on a retry" in html_report({"labs": [row], "domains": {}, "exams": []}, EXAMS)


def test_exam_answers_and_extra_bank_questions_are_not_a_labs_notebook_score(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    asked, extra = q(**SINGLE), q(**(SINGLE | {"id": "bank-only-q"}))
    store.record_quiz("lab", grade(asked, "b"), origin="exam")   # answered in a practice exam
    store.record_quiz("lab", grade(extra, "b"))                  # answered with `labkit quiz lab`
    data = summary(store, ["lab"], {}, {"lab": [asked.id]})
    (row,) = data["labs"]
    assert (row["quiz_correct"], row["quiz_answered"], row["quiz_total"]) == (0, 0, 1)
    assert (row["bank_correct"], row["bank_answered"]) == (1, 1)
    assert "0/1 + bank 1/1" in render_text(data)
    assert data["domains"]["DEA-C01"]["1"] == {"correct": 2, "answered": 2}   # both still chart by domain
