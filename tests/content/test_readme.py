"""The README's lab and engine tables follow the registries (docs never go stale silently)."""
from lab_helpers.config import REPO_ROOT
from lab_helpers.endpoint.registry import Registry
from lab_helpers.grading.labs import LABS

README = (REPO_ROOT / "README.md").read_text()


def test_every_lab_is_in_the_readme_table():
    for lab in LABS:
        assert f"| `{lab.id}` |" in README, lab.id


def test_every_engine_and_operation_is_in_the_readme_table():
    for module, ops in Registry().engines().items():
        row = next((line for line in README.splitlines() if line.startswith(f"| `{module}` |")), None)
        assert row, f"README has no engine row for {module}"
        cells = row.rstrip()
        assert cells.endswith("|") and cells.count("|") == 3, f"the README row of {module} is not a 2-cell table row"
        for op in ops:
            assert op in cells.split("|")[2], f"{op} missing from the README row of {module}"


def test_readme_names_the_two_commands_and_ci_calls_the_test_one():
    assert "make lab" in README and "make test" in README
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()
