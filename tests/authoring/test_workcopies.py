"""Private working copies: made from labs/, never overwritten, a fresh copy on request, out of git."""
import json
import re

import pytest
from click.testing import CliRunner

from lab_helpers.authoring import workcopies
from lab_helpers.cli import main
from lab_helpers.config import REPO_ROOT


@pytest.fixture
def labs(tmp_path):
    labs = tmp_path / "labs"
    labs.mkdir()
    for stem in ("00_orientation", "01_kms_key_users"):
        (labs / f"{stem}.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                         "nbformat_minor": 5}))
    return labs


def test_sync_copies_what_is_missing_and_never_overwrites_a_learners_copy(labs, tmp_path):
    work = tmp_path / "my-labs"
    first = workcopies.sync(work, labs)
    assert first.copied == ["00_orientation", "01_kms_key_users"] and not first.kept
    mine = work / "00_orientation.ipynb"
    edited = json.loads(mine.read_text()) | {"cells": [{"cell_type": "code", "source": "my work", "metadata": {},
                                                        "outputs": [], "execution_count": None}]}
    mine.write_text(json.dumps(edited))
    (labs / "00_orientation.ipynb").write_text(json.dumps({"cells": [], "metadata": {"new": 1}, "nbformat": 4,
                                                           "nbformat_minor": 5}))
    second = workcopies.sync(work, labs)
    assert second.copied == [] and second.kept == ["00_orientation", "01_kms_key_users"]
    assert second.newer_in_labs == ["00_orientation"]
    assert "my work" in mine.read_text()
    note = json.loads((work / "01_kms_key_users.ipynb").read_text())["metadata"]["labkit"]
    assert note["working_copy_of"] == "labs/01_kms_key_users.ipynb" and "labkit fresh 01_kms_key_users" in note["note"]


def test_fresh_copy_keeps_the_old_one_in_backups(labs, tmp_path):
    work = tmp_path / "my-labs"
    workcopies.sync(work, labs)
    (work / "00_orientation.ipynb").write_text('{"mine": true}')
    dest, backup = workcopies.fresh("00_orientation", work, labs)
    assert backup.parent == work / "backups" and backup.read_text() == '{"mine": true}'
    assert json.loads(dest.read_text())["metadata"]["labkit"]["working_copy_of"] == "labs/00_orientation.ipynb"
    _, second = workcopies.fresh("00_orientation.ipynb", work, labs)
    assert second != backup and second.exists() and backup.exists()
    with pytest.raises(workcopies.WorkCopyError, match="labs are: 00_orientation, 01_kms_key_users"):
        workcopies.fresh("nope", work, labs)


def test_make_lab_opens_the_working_copies_and_git_ignores_them():
    makefile = (REPO_ROOT / "Makefile").read_text()
    recipe = re.search(r"^lab:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "labkit my-labs --dir $(WORK)" in recipe and "--notebook-dir=$(WORK)" in recipe
    assert "--notebook-dir=labs" not in makefile and re.search(r"^WORK \?= my-labs$", makefile, re.M)
    assert "/my-labs/" in (REPO_ROOT / ".gitignore").read_text().split()


def test_cli_commands_have_help_with_an_example_and_work(tmp_path):
    runner = CliRunner()
    for command in ("my-labs", "fresh"):
        out = runner.invoke(main, [command, "--help"])
        assert out.exit_code == 0 and "Example:" in out.output
    work = tmp_path / "w"
    out = runner.invoke(main, ["my-labs", "--dir", str(work)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(main, ["fresh", "zz", "--dir", str(work)])
    assert out.exit_code != 0 and "labs are:" in out.output
