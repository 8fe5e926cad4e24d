"""Practice exams: weighted allocation, seeded draws, scaled scoring, answer sheets, the terminal flow."""
import json
from collections import Counter
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from lab_helpers import exam_cli
from lab_helpers.grading.exam import (PASS_SCORE, SCALING_RULE, ExamError, allocate, draw, draw_exam, exam_code,
                                      grade_exam, scaled_score)
from lab_helpers.grading.progress import ProgressStore

FIXTURES = Path(__file__).parent / "fixtures"
RICH = {"DEA-C01": {1: 30, 2: 25, 3: 20, 4: 15}, "MLA-C01": {1: 12, 2: 12, 3: 12, 4: 12}}


def single(qid, exam="DEA-C01", domain=1, topics=("athena",), answer="b"):
    return {"id": qid, "type": "single", "prompt": f"Which option fits {qid}?",
            "choices": {k: f"option {k}" for k in "abcd"}, "answer": answer,
            "explanation": {"overall": f"because of {qid}", "choices": {k: f"why {k}" for k in "abcd"}},
            "exam": exam, "domain": domain, "topics": list(topics), "source": "seed:test",
            "references": ["https://docs.aws.amazon.com/athena/latest/ug/what-is.html"]}


def typed_questions():
    """One multiple-response, one ordering and one matching DEA question."""
    multi = single("dea-multi-01", domain=1) | {
        "type": "multiple", "choices": {k: f"option {k}" for k in "abcde"}, "answer": ["a", "d"],
        "explanation": {"overall": "a and d", "choices": {k: f"why {k}" for k in "abcde"}}}
    order = single("dea-order-01", domain=3, topics=("glue-etl",)) | {
        "type": "ordering", "choices": {"a": "second", "b": "third", "c": "first"}, "answer": ["c", "a", "b"],
        "explanation": {"overall": "c, then a, then b"}}
    match = single("dea-match-01", domain=4, topics=("file-formats",)) | {
        "type": "matching", "pairs": {"p1": "Parquet", "p2": "CSV", "p3": "JSON"},
        "choices": {"a": "columnar", "b": "row text", "c": "nested text"},
        "answer": {"p1": "a", "p2": "b", "p3": "c"}, "explanation": {"overall": "formats"}}
    return [multi, order, match]


def write_bank(directory: Path, name: str, questions: list[dict], subdir: str = "") -> Path:
    path = directory / subdir / f"{name}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"bank": name, "title": name, "questions": questions}, sort_keys=False))
    return path


def rich_banks(directory: Path, counts=RICH, typed=True) -> Path:
    """Questions `<exam>-d<domain>-qNN` (answer b), alternating between an exam bank and a lab bank."""
    exam_bank, lab_bank = [], []
    for exam, domains in counts.items():
        prefix = exam.lower()[:3]
        for d, n in domains.items():
            for i in range(1, n + 1):
                (exam_bank if i % 2 else lab_bank).append(single(f"{prefix}-d{d}-q{i:02d}", exam, d))
    write_bank(directory, "dea-c01", exam_bank + (typed_questions() if typed else []), subdir="exams")
    write_bank(directory, "04_athena_curate", lab_bank)
    return directory


@pytest.fixture
def banks(tmp_path):
    return rich_banks(tmp_path / "quizzes")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run(*args, input=None):
    return CliRunner().invoke(exam_cli.exam, [str(a) for a in args], input=input)


# --- allocation -------------------------------------------------------------------------------

def test_allocation_of_65_dea_questions_uses_largest_remainders():
    # quotas 22.1 / 16.9 / 14.3 / 11.7: floors 22+16+14+11 = 63, the two spare go to .9 and .7
    assert allocate("dea-c01", 65) == {1: 22, 2: 17, 3: 14, 4: 12}
    # quotas 18.2 / 16.9 / 14.3 / 15.6
    assert allocate("MLA-C01", 65) == {1: 18, 2: 17, 3: 14, 4: 16}


@pytest.mark.parametrize("n", [1, 4, 10, 20, 50, 65, 100, 130])
def test_allocation_sums_to_n_and_stays_within_one_of_each_weight(n):
    for exam, weights in (("DEA-C01", (0.34, 0.26, 0.22, 0.18)), ("MLA-C01", (0.28, 0.26, 0.22, 0.24))):
        got = allocate(exam, n)
        assert sum(got.values()) == n
        for d, w in enumerate(weights, 1):
            assert abs(got[d] - n * w) < 1


