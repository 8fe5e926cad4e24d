"""Every question bank validates; ids are unique; no near-duplicate prompts; each lab has enough."""
import difflib
import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from lab_helpers.grading import bank
from lab_helpers.grading.labs import LABS

QUIZ_FILES = sorted(bank.QUIZ_DIR.rglob("*.yml"))
ALL_LABS = ["00_orientation", "01_kms_key_users", "02_lambda_load", "03_glue_crawlers", "04_athena_curate",
            "05_databrew", "06_redshift", "07_sagemaker"]


@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: p.name)
def test_bank_file_matches_the_schema(path):
    assert bank.load_file(path)


def test_question_ids_are_unique_across_banks():
    ids = [q.id for p in QUIZ_FILES for q in bank.load_file(p)]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert dupes == []


def _words(text):
    return re.sub(r"[^a-z0-9 ]", " ", text.lower()).split()


def test_no_near_duplicate_prompts():
    prompts = [(q.id, _words(q.prompt)) for q in bank.load_all().values()]
    near = []
    for (a, wa), (b, wb) in itertools.combinations(prompts, 2):
        matcher = difflib.SequenceMatcher(None, wa, wb)
        # real_quick_ratio() >= quick_ratio() >= ratio(): the cheap bounds rule out most pairs exactly.
        if matcher.real_quick_ratio() > 0.85 and matcher.quick_ratio() > 0.85 and matcher.ratio() > 0.85:
            near.append((a, b, round(matcher.ratio(), 2)))
    assert near == []


@pytest.mark.parametrize("lab_id", [lab.id for lab in LABS])
def test_each_lab_with_a_notebook_has_at_least_ten_questions(lab_id):
    assert len(bank.bank(lab_id)) >= 10


def test_every_bank_uses_all_four_question_types_somewhere():
    assert {q.type for q in bank.load_all().values()} == set(bank.TYPES)


def test_multiple_response_prompts_say_how_many_to_choose():
    words = {2: "two", 3: "three", 4: "four"}
    for q in bank.load_all().values():
        if q.type == "multiple":
            assert f"Choose {words[len(q.answer)]}" in q.prompt or f"choose {words[len(q.answer)]}" in q.prompt, q.id
