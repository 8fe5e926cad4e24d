"""What a learner's notebook may show: no test markers, no wide ASCII art, no stub that claims success."""
import ast
import re

import nbformat
import pytest

from lab_helpers.authoring.build import LABS

NOTEBOOKS = sorted(LABS.glob("*.ipynb"))
_STUB = re.compile(r"#\s*YOUR CODE HERE")
_BOX_DRAWING = re.compile(r"[─│┌┐└┘├┤┬┴┼►◄▼▲]")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_ascii_diagram_is_wider_than_a_laptop_window(path):
    """A 118-column ASCII diagram wraps into noise at 1400 px: draw a picture (solutions/pictures/draw.py)."""
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "markdown":
            continue
        blocks = [b for b in re.findall(r"```[^\n]*\n(.*?)```", cell.source, re.S) if _BOX_DRAWING.search(b)]
        wide = [line for block in blocks for line in block.splitlines() if len(line) > 100]
        assert not wide, f"{path.name} cell {index}: {len(wide)} line(s) over 100 columns, e.g. {wide[0][:60]!r}"


def _claims(cell_source: str) -> list[str]:
    """print() calls after a stub that report nothing read at run time (no call inside them)."""
    lines = cell_source.split("\n")
    last_stub = max(i for i, line in enumerate(lines) if _STUB.search(line))
    tree = ast.parse(cell_source)
    out = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
                and node.lineno - 1 > last_stub and node.col_offset == 0):
            if not any(isinstance(arg, ast.Call) for a in node.args for arg in ast.walk(a)):
                out.append(ast.get_source_segment(cell_source, node))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_an_unfilled_stub_cell_claims_nothing(path):
    """`written to s3://…` after an empty stub is a lie: a cell may only report what it read back."""
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "code" and _STUB.search(cell.source):
            assert not _claims(cell.source), f"{path.name} cell {index} prints {_claims(cell.source)} after the stub"


def test_the_claim_detector_catches_the_old_lab_00_cell():
    old = ('names = {}\n# YOUR CODE HERE — s3.put_object(...)\npass\n'
           'print("written to", "s3://" + names["results"] + "/orientation/hello.txt")')
    honest = '# YOUR CODE HERE\npass\nprint(len(s3.list_objects_v2(Bucket="b").get("Contents", [])), "objects")'
    assert _claims(old) and not _claims(honest)