def test_allocation_of_100_questions_is_exactly_the_weights():
    assert allocate("dea-c01", 100) == {1: 34, 2: 26, 3: 22, 4: 18}


def test_unknown_exam_name_lists_the_valid_ones():
    assert exam_code(" mla-C01 ") == "MLA-C01"
    with pytest.raises(ExamError, match="exams are: dea-c01, mla-c01"):
        exam_code("mls-c01")


# --- sampling ---------------------------------------------------------------------------------

def test_draw_is_deterministic_for_a_seed_and_differs_across_seeds(banks):
    first = [q.id for q in draw("dea-c01", 65, seed=11, quiz_dir=banks)]
    assert first == [q.id for q in draw("dea-c01", 65, seed=11, quiz_dir=banks)]
    assert first != [q.id for q in draw("dea-c01", 65, seed=12, quiz_dir=banks)]
    assert set(first) != {q.id for q in draw("dea-c01", 65, seed=12, quiz_dir=banks)}


def test_draw_has_no_duplicates_and_respects_the_domain_allocation(banks):
    for seed in range(5):
        questions = draw("dea-c01", 65, seed=seed, quiz_dir=banks)
        assert len({q.id for q in questions}) == 65
        assert all(q.exam == "DEA-C01" for q in questions)
        assert Counter(q.domain for q in questions) == Counter(allocate("dea-c01", 65))


def test_draw_takes_questions_from_every_bank_tagged_with_the_exam(banks):
    assert {q.bank for q in draw("dea-c01", 65, seed=1, quiz_dir=banks)} == {"dea-c01", "04_athena_curate"}


def test_short_domain_gives_all_it_has_and_other_domains_fill_its_places(tmp_path):
    quiz_dir = rich_banks(tmp_path, {"DEA-C01": {1: 30, 2: 25, 3: 3, 4: 15}}, typed=False)
    form = draw_exam("dea-c01", 65, seed=5, quiz_dir=quiz_dir)
    assert len(form.questions) == 65 and len({q.id for q in form.questions}) == 65
    assert form.drawn[3] == 3 and form.planned[3] == 14
    assert form.drawn[1] >= 22 and form.drawn[2] >= 17 and form.drawn[4] >= 12
    assert "domain 3 (Data Operations and Support) has 3 question(s) for 14 places" in form.notes[0]
    assert [q.id for q in form.questions] == [q.id for q in draw("dea-c01", 65, seed=5, quiz_dir=quiz_dir)]


def test_pool_smaller_than_the_exam_gives_every_question_and_says_so(tmp_path):
    quiz_dir = rich_banks(tmp_path, {"DEA-C01": {1: 3, 2: 2, 3: 1, 4: 1}}, typed=False)
    form = draw_exam("dea-c01", 65, seed=1, quiz_dir=quiz_dir)
    assert len(form.questions) == 7
    assert any("the exam has 7 instead of 65" in n for n in form.notes)


def test_draw_without_a_seed_reports_the_seed_that_reproduces_it(banks):
    form = draw_exam("dea-c01", 20, quiz_dir=banks)
    assert [q.id for q in draw("dea-c01", 20, seed=form.seed, quiz_dir=banks)] == [q.id for q in form.questions]


# --- scoring ----------------------------------------------------------------------------------

@pytest.mark.parametrize("correct,total,scaled,passed", [
    (69, 100, 721, True), (68, 100, 712, False), (45, 65, 723, True), (44, 65, 709, False),
    (0, 65, 100, False), (65, 65, 1000, True), (1, 8, 213, False),  # 112.5 rounds half up
])
def test_scaled_score_is_linear_with_the_pass_line_at_720(correct, total, scaled, passed):
    assert scaled_score(correct, total) == scaled
    assert (scaled >= PASS_SCORE) is passed


def test_unanswered_questions_count_as_wrong(banks):
    questions = draw("dea-c01", 10, seed=3, quiz_dir=banks)
    given = {q.id: q.answer for q in questions[:7]} | {questions[7].id: None}
    report = grade_exam("dea-c01", questions, given)
    assert (report.correct, report.total, report.answered, report.score, report.passed) == (7, 10, 7, 730, True)
    missed = report.missed()
    assert [m["id"] for m in missed] == [q.id for q in questions[7:]]
    assert missed[0]["your_answer_text"] == "(unanswered)" and missed[0]["answer_text"] == "b) option b"
    assert sum(v["total"] for v in report.domains().values()) == 10


