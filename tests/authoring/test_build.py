"""Each transform of the solutions → labs pipeline, on a fixture notebook, and the stale check."""
import shutil
from pathlib import Path

import nbformat
import pytest

from lab_helpers.authoring import build as b

FIXTURE = Path(__file__).parent / "fixtures" / "solution.ipynb"


@pytest.fixture
def nb():
    return nbformat.read(FIXTURE, as_version=4)


def test_strip_solutions_replaces_regions_with_stub_and_hints(nb):
    out = b.strip_solutions(nb)
    src = out.cells[2].source
    assert "put_object" not in src.replace("# YOUR CODE HERE — call put_object", "")
    assert "# YOUR CODE HERE — call put_object" in src
    assert "# HINT: no SSE headers" in src
    assert src.splitlines()[0] == "x = 1" and src.splitlines()[-1] == "print(x)"
    assert "pass" in src.splitlines()


def test_strip_solutions_keeps_indentation_so_stubs_still_parse(nb):
    src = b.strip_solutions(nb).cells[3].source
    compile(src, "cell", "exec")
    assert "    pass" in src and "42" not in src


def test_single_line_solution_becomes_ellipsis_with_hint(nb):
    src = b.strip_solutions(nb).cells[4].source
    assert src == "value = ...  # YOUR CODE HERE — call compute()" or src.startswith("...")


def test_quiz_answers_are_removed_but_the_quiz_call_stays(nb):
    out = b.strip_quiz_answers(nb)
    assert out.cells[6].source == 'lab.quiz("l00-zones-01")'
    assert out.cells[7].source == 'lab.quiz("l00-order-01")'


def test_nbval_markers_and_their_reasons_are_not_shown_to_learners():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\n# (timings differ)\nprint(1)"),
        nbformat.v4.new_code_cell("x = 1\n# NBVAL_SKIP\n# keep this comment\ny = 2"),
        nbformat.v4.new_code_cell("# a comment (not a marker)\nz = 3")])
    out = b.strip_test_markers(nb)
    assert [c.source for c in out.cells] == ["print(1)", "x = 1\n# keep this comment\ny = 2",
                                             "# a comment (not a marker)\nz = 3"]


def test_no_learner_notebook_shows_a_test_marker():
    for path in sorted(b.LABS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert not any("NBVAL_" in c.source for c in nb.cells), f"{path.name} shows an nbval marker"


def test_outputs_and_counts_cleared(nb):
    out = b.clear_outputs(nb)
    assert all(c.outputs == [] and c.execution_count is None for c in out.cells if c.cell_type == "code")


def test_metadata_normalised_and_marked_generated(nb):
    out = b.normalize_metadata(nb)
    assert set(out.metadata) == {"kernelspec", "language_info", "labkit"}
    assert out.cells[2].metadata == {"tags": ["step"]}


def test_check_cells_are_kept_verbatim(nb):
    assert b.transform(nb).cells[5].source == 'lab.check("hello_lake")'


def test_unbalanced_markers_are_an_authoring_error(nb):
    nb.cells[3].source = "# BEGIN SOLUTION\nx = 1"
    with pytest.raises(b.AuthoringError, match="without # END SOLUTION"):
        b.strip_solutions(nb)


def test_build_writes_then_check_detects_drift_and_orphans(tmp_path):
    sols, labs = tmp_path / "solutions", tmp_path / "labs"
    sols.mkdir()
    shutil.copy(FIXTURE, sols / "00_orientation.ipynb")
    assert b.build(sols, labs).written == ["00_orientation.ipynb"]
    assert b.build(sols, labs, check=True).stale == []
    (labs / "00_orientation.ipynb").write_text((labs / "00_orientation.ipynb").read_text().replace("YOUR CODE", "edited"))
    assert b.build(sols, labs, check=True).stale == ["00_orientation.ipynb"]
    (labs / "99_orphan.ipynb").write_text("{}")
    assert "99_orphan.ipynb" in b.build(sols, labs, check=True).stale
    b.build(sols, labs)
    assert not (labs / "99_orphan.ipynb").exists()


def test_build_output_is_byte_stable(tmp_path):
    sols = tmp_path / "s"
    sols.mkdir()
    shutil.copy(FIXTURE, sols / "x.ipynb")
    b.build(sols, tmp_path / "l1")
    b.build(sols, tmp_path / "l2")
    assert (tmp_path / "l1" / "x.ipynb").read_bytes() == (tmp_path / "l2" / "x.ipynb").read_bytes()
