"""The banks never teach a retired or closed feature as the answer (issue 15, point 9)."""
import re

import pytest

from lab_helpers.grading import bank

QUESTIONS = list(bank.load_all().values())
# Feature -> why it cannot be a right answer today. Mentioning one in an explanation or a wrong choice is fine.
RETIRED = {
    r"FindMatches": "AWS Glue FindMatches runs only on Glue 2.0, end of support 1 April 2026",
    r"Data Pipeline": "AWS Data Pipeline is closed to new customers",
    r"Kinesis Data Analytics for SQL|SQL application": "Kinesis Data Analytics for SQL applications is discontinued",
    r"S3 Select|Glacier Select": "S3 Select is closed to new customers",
}


def _answer_texts(q):
    if q.type == "single":
        return [q.choices[q.answer]]
    if q.type == "matching":
        return [q.choices[c] for c in q.answer.values()]
    if q.type == "multiple":
        return [q.choices[c] for c in q.answer]
    return [q.choices[c] for c in q.answer] + [q.prompt]   # ordering: the steps are the answer


@pytest.mark.parametrize("pattern,why", RETIRED.items())
def test_no_right_answer_depends_on_a_retired_feature(pattern, why):
    bad = [q.id for q in QUESTIONS if any(re.search(pattern, t) for t in _answer_texts(q))]
    assert not bad, f"{why}; re-key or rewrite: {bad}"


def test_findmatches_questions_say_why_it_is_no_longer_the_answer():
    mentioned = [q for q in QUESTIONS if "FindMatches" in str(q.explanation) or "glue-findmatches" in q.topics]
    assert mentioned and all("Glue 2.0" in str(q.explanation) for q in mentioned), \
        [q.id for q in mentioned if "Glue 2.0" not in str(q.explanation)]


def test_lake_formation_governed_tables_are_not_what_a_registered_table_is_called():
    bad = [q.id for q in QUESTIONS if re.search(r"governed table|governed by (AWS )?Lake Formation",
                                                 q.prompt + " ".join(q.choices.values()), re.I)]
    assert not bad


def test_the_databrew_bank_holds_no_glue_spark_worker_questions():
    bad = [q.id for q in bank.bank("05_databrew") if re.search(r"\bG\.\d+X\b|worker type", q.prompt + str(q.choices))]
    assert not bad