# --- answer sheets (--answers) ----------------------------------------------------------------

def test_passing_sheet_exits_0_with_the_json_report(banks, home):
    result = run("dea-c01", "--answers", FIXTURES / "sheet_pass.yml", "--json", "--quiz-dir", banks)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["exam"], data["score"], data["passed"]) == ("DEA-C01", 820, True)
    assert (data["correct"], data["total"]) == (8, 10)
    assert data["scaling_rule"] == SCALING_RULE and "900" in data["scaling_rule"]
    assert data["domains"]["1"] == {"name": "Data Ingestion and Transformation", "correct": 3, "total": 3,
                                    "percent": 100.0}
    assert data["domains"]["3"]["correct"] == 2 and data["domains"]["3"]["total"] == 3
    missed = {m["id"]: m for m in data["missed"]}
    assert set(missed) == {"dea-d2-q02", "dea-d3-q02"}
    assert missed["dea-d2-q02"]["your_answer"] == "a" and missed["dea-d2-q02"]["answer"] == "b"
    assert missed["dea-d2-q02"]["explanation"] == "because of dea-d2-q02"
    assert missed["dea-d3-q02"]["your_answer"] is None


def test_failing_sheet_exits_1_and_the_text_report_reviews_the_misses(banks, home):
    result = run("dea-c01", "--answers", FIXTURES / "sheet_fail.json", "--quiz-dir", banks)
    assert result.exit_code == 1, result.output
    assert "640/1000 — FAIL (pass mark 720)" in result.stdout
    assert "100 + round(900 × correct / total)" in result.stdout
    assert "Your answer:  a) option a\n                  b) option b" in result.stdout
    assert "Right answer: a) option a\n                  d) option d" in result.stdout
    assert "Right answer: p1. Parquet → a) columnar\n                  p2. CSV → b) row text" in result.stdout
    assert "Right answer: 1. c) first\n                  2. a) second" in result.stdout
    assert "Your answer:  (unanswered)" in result.stdout and "Why: c, then a, then b" in result.stdout


def test_exam_and_answers_are_recorded_for_the_progress_report(banks, home):
    run("dea-c01", "--answers", FIXTURES / "sheet_pass.yml", "--quiz-dir", banks)
    store = ProgressStore(home / "progress.sqlite")
    (exam,) = store.exams()
    assert (exam["exam"], exam["score"], exam["passed"]) == ("DEA-C01", 820, 1)
    assert exam["detail"]["domains"]["1"]["correct"] == 3 and exam["detail"]["mode"] == "sheet"
    assert sorted(exam["detail"]["missed"]) == ["dea-d2-q02", "dea-d3-q02"]
    answers = store.latest_quiz(("exam",))
    assert len(answers) == 9  # the empty answer is not an answer
    assert store.latest_quiz() == {}  # exam answers are not answers to a lab's quiz cells
    assert answers["dea-d2-q01"]["bank"] == "dea-c01" and answers["dea-d2-q01"]["correct"] == 1
    assert answers["dea-d2-q02"]["bank"] == "04_athena_curate" and answers["dea-d2-q02"]["correct"] == 0


@pytest.mark.parametrize("sheet,messages", [
    ("sheet_unknown_ids.yml", ["unknown question ids: ['dea-zz-99', 'nope-01']",
                               "question ids not in DEA-C01: ['mla-d1-q01']"]),
    ("sheet_malformed.yml", ["dea-d1-q01: 'e' is not a choice of dea-d1-q01; answer with one of: a, b, c, d",
                             "dea-multi-01: dea-multi-01 asks you to choose 2",
                             "dea-match-01: write matching answers as p1=a"]),
    ("sheet_broken.yml", ["not valid YAML or JSON"]),
    ("sheet_list.yml", ["an answer sheet is a mapping of question ids to answers, got list"]),
])
def test_bad_sheet_exits_2_and_lists_every_problem_on_stderr(banks, home, sheet, messages):
    result = run("dea-c01", "--answers", FIXTURES / sheet, "--json", "--quiz-dir", banks)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"answer sheet {FIXTURES / sheet} cannot be graded" in result.stderr
    for message in messages:
        assert message in result.stderr
    assert ProgressStore(home / "progress.sqlite").exams() == []


