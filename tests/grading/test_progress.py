"""Progress: attempts recorded in SQLite; summary uses the latest attempt; HTML report has charts."""
from lab_helpers.grading.bank import EXAMS, validate_question
from lab_helpers.grading.checks import CheckResult
from lab_helpers.grading.progress import ProgressStore, html_report, summary
from lab_helpers.grading.quiz import grade
from tests.grading.test_quiz import BASE, SINGLE, q


def test_latest_check_result_wins_and_quiz_scores_count(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    store.record_check("00_orientation", CheckResult("hello_lake", "t", False, 0, 10), workspace="w")
    store.record_check("00_orientation", CheckResult("hello_lake", "t", True, 10, 10), workspace="w")
    question = q(**SINGLE)
    store.record_quiz("t", grade(question, "a"))
    store.record_quiz("t", grade(question, "b"))
    data = summary(store, ["00_orientation", "t"], {"00_orientation": ["hello_lake", "lifecycle_rules"]},
                   {"t": 1}, workspace="w")
    lab0, lab_t = data["labs"]
    assert (lab0["checks_passed"], lab0["checks_total"]) == (1, 2)
    assert (lab_t["quiz_correct"], lab_t["quiz_answered"], lab_t["quiz_total"]) == (1, 1, 1)
    assert data["domains"]["DEA-C01"]["1"] == {"correct": 1, "answered": 1}


def test_html_report_is_self_contained_with_a_chart_per_lab(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    data = summary(store, ["00_orientation", "01_kms_key_users"], {}, {})
    page = html_report(data, EXAMS)
    assert page.count("<svg") == 4 and "<script" not in page and "http" not in page
