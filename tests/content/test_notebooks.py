"""Solution notebooks follow the notebook contract; quiz cells name real questions with right answers."""
import re

import nbformat
import pytest

from lab_helpers.authoring.build import LABS as LABS_DIR
from lab_helpers.authoring.build import SOLUTIONS, build
from lab_helpers.grading import bank
from lab_helpers.grading.labs import LABS
from lab_helpers.grading.quiz import grade

NOTEBOOKS = sorted(SOLUTIONS.glob("*.ipynb"))
QUIZ_CALL = re.compile(r"""\.quiz\(\s*["']([^"']+)["']\s*,\s*answer\s*=\s*(.+)\)\s*$""", re.S)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_starts_the_lab_with_the_notebook_stem(path):
    nb = nbformat.read(path, as_version=4)
    if path.stem.startswith("exam_"):  # practice-exam notebooks draw a form instead of starting a lab
        assert "start_exam(" in nb.cells[0].source
    else:
        assert f'start_lab("{path.stem}")' in nb.cells[0].source
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_endpoint_urls_or_credentials_in_notebooks(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    for forbidden in ("endpoint_url", "127.0.0.1", "localhost", "aws_access_key_id=\"", "aws_access_key_id='", "if local"):
        assert forbidden not in text, forbidden


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_quiz_cells_name_questions_of_the_lab_and_the_solution_answers_correctly(path):
    questions = bank.load_all()
    for cell in nbformat.read(path, as_version=4).cells:
        m = QUIZ_CALL.search(cell.source) if cell.cell_type == "code" else None
        if not m:
            continue
        qid, answer = m.group(1), eval(m.group(2))  # noqa: S307 - our own notebooks
        assert qid in questions and questions[qid].bank == path.stem, qid
        assert grade(questions[qid], answer).correct, qid


def test_every_lab_has_a_solution_and_a_generated_learner_notebook():
    for lab in LABS:
        assert (SOLUTIONS / f"{lab.id}.ipynb").exists(), lab.id
        assert (LABS_DIR / f"{lab.id}.ipynb").exists(), lab.id


def test_labs_are_not_stale():
    assert build(check=True).stale == []