def test_sheet_with_no_ids_of_the_exam_exits_2(banks, home, tmp_path):
    (tmp_path / "empty.yml").write_text("")
    result = run("mla-c01", "--answers", tmp_path / "empty.yml", "--quiz-dir", banks)
    assert result.exit_code == 2 and "the sheet lists no MLA-C01 question ids" in result.stderr


def test_missing_sheet_file_and_unknown_exam_are_usage_errors(banks, home):
    assert run("dea-c01", "--answers", "/nonexistent/sheet.yml").exit_code == 2
    result = run("mls-c01", "--quiz-dir", banks)
    assert result.exit_code == 2 and "dea-c01" in result.stderr


def test_blank_sheet_for_a_seed_round_trips_through_answers(banks, home, tmp_path):
    sheet = tmp_path / "sheet.yml"
    result = run("dea-c01", "--seed", 7, "--questions", 10, "--sheet", sheet, "--quiz-dir", banks)
    assert result.exit_code == 0 and "--seed 7 --questions 10 --answers" in result.stdout
    blank = yaml.safe_load(sheet.read_text())
    drawn = draw("dea-c01", 10, seed=7, quiz_dir=banks)
    assert list(blank) == [q.id for q in drawn] and set(blank.values()) == {None}
    assert "Which option fits" in sheet.read_text() and "because of" not in sheet.read_text()
    answers = {q.id: q.answer for q in drawn[:8]}  # two left out: unanswered
    sheet.write_text(yaml.safe_dump(answers))
    result = run("dea-c01", "--seed", 7, "--questions", 10, "--answers", sheet, "--json", "--quiz-dir", banks)
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and (data["correct"], data["total"], data["score"], data["seed"]) == (8, 10, 820, 7)
    assert data["questions"] == [q.id for q in drawn]


def test_seeded_sheet_rejects_ids_outside_the_drawn_form(banks, home, tmp_path):
    drawn = {q.id for q in draw("dea-c01", 4, seed=2, quiz_dir=banks)}
    outsider = next(f"dea-d1-q{i:02d}" for i in range(1, 31) if f"dea-d1-q{i:02d}" not in drawn)
    (tmp_path / "s.yml").write_text(f"{outsider}: b\n")
    result = run("dea-c01", "--seed", 2, "--questions", 4, "--answers", tmp_path / "s.yml", "--quiz-dir", banks)
    assert result.exit_code == 2
    assert f"question ids not in the DEA-C01 form drawn with --seed 2 --questions 4: ['{outsider}']" in result.stderr


# --- the terminal exam ------------------------------------------------------------------------

