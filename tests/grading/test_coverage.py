"""Coverage report: counts per topic, exam domain, type and bank, with every gap flagged."""
import itertools
import json

from click.testing import CliRunner

from lab_helpers import exam_cli
from lab_helpers.grading.bank import EXAMS, TOPICS
from lab_helpers.grading.coverage import COURSE_LABS, coverage, needed, render_text
from tests.grading.test_exam import single, typed_questions, write_bank


def thin_banks(directory):
    """A small DEA bank (domain 2 short), a 12-question lab 00, a 3-question lab 01, two MLA questions."""
    dea = [single(f"dea-d1-q{i:02d}", domain=1) for i in range(46)]
    dea += [single(f"dea-d2-q{i:02d}", domain=2, topics=("redshift",)) for i in range(10)]
    dea += [single(f"dea-d3-q{i:02d}", domain=3, topics=("cloudwatch",)) for i in range(30)]
    dea += [single(f"dea-d4-q{i:02d}", domain=4, topics=("kms-sse",)) for i in range(24)]
    write_bank(directory, "dea-c01", dea + typed_questions(), subdir="exams")
    write_bank(directory, "00_orientation", [single(f"orient-q{i:02d}", topics=("athena", "partitions"))
                                             for i in range(12)])
    write_bank(directory, "01_kms_key_users", [single(f"kms-q{i:02d}", domain=4, topics=("kms-sse",))
                                               for i in range(3)])
    write_bank(directory, "mla-c01", [single(f"mla-q{i:02d}", exam="MLA-C01", topics=("sagemaker",))
                                      for i in range(2)], subdir="exams")
    return directory


def gap_names(report, kind):
    return {g["name"] for g in report["gaps"] if g["kind"] == kind}


def test_domain_needs_are_two_disjoint_65_question_exams_at_the_weight():
    assert [needed(w) for _, w in EXAMS["DEA-C01"].values()] == [46, 34, 30, 24]
    assert [needed(w) for _, w in EXAMS["MLA-C01"].values()] == [38, 34, 30, 32]


def test_counts_per_topic_domain_type_and_bank(tmp_path):
    report = coverage(thin_banks(tmp_path))
    assert report["total"] == 110 + 3 + 12 + 3 + 2
    assert list(report["by_topic"]) == list(TOPICS)
    assert report["by_topic"]["athena"] == 46 + 1 + 12 and report["by_topic"]["partitions"] == 12
    assert report["by_topic"]["kms-sse"] == 24 + 3 and report["by_topic"]["glue-etl"] == 1
    assert report["by_domain"]["DEA-C01"]["1"] == {"name": "Data Ingestion and Transformation", "weight": 0.34,
                                                   "count": 46 + 1 + 12, "needed": 46, "ok": True}
    assert report["by_domain"]["DEA-C01"]["2"]["count"] == 10 and report["by_domain"]["DEA-C01"]["2"]["ok"] is False
    assert report["by_domain"]["DEA-C01"]["4"]["count"] == 24 + 1 + 3
    assert report["by_domain"]["MLA-C01"]["1"]["count"] == 2
    assert report["by_type"] == {"single": 127, "multiple": 1, "ordering": 1, "matching": 1}
    assert report["by_bank"]["dea-c01"] == 113 and report["by_bank"]["01_kms_key_users"] == 3
    assert report["by_bank"]["07_sagemaker"] == 0  # course labs without a bank are listed with 0


def test_gaps_flag_empty_topics_short_domains_short_labs_and_the_total(tmp_path):
    report = coverage(thin_banks(tmp_path))
    assert gap_names(report, "total") == {"all banks"}
    assert "efs" in gap_names(report, "topic") and "athena" not in gap_names(report, "topic")
    assert len(gap_names(report, "topic")) == len(TOPICS) - 8
    assert gap_names(report, "domain") == {"DEA-C01 2", "MLA-C01 1", "MLA-C01 2", "MLA-C01 3", "MLA-C01 4"}
    assert gap_names(report, "type") == set()
    assert gap_names(report, "bank") == set(COURSE_LABS) - {"00_orientation"}
    messages = [g["message"] for g in report["gaps"]]
    assert ("DEA-C01 domain 2 (Data Store Management) has 10; two disjoint 65-question exams need 34 "
            "(2 × ceil(65 × 0.26))") in messages
    assert "lab 01_kms_key_users has 3 questions; each lab needs at least 10" in messages
    assert "lab 02_lambda_load has 0 questions; each lab needs at least 10 (create quizzes/02_lambda_load.yml)" \
        in messages


def test_a_question_type_with_no_questions_is_a_gap(tmp_path):
    write_bank(tmp_path, "dea-c01", [single("dea-q01")])
    report = coverage(tmp_path)
    assert gap_names(report, "type") == {"multiple", "ordering", "matching"}
    assert report["by_type"]["ordering"] == 0


def test_a_full_set_of_banks_has_no_gaps(tmp_path):
    banks = {name: [] for name in (*COURSE_LABS, "dea-c01", "mla-c01")}
    names, topics = itertools.cycle(banks), itertools.cycle(TOPICS)
    for exam, counts in (("DEA-C01", {1: 60, 2: 40, 3: 35, 4: 30}), ("MLA-C01", {1: 40, 2: 35, 3: 32, 4: 34})):
        for d, n in counts.items():
            for i in range(n):
                banks[next(names)].append(single(f"{exam.lower()}-d{d}-q{i:02d}", exam, d, topics=(next(topics),)))
    for name, questions in banks.items():
        write_bank(tmp_path, name, questions)
    write_bank(tmp_path, "extra", typed_questions())
    report = coverage(tmp_path)
    assert report["total"] == 309 and report["gaps"] == []
    assert "No gaps." in render_text(report)


def test_quiz_coverage_json_has_the_documented_shape_and_exits_0(tmp_path):
    result = CliRunner().invoke(exam_cli.quiz_coverage, ["--json", "--quiz-dir", str(thin_banks(tmp_path))])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == {"total", "by_topic", "by_domain", "by_type", "by_bank", "gaps"}
    assert {"count", "needed", "ok"} <= set(data["by_domain"]["DEA-C01"]["1"])
    assert {"kind", "name", "count", "needed", "message"} == set(data["gaps"][0])


def test_quiz_coverage_text_marks_gaps_and_lists_them(tmp_path):
    result = CliRunner().invoke(exam_cli.quiz_coverage, ["--quiz-dir", str(thin_banks(tmp_path))])
    assert result.exit_code == 0
    assert "✘ 2. Data Store Management" in result.stdout and "✔ 1. Data Ingestion" in result.stdout
    assert "✘ 01_kms_key_users" in result.stdout and "Gaps (" in result.stdout
    assert "  - no question covers topic efs" in result.stdout


def test_quiz_coverage_on_a_broken_bank_names_the_problem(tmp_path):
    (tmp_path / "bad.yml").write_text("bank: bad\nquestions: [{id: x}]\n")
    result = CliRunner().invoke(exam_cli.quiz_coverage, ["--quiz-dir", str(tmp_path)])
    assert result.exit_code == 1 and "missing field" in result.stderr


def test_quiz_coverage_help_has_an_example():
    assert "Example:" in CliRunner().invoke(exam_cli.quiz_coverage, ["--help"]).stdout
