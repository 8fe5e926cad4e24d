"""Catch-up as the learner sees it: every lab's progress bar at once, no kernel noise, a table at the end."""
from __future__ import annotations

import nbformat

from lab_helpers.authoring import catchup
from lab_helpers.authoring.catchup_view import CatchUpReport, LabRow, TextProgress, WidgetProgress


class Recorder:
    def __init__(self, events):
        self.events = events

    def start(self, rows):
        self.events.append(("start", [(r.lab, r.status, r.cells) for r in rows]))

    def update(self, row):
        self.events.append((row.status, row.lab, row.done_cells))

    def finish(self, report):
        self.events.append(("finish", list(report)))


def test_every_labs_row_is_shown_before_the_first_check_then_cells_count_up(workspace, monkeypatch):
    events = []
    real_done = catchup.lab_done
    monkeypatch.setattr(catchup, "lab_done", lambda lab, ctx: events.append(("check", lab)) or real_done(lab, ctx))

    def replay(lab, on_cell=None):
        for n in (1, 2, 3):
            on_cell(n)
        return 1.5

    report = catchup.catch_up("02_lambda_load", session=workspace, replay=replay, progress=Recorder(events))
    kind, rows = events[0]
    assert kind == "start" and [r[:2] for r in rows] == [("00_orientation", "waiting"), ("01_kms_key_users", "waiting")]
    assert all(cells > 5 for _, _, cells in rows)          # a bar's length is the lab's replayed cells
    assert events[1] == ("checking", "00_orientation", 0) and events[2] == ("check", "00_orientation")
    assert ("running", "00_orientation", 3) in events and ("replayed", "00_orientation", 3) in events
    assert events[-1] == ("finish", ["00_orientation", "01_kms_key_users"])
    assert report == ["00_orientation", "01_kms_key_users"]


def test_the_report_is_the_list_of_labs_replayed_and_renders_as_a_table():
    rows = [LabRow("00_orientation", "skipped", 20), LabRow("01_kms_key_users", "replayed", 18, 18, 12.4)]
    report = CatchUpReport("02_lambda_load", False, rows)
    assert report == ["01_kms_key_users"] and isinstance(report, list)
    text = repr(report)
    assert text.splitlines()[0] == "Catch-up: your workspace is at the start of 02_lambda_load (1 of 2 labs replayed)."
    assert "00_orientation    done already (its checks pass): skipped" in text
    assert "01_kms_key_users  replayed in 12 s (18 cells)" in text
    page = report._repr_html_()
    assert page.count("<tr>") == 3 and "<table" in page and "[" not in page
    assert repr(CatchUpReport("00_orientation", False, [])) == "Catch-up: nothing comes before 00_orientation."


def test_terminal_progress_prints_a_line_per_lab_and_what_was_done(capsys):
    report = CatchUpReport("02_lambda_load", False, [LabRow("00_orientation", "skipped")])
    progress = TextProgress()
    progress.update(LabRow("00_orientation", "skipped"))
    progress.finish(report)
    out = capsys.readouterr().out
    assert "00_orientation is done already" in out and "nothing to replay, 00_orientation is done" in out


def test_notebook_progress_has_a_bar_per_lab_from_the_start(capsys):
    progress = WidgetProgress()
    rows = [LabRow("00_orientation", cells=10), LabRow("01_kms_key_users", cells=8)]
    progress.start(rows)
    assert set(progress.bars) == {"00_orientation", "01_kms_key_users"} and len(progress.box.children) == 3
    rows[0].status, rows[0].done_cells = "running", 4
    progress.update(rows[0])
    assert (progress.bars["00_orientation"].value, progress.bars["00_orientation"].max) == (4, 10)
    assert progress.texts["00_orientation"].value == "cell 4/10"
    rows[1].status = "skipped"
    progress.update(rows[1])
    assert progress.bars["01_kms_key_users"].bar_style == "success"


def test_the_kernels_own_log_lines_never_reach_the_learner(tmp_path, capfd):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys\nx = 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "00_orientation.ipynb")
    seen = []
    catchup.run_solution("00_orientation", solutions=tmp_path, timeout=120, on_cell=seen.append,
                         kernel_log=tmp_path / "catchup.log")
    captured = capfd.readouterr()
    assert "IPKernelApp" not in captured.err + captured.out     # ipykernel's "running over TCP" warning
    assert seen == [1] and (tmp_path / "catchup.log").exists()