def test_interactive_exam_navigates_marks_changes_answers_and_submits(banks, home):
    qs = draw("dea-c01", 4, seed=3, quiz_dir=banks)
    assert all(q.type == "single" for q in qs)  # the script below answers with one key
    script = ["a",      # Q1 wrong -> Q2
              "p",      # back to Q1
              "b",      # change Q1 to right -> Q2
              "m",      # mark Q2
              "e",      # not a choice: re-prompt
              "b",      # Q2 right -> Q3
              "g 4",    # jump to Q4
              "b",      # Q4 right (last question)
              "r",      # review: marked 2, unanswered 3
              "s", "n",  # unanswered remain: decline to submit
              "g 3", "a",  # Q3 wrong -> Q4
              "s"]      # all answered: submits without asking
    result = run("dea-c01", "--questions", 4, "--seed", 3, "--quiz-dir", banks, input="\n".join(script) + "\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "[130 min left] Q1" in out
    assert "Saved Q1: a" in out and "Saved Q1: b" in out
    assert "Q2 marked for review." in out
    assert "'e' is not a choice of" in out
    assert "Marked for review: 2\nUnanswered: 3" in out
    assert "1 question(s) unanswered (3) will count as wrong. Submit now?" in out
    assert "775/1000 — PASS" in out and "Q3 [" + qs[2].id + "]" in out
    (exam,) = ProgressStore(home / "progress.sqlite").exams()
    assert exam["score"] == 775 and exam["detail"]["mode"] == "interactive"


def test_interactive_exam_shows_a_question_s_saved_answer_and_mark_when_revisited(banks, home):
    script = ["m", "b", "p", "s", "y"]
    result = run("dea-c01", "--questions", 3, "--seed", 1, "--quiz-dir", banks, input="\n".join(script) + "\n")
    assert "Question 1 of 3 · marked for review · your answer: b" in result.stdout
    assert "2 question(s) unanswered (2, 3) will count as wrong" in result.stdout
    assert result.exit_code == 1 and "400/1000 — FAIL" in result.stdout  # 1/3 -> 100 + 300


def test_interactive_exam_takes_every_item_type_in_short_and_literal_forms(tmp_path, home):
    write_bank(tmp_path, "dea-c01", typed_questions() + [single("dea-d2-q01", domain=2)])
    qs = draw("dea-c01", 4, seed=9, quiz_dir=tmp_path)
    typed = {"single": "B", "multiple": "['d', 'a']", "ordering": "c, a, b",
             "matching": "{'p1': 'a', 'p2': 'b', 'p3': 'c'}"}
    script = [typed[q.type] for q in qs[:3]] + ["p3=c,p1=a,p2=b" if qs[3].type == "matching" else typed[qs[3].type]]
    result = run("dea-c01", "--questions", 4, "--seed", 9, "--quiz-dir", tmp_path, input="\n".join(script) + "\ns\n")
    assert result.exit_code == 0, result.output
    assert "1000/1000 — PASS" in result.stdout
    assert "one choice per item, e.g. p1=a,p2=a,p3=a" in result.stdout and "2 keys, e.g. a,b" in result.stdout
    assert "(DEA-C01 · domain" not in result.stdout  # the form does not give the domain away


def test_time_out_submits_automatically(banks, home, monkeypatch):
    ticks = iter([0, 0, 0])  # start, first prompt, after the first answer; then the clock jumps past the end
    monkeypatch.setattr(exam_cli, "_clock", lambda: next(ticks, 10_000))
    result = run("dea-c01", "--questions", 4, "--minutes", 1, "--seed", 3, "--json", "--quiz-dir", banks,
                 input="b\nb\nb\nb\n")
    assert "[1 min left] Q1" in result.stdout
    assert "submitted automatically" in result.stdout
    data = json.loads(result.stdout[result.stdout.index("\n{\n") + 1:])
    assert data["timed_out"] is True and (data["answered"], data["correct"], data["score"]) == (1, 1, 325)
    assert result.exit_code == 1


def test_an_entry_typed_after_the_time_ran_out_is_not_counted(banks, home, monkeypatch):
    ticks = iter([0, 0])
    monkeypatch.setattr(exam_cli, "_clock", lambda: next(ticks, 10_000))
    result = run("dea-c01", "--questions", 2, "--minutes", 1, "--seed", 3, "--quiz-dir", banks, input="b\n")
    assert "came too late and is not counted" in result.stdout and "100/1000 — FAIL" in result.stdout


# --- help and wiring --------------------------------------------------------------------------

def test_exam_help_documents_modes_scoring_and_an_example():
    out = run("--help").stdout
    for text in ("Example:", "--answers", "--seed", "--minutes", "720", "900", "g 12", "Exit code: 0 pass"):
        assert text in out


def test_register_adds_exam_and_coverage_and_keeps_quiz_lab_id_working(banks):
    seen = []

    @click.group()
    def main():
        """test group"""

    @main.command()
    @click.argument("lab_id")
    def quiz(lab_id):
        """Ask a bank's questions.

        \b
        Example:
          labkit quiz 00_orientation
        """
        seen.append(lab_id)

    exam_cli.register(main)
    runner = CliRunner()
    assert {"exam", "quiz-coverage", "quiz"} <= set(main.commands)
    assert runner.invoke(main, ["quiz", "00_orientation"]).exit_code == 0 and seen == ["00_orientation"]
    result = runner.invoke(main, ["quiz", "coverage", "--json", "--quiz-dir", str(banks)])
    assert result.exit_code == 0 and json.loads(result.stdout)["total"] == 90 + 48 + 3
    assert "labkit quiz coverage" in runner.invoke(main, ["quiz", "--help"]).stdout


def test_register_is_wired_into_labkit_and_idempotent():
    from lab_helpers import cli

    assert cli.main.commands["exam"] is exam_cli.exam
    quiz_before = cli.main.commands["quiz"]
    group = click.Group("labkit", commands=dict(cli.main.commands))
    exam_cli.register(group)  # registering twice must not wrap the quiz command twice
    assert group.commands["quiz"] is quiz_before
    assert "Example:" in CliRunner().invoke(cli.main, ["quiz", "coverage", "--help"]).stdout
